//! A small, fast XML writer for S3 response documents.
//!
//! S3 responses are flat, known shapes; writing them element by element keeps each
//! document's layout readable next to the AWS reference. Text is escaped with quick-xml.

use quick_xml::escape::escape;

/// The S3 XML namespace, set on every response's root element.
pub const S3_NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

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
            self.out.push_str(&escape(*v));
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
        use std::fmt::Write;
        let _ = write!(self.out, "{value}");
        self.close(name);
    }

    pub fn finish(self) -> String {
        self.out
    }
}
