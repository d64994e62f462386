//! Checksums: the five S3 checksum algorithms, their header names and base64 wire form,
//! incremental hashing, the multipart COMPOSITE and FULL_OBJECT checksums and the
//! multipart ETag.
//!
//! Pure computation over bytes and values handed in. It never reads a body, a file or
//! a header map itself, and never decides whether a request needs a checksum: callers
//! do that and compare what this module computes.

mod combine;
#[cfg(test)]
mod tests;

use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256};

use crate::error::{S3Error, S3ErrorCode, S3Result};
use combine::CrcCombiner;

/// A checksum algorithm S3 supports (`x-amz-checksum-algorithm`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumAlgorithm {
    Crc32,
    Crc32c,
    Crc64Nvme,
    Sha1,
    Sha256,
}

impl ChecksumAlgorithm {
    /// Parses an algorithm name as sent in `x-amz-sdk-checksum-algorithm` or
    /// `x-amz-checksum-algorithm` (ASCII case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        Self::all().into_iter().find(|alg| alg.as_str().eq_ignore_ascii_case(s))
    }

    /// The canonical upper-case name (`CRC32`, `CRC32C`, `CRC64NVME`, `SHA1`, `SHA256`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "CRC32",
            ChecksumAlgorithm::Crc32c => "CRC32C",
            ChecksumAlgorithm::Crc64Nvme => "CRC64NVME",
            ChecksumAlgorithm::Sha1 => "SHA1",
            ChecksumAlgorithm::Sha256 => "SHA256",
        }
    }

    /// The header (or trailer) carrying a value of this algorithm, lower-case.
    pub fn header_name(self) -> &'static str {
        match self {
            ChecksumAlgorithm::Crc32 => "x-amz-checksum-crc32",
            ChecksumAlgorithm::Crc32c => "x-amz-checksum-crc32c",
            ChecksumAlgorithm::Crc64Nvme => "x-amz-checksum-crc64nvme",
            ChecksumAlgorithm::Sha1 => "x-amz-checksum-sha1",
            ChecksumAlgorithm::Sha256 => "x-amz-checksum-sha256",
        }
    }

    /// The algorithm whose value header is `name` (ASCII case-insensitive).
    pub fn from_header_name(name: &str) -> Option<Self> {
        Self::all().into_iter().find(|alg| alg.header_name().eq_ignore_ascii_case(name))
    }

    pub fn all() -> [Self; 5] {
        [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme, ChecksumAlgorithm::Sha1, ChecksumAlgorithm::Sha256]
    }

    /// Whether a multipart upload may use the FULL_OBJECT checksum type with this
    /// algorithm (only the CRCs, which can be combined without the data).
    pub fn supports_full_object(self) -> bool {
        matches!(self, ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c | ChecksumAlgorithm::Crc64Nvme)
    }

    /// Length of the raw (not base64) digest in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ChecksumAlgorithm::Crc32 | ChecksumAlgorithm::Crc32c => 4,
            ChecksumAlgorithm::Crc64Nvme => 8,
            ChecksumAlgorithm::Sha1 => 20,
            ChecksumAlgorithm::Sha256 => 32,
        }
    }
}

