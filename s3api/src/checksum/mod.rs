//! Checksums. (being written)
