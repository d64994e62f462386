//! S3 XML: request bodies parsed into typed structs, response documents written.
//!
//! Parsing goes through serde + quick-xml with a DTD check and a size cap; writing goes
//! through [`XmlWriter`]. Nothing here knows about storage.

pub mod list;
pub mod request;
pub mod response;
mod writer;

pub use response::Owner;
pub use writer::{XmlWriter, S3_NS};
