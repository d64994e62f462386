//! Signatures of aws-chunked bodies: each chunk, and the trailer, is signed with the
//! request's signing key, chained from the seed signature of the request itself.
//!
//! Pure functions only; the chunked decoder calls these as chunks complete.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Hex SHA-256 of the empty string, part of every chunk's string to sign.
pub const EMPTY_SHA256_HEX: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// Everything needed to verify chunk and trailer signatures of one request.
#[derive(Clone)]
pub struct ChunkSigner {
    signing_key: Vec<u8>,
    /// `x-amz-date` of the request (`20130524T000000Z`).
    amz_date: String,
    /// Credential scope (`20130524/us-east-1/s3/aws4_request`).
    scope: String,
    /// The request's own signature: the "previous signature" of the first chunk.
    seed_signature: String,
}

impl std::fmt::Debug for ChunkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSigner")
            .field("amz_date", &self.amz_date)
            .field("scope", &self.scope)
            .field("seed_signature", &self.seed_signature)
            .finish_non_exhaustive()
    }
}

impl ChunkSigner {
    pub fn new(signing_key: Vec<u8>, amz_date: String, scope: String, seed_signature: String) -> Self {
        ChunkSigner { signing_key, amz_date, scope, seed_signature }
    }

    pub fn seed_signature(&self) -> &str {
        &self.seed_signature
    }

    /// The string to sign for one chunk (`AWS4-HMAC-SHA256-PAYLOAD`).
    pub fn chunk_string_to_sign(&self, previous_signature: &str, chunk_sha256_hex: &str) -> String {
        format!("AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{}\n{}", self.amz_date, self.scope, previous_signature, EMPTY_SHA256_HEX, chunk_sha256_hex)
    }

    /// The hex signature of one chunk whose data hashes to `chunk_sha256`.
    pub fn chunk_signature(&self, previous_signature: &str, chunk_sha256: &[u8]) -> String {
        let sts = self.chunk_string_to_sign(previous_signature, &hex::encode(chunk_sha256));
        aws_sigv4::sign::v4::calculate_signature(&self.signing_key, sts.as_bytes())
    }

    /// The hex signature of the trailer (`AWS4-HMAC-SHA256-TRAILER`). `canonical_trailers`
    /// is each trailer as `name:value\n`, names lower-case, in the order sent.
    pub fn trailer_signature(&self, previous_signature: &str, canonical_trailers: &str) -> String {
        let hash = hex::encode(Sha256::digest(canonical_trailers.as_bytes()));
        let sts = format!("AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}", self.amz_date, self.scope, previous_signature, hash);
        aws_sigv4::sign::v4::calculate_signature(&self.signing_key, sts.as_bytes())
    }
}

/// Constant-time comparison of two hex signatures.
pub fn signatures_equal(expected: &str, given: &str) -> bool {
    expected.len() == given.len() && bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}
