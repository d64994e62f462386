//! Failures of aws-chunked decoding, and the S3 error each one is answered with.
//!
//! Only the error type and its mapping live here; the decoder decides when to fail.

use crate::error::{S3Error, S3ErrorCode};

/// Why an aws-chunked body was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChunkedError {
    /// Input ended before the body was complete.
    #[error("The aws-chunked body ended before {expected}.")]
    Truncated { expected: &'static str },
    #[error("An aws-chunked chunk header is longer than {limit} bytes.")]
    ChunkHeaderTooLong { limit: usize },
    /// A line ended with `\n` alone: aws-chunked lines end with CRLF.
    #[error("An aws-chunked {what} line does not end with CRLF.")]
    BareLineFeed { what: &'static str },
    #[error("An aws-chunked chunk size is not a hexadecimal number.")]
    InvalidChunkSize,
    #[error("An aws-chunked chunk size is too large to represent.")]
    ChunkSizeOverflow,
    #[error("An aws-chunked chunk of {size} bytes exceeds the limit of {limit} bytes.")]
    ChunkTooLarge { size: u64, limit: u64 },
    /// A signed body's chunk header lacks a well-formed `;chunk-signature=<64 hex>`.
    #[error("An aws-chunked chunk header has no valid chunk-signature.")]
    MalformedChunkHeader,
    #[error("An aws-chunked chunk's data is not followed by CRLF.")]
    MissingDataCrlf,
    #[error("The chunk signature we calculated does not match the signature you provided.")]
    ChunkSignatureMismatch,
    #[error("The aws-chunked trailers are longer than {limit} bytes.")]
    TrailerTooLarge { limit: usize },
    #[error("Malformed aws-chunked trailer: {0}.")]
    MalformedTrailer(&'static str),
    /// A trailer line in a body whose mode has no trailers.
    #[error("The aws-chunked body has trailers, but its x-amz-content-sha256 allows none.")]
    UnexpectedTrailer,
    #[error("The aws-chunked trailer {0} appears more than once.")]
    DuplicateTrailer(String),
    #[error("The aws-chunked trailers are not signed (no x-amz-trailer-signature).")]
    MissingTrailerSignature,
    #[error("The trailer signature we calculated does not match the signature you provided.")]
    TrailerSignatureMismatch,
    #[error("The aws-chunked body decodes to more than {limit} bytes.")]
    DecodedLengthExceeded { limit: u64 },
    #[error("Data follows the end of the aws-chunked body.")]
    TrailingData,
}

impl ChunkedError {
    /// The S3 error code this failure is answered with.
    pub fn code(&self) -> S3ErrorCode {
        match self {
            ChunkedError::Truncated { .. } => S3ErrorCode::IncompleteBody,
            ChunkedError::DecodedLengthExceeded { .. } => S3ErrorCode::EntityTooLarge,
            ChunkedError::ChunkSignatureMismatch | ChunkedError::TrailerSignatureMismatch | ChunkedError::MissingTrailerSignature => {
                S3ErrorCode::SignatureDoesNotMatch
            }
            ChunkedError::ChunkHeaderTooLong { .. }
            | ChunkedError::BareLineFeed { .. }
            | ChunkedError::InvalidChunkSize
            | ChunkedError::ChunkSizeOverflow
            | ChunkedError::ChunkTooLarge { .. }
            | ChunkedError::MalformedChunkHeader
            | ChunkedError::MissingDataCrlf
            | ChunkedError::TrailerTooLarge { .. }
            | ChunkedError::MalformedTrailer(_)
            | ChunkedError::UnexpectedTrailer
            | ChunkedError::DuplicateTrailer(_)
            | ChunkedError::TrailingData => S3ErrorCode::InvalidRequest,
        }
    }
}

impl From<ChunkedError> for S3Error {
    fn from(err: ChunkedError) -> Self {
        let code = err.code();
        match code {
            // S3's own wording for signature failures; the detail is in the variant.
            S3ErrorCode::SignatureDoesNotMatch => S3Error::new(code),
            _ => S3Error::with_message(code, err.to_string()),
        }
    }
}
