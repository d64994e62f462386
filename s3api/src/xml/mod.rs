//! S3 XML: request bodies parsed into typed structs, response documents written.
//!
//! Parsing goes through serde + quick-xml with a DTD check and a size cap applied by
//! the caller; writing goes through [`XmlWriter`]. Nothing here knows about storage.

mod writer;

pub use writer::{XmlWriter, S3_NS};