impl fmt::Display for ChecksumAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the checksum of a multipart object is formed (`x-amz-checksum-type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChecksumType {
    /// A checksum of the parts' checksums, written `<base64>-<N>`.
    Composite,
    /// The checksum of the whole object's bytes, as if uploaded in one piece.
    FullObject,
}

impl ChecksumType {
    /// Parses `COMPOSITE` / `FULL_OBJECT` (ASCII case-insensitive).
    pub fn parse(s: &str) -> Option<Self> {
        if s.eq_ignore_ascii_case("COMPOSITE") {
            Some(ChecksumType::Composite)
        } else if s.eq_ignore_ascii_case("FULL_OBJECT") {
            Some(ChecksumType::FullObject)
        } else {
            None
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ChecksumType::Composite => "COMPOSITE",
            ChecksumType::FullObject => "FULL_OBJECT",
        }
    }
}

impl fmt::Display for ChecksumType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A computed or client-supplied checksum value: the raw digest bytes (CRCs big-endian,
/// as S3 encodes them).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Checksum {
    pub algorithm: ChecksumAlgorithm,
    pub bytes: Vec<u8>,
}

impl Checksum {
    /// The checksum of `data` in one call.
    pub fn compute(algorithm: ChecksumAlgorithm, data: &[u8]) -> Self {
        let mut hasher = Checksummer::new(algorithm);
        hasher.update(data);
        hasher.finalize()
    }

    /// The value as sent in `x-amz-checksum-*` headers.
    pub fn to_base64(&self) -> String {
        BASE64.encode(&self.bytes)
    }

    /// Parses a header value. Bad base64 or a digest of the wrong length is
    /// `InvalidRequest`, worded as S3 words it.
    pub fn from_base64(algorithm: ChecksumAlgorithm, s: &str) -> Result<Self, S3Error> {
        match BASE64.decode(s.trim().as_bytes()) {
            Ok(bytes) if bytes.len() == algorithm.digest_len() => Ok(Checksum { algorithm, bytes }),
            _ => Err(invalid_value(algorithm)),
        }
    }

    /// The CRC value of a CRC32/CRC32C/CRC64NVME checksum (big-endian digest bytes).
    fn crc_value(&self) -> Option<u64> {
        match self.bytes.as_slice() {
            [a, b, c, d] => Some(u64::from(u32::from_be_bytes([*a, *b, *c, *d]))),
            bytes => Some(u64::from_be_bytes(bytes.try_into().ok()?)),
        }
    }
}

/// `InvalidRequest` for a malformed value of `algorithm`'s header.
fn invalid_value(algorithm: ChecksumAlgorithm) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, format!("Value for {} header is invalid.", algorithm.header_name()))
}

/// Incremental hasher for one algorithm.
#[derive(Clone)]
pub struct Checksummer {
    state: HasherState,
}

#[derive(Clone)]
enum HasherState {
    Crc32(crc32fast::Hasher),
    Crc32c(u32),
    Crc64Nvme(crc64fast_nvme::Digest),
    Sha1(Sha1),
    Sha256(Sha256),
}

impl fmt::Debug for Checksummer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Checksummer").field("algorithm", &self.algorithm()).finish_non_exhaustive()
    }
}

impl Checksummer {
    pub fn new(algorithm: ChecksumAlgorithm) -> Self {
        let state = match algorithm {
            ChecksumAlgorithm::Crc32 => HasherState::Crc32(crc32fast::Hasher::new()),
            ChecksumAlgorithm::Crc32c => HasherState::Crc32c(0),
            ChecksumAlgorithm::Crc64Nvme => HasherState::Crc64Nvme(crc64fast_nvme::Digest::new()),
            ChecksumAlgorithm::Sha1 => HasherState::Sha1(Sha1::new()),
            ChecksumAlgorithm::Sha256 => HasherState::Sha256(Sha256::new()),
        };
        Checksummer { state }
    }

    pub fn algorithm(&self) -> ChecksumAlgorithm {
        match self.state {
            HasherState::Crc32(_) => ChecksumAlgorithm::Crc32,
            HasherState::Crc32c(_) => ChecksumAlgorithm::Crc32c,
            HasherState::Crc64Nvme(_) => ChecksumAlgorithm::Crc64Nvme,
            HasherState::Sha1(_) => ChecksumAlgorithm::Sha1,
            HasherState::Sha256(_) => ChecksumAlgorithm::Sha256,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match &mut self.state {
            HasherState::Crc32(h) => h.update(data),
            HasherState::Crc32c(crc) => *crc = crc32c::crc32c_append(*crc, data),
            HasherState::Crc64Nvme(h) => h.write(data),
            HasherState::Sha1(h) => h.update(data),
            HasherState::Sha256(h) => h.update(data),
        }
    }

    pub fn finalize(self) -> Checksum {
        let algorithm = self.algorithm();
        let bytes = match self.state {
            HasherState::Crc32(h) => h.finalize().to_be_bytes().to_vec(),
            HasherState::Crc32c(crc) => crc.to_be_bytes().to_vec(),
            HasherState::Crc64Nvme(h) => h.sum64().to_be_bytes().to_vec(),
            HasherState::Sha1(h) => h.finalize().to_vec(),
            HasherState::Sha256(h) => h.finalize().to_vec(),
        };
        Checksum { algorithm, bytes }
    }
}

/// Checks that every part checksum is a well-formed value of `algorithm`.
fn check_parts<'a>(algorithm: ChecksumAlgorithm, parts: impl IntoIterator<Item = &'a Checksum>) -> S3Result<()> {
    for (index, part) in parts.into_iter().enumerate() {
        if part.algorithm != algorithm {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("Part {} has a {} checksum; the upload uses {}.", index.saturating_add(1), part.algorithm, algorithm),
            ));
        }
        if part.bytes.len() != algorithm.digest_len() {
            return Err(invalid_value(algorithm));
        }
    }
    Ok(())
}

/// The multipart COMPOSITE checksum: `base64(hash(concat of raw part checksums)) + "-N"`.
///
/// Every part must carry a checksum of `algorithm`; no parts at all is `InvalidRequest`
/// (S3 never forms a `-0` value).
pub fn composite_checksum(algorithm: ChecksumAlgorithm, parts: &[Checksum]) -> S3Result<String> {
    if parts.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "A composite checksum needs at least one part."));
    }
    check_parts(algorithm, parts)?;
    let mut hasher = Checksummer::new(algorithm);
    for part in parts {
        hasher.update(&part.bytes);
    }
    Ok(format!("{}-{}", hasher.finalize().to_base64(), parts.len()))
}

/// The multipart FULL_OBJECT checksum of CRC32/CRC32C/CRC64NVME from the parts' CRCs
/// and lengths, without reading the data (CRC combine). The result is the CRC of the
/// concatenated parts; no parts gives the CRC of the empty object.
///
/// SHA algorithms cannot be combined: `InvalidRequest`.
pub fn combine_full_object(algorithm: ChecksumAlgorithm, parts: &[(Checksum, u64)]) -> S3Result<Checksum> {
    let combiner = match algorithm {
        ChecksumAlgorithm::Crc32 => CrcCombiner::crc32(),
        ChecksumAlgorithm::Crc32c => CrcCombiner::crc32c(),
        ChecksumAlgorithm::Crc64Nvme => CrcCombiner::crc64_nvme(),
        ChecksumAlgorithm::Sha1 | ChecksumAlgorithm::Sha256 => {
            return Err(S3Error::with_message(
                S3ErrorCode::InvalidRequest,
                format!("The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.", algorithm.as_str().to_ascii_lowercase()),
            ))
        }
    };
    check_parts(algorithm, parts.iter().map(|(checksum, _)| checksum))?;
    let mut whole = 0u64;
    for (part, len) in parts {
        let crc = part.crc_value().ok_or_else(|| invalid_value(algorithm))?;
        whole = combiner.combine(whole, crc, *len);
    }
    let digest_len = algorithm.digest_len();
    let bytes = whole.to_be_bytes().get(8usize.saturating_sub(digest_len)..).unwrap_or_default().to_vec();
    Ok(Checksum { algorithm, bytes })
}

/// The S3 multipart ETag (unquoted): `hex(md5(concat of the parts' binary MD5s)) + "-N"`.
pub fn multipart_etag(part_md5s: &[[u8; 16]]) -> String {
    let mut md5 = Md5::new();
    for part in part_md5s {
        md5.update(part);
    }
    format!("{}-{}", hex::encode(md5.finalize()), part_md5s.len())
}
