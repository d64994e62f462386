//! The S3 wire protocol, and nothing else.
//!
//! This crate turns an HTTP request into a typed [`operation::Operation`], verifies its
//! signature, decodes aws-chunked bodies, computes checksums, parses XML request bodies
//! and writes XML responses and error documents. It never touches a disk, a database or
//! a user table, and runs no async runtime: callers feed it bytes and lookups.

pub mod access_log;
pub mod acl;
pub mod bucket_config;
pub mod checksum;
pub mod chunked;
pub mod error;
pub mod headers;
pub mod lifecycle;
pub mod object_lock;
pub mod operation;
pub mod policy;
pub mod post;
pub mod route;
pub mod sigv4;
pub mod sse;
pub mod sts;
pub mod tagging;
pub mod xml;

pub use error::{S3Error, S3ErrorCode, S3Result};
pub use operation::Operation;
