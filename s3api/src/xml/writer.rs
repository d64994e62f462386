//! A small, fast XML writer for S3 response documents.
//!
//! S3 responses are flat, known shapes; writing them element by element keeps each
//! document's layout readable next to the AWS reference. Text is escaped with quick-xml,
//! and the control characters XML 1.0 cannot carry raw are written as character
//! references, as AWS writes them.

use std::borrow::Cow;
use std::fmt::Write;

use quick_xml::escape::escape as escape_markup;

/// The S3 XML namespace, set on every response's root element.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// Escapes element or attribute text: `&`, `<`, `>`, `'` and `"` as entities (and a
/// carriage return as `&#13;`, which quick-xml does, else a parser reads a newline), and
/// every other C0 control character but tab and newline as a character reference
/// (`&#x1;`, `&#x1b;`).
/// XML 1.0 forbids most of these even as references, but AWS writes them so (an object
/// key may hold any character), and clients that read them get the key back;
/// `encoding-type=url` is the strict alternative.
fn escape(text: &str) -> Cow<'_, str> {
    let needs_reference = |c: char| c < ' ' && c != '\t' && c != '\n';
    let escaped = escape_markup(text);
    if !escaped.contains(needs_reference) {
        return escaped;
    }
    let mut out = String::with_capacity(escaped.len() + 8);
    for c in escaped.chars() {
        if needs_reference(c) {
            // Writing to a String cannot fail.
            let _ = write!(out, "&#x{:x};", u32::from(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
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
        let mut out = String::with_capacity(512);
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
            self.out.push_str(&escape(v));
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
        self.out.push_str(&escape(text));
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

    #[test]
    fn control_characters_become_character_references() {
        assert_eq!(escape("plain/key.txt"), "plain/key.txt");
        assert_eq!(escape("a&b<c>\"'"), "a&amp;b&lt;c&gt;&quot;&apos;");
        assert_eq!(escape("tab\tand\nnewline"), "tab\tand\nnewline");
        assert_eq!(escape("a\u{1}b\u{1b}c\rd\u{0}&"), "a&#x1;b&#x1b;c&#13;d&#x0;&amp;");
        assert_eq!(escape("é\u{7f}"), "é\u{7f}");
        let mut w = XmlWriter::new();
        w.elem("Key", "k\u{8}");
        assert!(w.finish().ends_with("<Key>k&#x8;</Key>"));
    }
}
