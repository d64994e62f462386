//! AWS Signature Version 4 (and legacy V2) verification. (being written)

mod streaming;

pub use streaming::{signatures_equal, ChunkSigner, EMPTY_SHA256_HEX};
