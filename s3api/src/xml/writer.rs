//! A small, fast XML writer for S3 response documents.
//!
//! S3 responses are flat, known shapes; writing them element by element keeps each
//! document's layout readable next to the AWS reference. Text is escaped as it is
//! written, in one pass, and the control characters XML 1.0 cannot carry raw are written
//! as character references, as AWS writes them.

use std::fmt::Write;

/// The S3 XML namespace, set on every response's root element.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Appends `text` escaped to `out`: `&`, `<`, `>`, `'` and `"` as entities, a carriage
/// return as `&#13;` (else a parser reads a newline), and every other C0 control
/// character but tab and newline as a character reference (`&#x1;`, `&#x1b;`).
/// XML 1.0 forbids most of these even as references, but AWS writes them so (an object
/// key may hold any character), and clients that read them get the key back;
/// `encoding-type=url` is the strict alternative.
fn push_escaped(out: &mut String, text: &str) {
    let mut plain = 0;
    for (i, b) in text.bytes().enumerate() {
        // Every byte of a multi-byte character is 0x80 or above: only ASCII is escaped.
        let entity = match b {
            b'&' => Some("&amp;"),
            b'<' => Some("&lt;"),
            b'>' => Some("&gt;"),
            b'"' => Some("&quot;"),
            b'\'' => Some("&apos;"),
            b'\r' => Some("&#13;"),
            b'\t' | b'\n' => continue,
            // Any other control character: a character reference.
            0..=0x1f => None,
            _ => continue,
        };
        out.push_str(&text[plain..i]);
        match entity {
            Some(entity) => out.push_str(entity),
            // Writing to a String cannot fail.
            None => {
                let _ = write!(out, "&#x{b:x};");
            }
        }
        plain = i + 1;
    }
    out.push_str(&text[plain..]);
}

/// Builds one XML document as a string.
#[derive(Debug)]
pub struct XmlWriter {
    out: String,
}

impl Default for XmlWriter {
    fn default() -> Self {
        Self::new()
    }
}

impl XmlWriter {
    pub fn new() -> Self {
        Self::with_capacity(512)
    }

    /// A writer whose buffer holds `bytes` before it grows: a long document (a listing
    /// page) is then not copied over and over as it doubles.
    pub fn with_capacity(bytes: usize) -> Self {
        let mut out = String::with_capacity(bytes);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        XmlWriter { out }
    }

    /// Opens the root element with the S3 namespace.
    pub fn open_root(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push_str(" xmlns=\"");
        self.out.push_str(S3_NS);
        self.out.push_str("\">");
    }

    /// Opens an element with raw attributes (already escaped by the caller's choice of
    /// constant strings).
    pub fn open_with_attrs(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            push_escaped(&mut self.out, v);
            self.out.push('"');
        }
        self.out.push('>');
    }

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
    }

    pub fn close(&mut self, name: &str) {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// `<name>text</name>`, text escaped.
    pub fn elem(&mut self, name: &str, text: &str) {
        self.open(name);
        push_escaped(&mut self.out, text);
        self.close(name);
    }

    /// `elem` only when there is a value.
    pub fn opt_elem(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.elem(name, text);
        }
    }

    pub fn bool_elem(&mut self, name: &str, value: bool) {
        self.elem(name, if value { "true" } else { "false" });
    }

    pub fn num_elem(&mut self, name: &str, value: impl std::fmt::Display) {
        self.open(name);
        let _ = write!(self.out, "{value}");
        self.close(name);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(text: &str) -> String {
        let mut out = String::new();
        push_escaped(&mut out, text);
        out
    }

    #[test]
    fn control_characters_become_character_references() {
        assert_eq!(escape("plain/key.txt"), "plain/key.txt");
        assert_eq!(escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
        assert_eq!(escape("tab\tand\nnewline"), "tab\tand\nnewline");
        assert_eq!(escape("a\u{1}b\u{1b}c\rd\u{0}&"), "a&#x1;b&#x1b;c&#13;d&#x0;&amp;");
        assert_eq!(escape("é\u{7f}"), "é\u{7f}");
        assert_eq!(escape("\r"), "&#13;");
        assert_eq!(escape("ключ/<日本>\u{1f}"), "ключ/&lt;日本&gt;&#x1f;");
        // The same text as quick-xml's escaping, where that escapes at all.
        for text in ["a&b<c>\"'", "é/ü&\"", "\"etag\"", "x\ry"] {
            assert_eq!(escape(text), quick_xml::escape::escape(text), "{text:?}");
        }
        let mut w = XmlWriter::new();
        w.elem("Key", "k\u{8}");
        assert!(w.finish().ends_with("<Key>k&#x8;</Key>"));
    }
}
