//! The `x-amz-content-sha256` modes: how a request body is covered by its signature.
//!
//! Parses the header value into a [`PayloadMode`]; it does not read or hash bodies (the
//! server checks `Sha256` against the body, the chunked decoder checks chunk signatures).

use http::HeaderMap;

use crate::error::{S3Error, S3ErrorCode, S3Result};

pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
pub const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
pub const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
pub const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";
pub const STREAMING_ECDSA: &str = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD";
pub const STREAMING_ECDSA_TRAILER: &str = "STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER";

/// The header naming the payload mode.
pub const X_AMZ_CONTENT_SHA256: &str = "x-amz-content-sha256";

/// How the request body is covered by the signature, from `x-amz-content-sha256`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadMode {
    /// `UNSIGNED-PAYLOAD` (also: presigned URLs, V2, anonymous requests).
    Unsigned,
    /// A hex SHA-256 the server must check against the body.
    Sha256([u8; 32]),
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD`: aws-chunked body, every chunk signed.
    StreamingSigned,
    /// `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER`: signed chunks and a signed trailer.
    StreamingSignedTrailer,
    /// `STREAMING-UNSIGNED-PAYLOAD-TRAILER`: aws-chunked body without chunk signatures.
    StreamingUnsignedTrailer,
}

impl PayloadMode {
    /// The body is aws-chunked.
    pub fn is_streaming(self) -> bool {
        matches!(self, PayloadMode::StreamingSigned | PayloadMode::StreamingSignedTrailer | PayloadMode::StreamingUnsignedTrailer)
    }

    /// Chunks carry signatures that need the request's signing key.
    pub fn is_signed_streaming(self) -> bool {
        matches!(self, PayloadMode::StreamingSigned | PayloadMode::StreamingSignedTrailer)
    }

    /// The aws-chunked body ends with trailing headers.
    pub fn has_trailer(self) -> bool {
        matches!(self, PayloadMode::StreamingSignedTrailer | PayloadMode::StreamingUnsignedTrailer)
    }

    /// Parses one `x-amz-content-sha256` value.
    pub fn parse(value: &str) -> S3Result<PayloadMode> {
        match value {
            UNSIGNED_PAYLOAD => return Ok(PayloadMode::Unsigned),
            STREAMING_SIGNED => return Ok(PayloadMode::StreamingSigned),
            STREAMING_SIGNED_TRAILER => return Ok(PayloadMode::StreamingSignedTrailer),
            STREAMING_UNSIGNED_TRAILER => return Ok(PayloadMode::StreamingUnsignedTrailer),
            STREAMING_ECDSA | STREAMING_ECDSA_TRAILER => {
                return Err(S3Error::with_message(S3ErrorCode::NotImplemented, format!("x-amz-content-sha256 {value} (SigV4a) is not supported")))
            }
            _ => {}
        }
        let mut digest = [0u8; 32];
        if value.len() == 64 && hex::decode_to_slice(value, &mut digest).is_ok() {
            return Ok(PayloadMode::Sha256(digest));
        }
        Err(invalid_value(value))
    }
}

fn invalid_value(value: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a SHA-256 hex digest, or a STREAMING-... value")
        .extra("ArgumentName", X_AMZ_CONTENT_SHA256)
        .extra("ArgumentValue", value)
}

/// The raw `x-amz-content-sha256` value, if the request has one. A value that is not
/// visible ASCII, or several values, are rejected.
pub fn content_sha256_header(headers: &HeaderMap) -> S3Result<Option<&str>> {
    let mut values = headers.get_all(X_AMZ_CONTENT_SHA256).iter();
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "x-amz-content-sha256 must be given only once"));
    }
    first.to_str().map(Some).map_err(|_| invalid_value(&String::from_utf8_lossy(first.as_bytes())))
}

/// The payload mode of a SigV4 header-signed request: `x-amz-content-sha256` is required.
pub fn payload_mode(headers: &HeaderMap) -> S3Result<PayloadMode> {
    match content_sha256_header(headers)? {
        Some(value) => PayloadMode::parse(value),
        None => Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Missing required header for this request: x-amz-content-sha256")),
    }
}

/// The payload mode of a request with no SigV4 signing key: anonymous, SigV2, or presigned
/// (whose canonical request says `UNSIGNED-PAYLOAD`). Without the header the body is
/// unsigned; a hex digest is still checked against the body; the signed streaming modes are
/// rejected because there is no key to check chunk signatures with.
pub fn anonymous_payload_mode(headers: &HeaderMap) -> S3Result<PayloadMode> {
    let Some(value) = content_sha256_header(headers)? else {
        return Ok(PayloadMode::Unsigned);
    };
    let mode = PayloadMode::parse(value)?;
    if mode.is_signed_streaming() {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidRequest,
            format!("x-amz-content-sha256 {value} requires a request signed with AWS Signature Version 4 in the Authorization header"),
        ));
    }
    Ok(mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(value: Option<&str>) -> HeaderMap {
        let mut map = HeaderMap::new();
        if let Some(v) = value {
            map.insert(X_AMZ_CONTENT_SHA256, v.parse().unwrap());
        }
        map
    }

    #[test]
    fn parses_every_mode() {
        let empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        let mut digest = [0u8; 32];
        hex::decode_to_slice(empty, &mut digest).unwrap();
        assert_eq!(PayloadMode::parse(empty), Ok(PayloadMode::Sha256(digest)));
        assert_eq!(PayloadMode::parse(&empty.to_uppercase()), Ok(PayloadMode::Sha256(digest)));
        assert_eq!(PayloadMode::parse(UNSIGNED_PAYLOAD), Ok(PayloadMode::Unsigned));
        assert_eq!(PayloadMode::parse(STREAMING_SIGNED), Ok(PayloadMode::StreamingSigned));
        assert_eq!(PayloadMode::parse(STREAMING_SIGNED_TRAILER), Ok(PayloadMode::StreamingSignedTrailer));
        assert_eq!(PayloadMode::parse(STREAMING_UNSIGNED_TRAILER), Ok(PayloadMode::StreamingUnsignedTrailer));
        assert!(PayloadMode::StreamingSignedTrailer.has_trailer());
        assert!(!PayloadMode::Unsigned.is_streaming());
    }

    #[test]
    fn rejects_ecdsa_as_not_implemented_and_garbage_as_invalid_argument() {
        assert_eq!(PayloadMode::parse(STREAMING_ECDSA).unwrap_err().code, S3ErrorCode::NotImplemented);
        assert_eq!(PayloadMode::parse(STREAMING_ECDSA_TRAILER).unwrap_err().code, S3ErrorCode::NotImplemented);
        for bad in ["", "garbage", "unsigned-payload", &"g".repeat(64), &"a".repeat(63)] {
            let err = PayloadMode::parse(bad).unwrap_err();
            assert_eq!(err.code, S3ErrorCode::InvalidArgument, "{bad}");
            assert!(err.message.starts_with("x-amz-content-sha256 must be UNSIGNED-PAYLOAD"));
        }
    }

    #[test]
    fn header_signed_requests_need_the_header() {
        let err = payload_mode(&headers(None)).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidRequest);
        assert_eq!(err.message, "Missing required header for this request: x-amz-content-sha256");
        assert_eq!(payload_mode(&headers(Some(STREAMING_SIGNED))), Ok(PayloadMode::StreamingSigned));
    }

    #[test]
    fn anonymous_requests_cannot_use_signed_streaming() {
        assert_eq!(anonymous_payload_mode(&headers(None)), Ok(PayloadMode::Unsigned));
        assert_eq!(anonymous_payload_mode(&headers(Some(STREAMING_UNSIGNED_TRAILER))), Ok(PayloadMode::StreamingUnsignedTrailer));
        for mode in [STREAMING_SIGNED, STREAMING_SIGNED_TRAILER] {
            let err = anonymous_payload_mode(&headers(Some(mode))).unwrap_err();
            assert_eq!(err.code, S3ErrorCode::InvalidRequest);
        }
    }
}
