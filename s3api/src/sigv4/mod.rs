//! AWS Signature Version 4 (and legacy V2) verification of S3 requests.
//!
//! Owns parsing the authentication a request claims ([`parse`]) and checking it against the
//! secret the caller looked up ([`SignedRequest::verify`]). It never looks up users or
//! secrets, reads the clock or touches bodies: chunk signatures are checked by the chunked
//! decoder with the [`ChunkSigner`] verification hands back.

mod authorization;
pub mod canonical;
mod payload;
mod presigned;
pub mod signer;
mod streaming;
mod time;
mod v2;
mod v4;

#[cfg(test)]
mod tests;

use chrono::{DateTime, Utc};
use http::request::Parts;

use crate::error::{S3Error, S3ErrorCode, S3Result};

pub use payload::{
    anonymous_payload_mode, payload_mode, PayloadMode, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER, UNSIGNED_PAYLOAD,
};
pub use streaming::{signatures_equal, ChunkSigner, EMPTY_SHA256_HEX};
pub use time::{MAX_PRESIGNED_EXPIRES, MAX_SKEW};
pub use v2::promote_query_headers;

/// Which authentication scheme a request used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    /// `Authorization: AWS4-HMAC-SHA256 ...`
    V4Header,
    /// `X-Amz-Algorithm=AWS4-HMAC-SHA256&...` (presigned URL)
    V4Presigned,
    /// `Authorization: AWS AKID:signature`
    V2Header,
    /// `AWSAccessKeyId=...&Expires=...&Signature=...`
    V2Query,
}

/// The claim a request makes about who signed it, parsed but not yet verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    claim: Claim,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Claim {
    V4(Box<v4::V4Claim>),
    V2(v2::V2Claim),
}

/// What a verified request tells the rest of the pipeline about its body.
#[derive(Debug, Clone)]
pub struct Verified {
    pub payload: PayloadMode,
    /// Present for the two signed streaming modes: what the chunked decoder needs to check
    /// each chunk signature (signing key, x-amz-date, scope, seed signature = this
    /// request's signature).
    pub chunk_signer: Option<ChunkSigner>,
}

/// Parses the authentication of a request. `Ok(None)` = anonymous (no `Authorization`
/// header and no signature query parameters). A request carrying more than one mechanism
/// -> InvalidArgument; a malformed header -> AuthorizationHeaderMalformed (or
/// InvalidArgument for an unknown scheme); malformed query parameters ->
/// AuthorizationQueryParametersError; SigV4a -> NotImplemented.
pub fn parse(parts: &Parts) -> S3Result<Option<SignedRequest>> {
    let mut authorizations = parts.headers.get_all(http::header::AUTHORIZATION).iter();
    let header = authorizations.next();
    if authorizations.next().is_some() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Only one Authorization header may be given").extra("ArgumentName", "Authorization"));
    }
    let params = presigned::QueryParams::parse(parts.uri.query().unwrap_or(""));
    let v4_query = presigned::is_presigned(&params);
    let v2_query = v2::is_query_auth(&params);
    if usize::from(header.is_some()) + usize::from(v4_query) + usize::from(v2_query) > 1 {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query \
             string parameter or the Authorization header should be specified",
        )
        .extra("ArgumentName", "Authorization")
        // The scheme only: the rest of the header may be a credential.
        .extra("ArgumentValue", header.map(|v| String::from_utf8_lossy(v.as_bytes()).split(' ').next().unwrap_or_default().to_owned()).unwrap_or_default()));
    }
    let claim = if let Some(value) = header {
        let value = value
            .to_str()
            .map_err(|_| S3Error::with_message(S3ErrorCode::InvalidArgument, "Unsupported Authorization Type").extra("ArgumentName", "Authorization"))?;
        match authorization::parse_authorization(value)? {
            authorization::HeaderAuth::V4 { credential, signed_headers, signature } => {
                Claim::V4(Box::new(v4::V4Claim::from_header(credential, signed_headers, signature, parts)))
            }
            authorization::HeaderAuth::V2 { access_key_id, signature } => {
                Claim::V2(v2::V2Claim { access_key_id, signature, session_token: header_session_token(parts), expires: None })
            }
        }
    } else if v4_query {
        Claim::V4(Box::new(v4::V4Claim::from_presigned(presigned::parse(&params)?)))
    } else if v2_query {
        let mut claim = v2::parse_query(&params)?;
        if claim.session_token.is_none() {
            claim.session_token = header_session_token(parts);
        }
        Claim::V2(claim)
    } else {
        return Ok(None);
    };
    Ok(Some(SignedRequest { claim }))
}

fn header_session_token(parts: &Parts) -> Option<String> {
    parts.headers.get("x-amz-security-token").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
}

impl SignedRequest {
    /// The authentication scheme used.
    pub fn kind(&self) -> AuthKind {
        match &self.claim {
            Claim::V4(c) if c.presigned.is_some() => AuthKind::V4Presigned,
            Claim::V4(_) => AuthKind::V4Header,
            Claim::V2(c) if c.expires.is_some() => AuthKind::V2Query,
            Claim::V2(_) => AuthKind::V2Header,
        }
    }

    /// The access key the request claims to be signed with.
    pub fn access_key_id(&self) -> &str {
        match &self.claim {
            Claim::V4(c) => &c.credential.access_key_id,
            Claim::V2(c) => &c.access_key_id,
        }
    }

    /// `X-Amz-Security-Token`: the header for header auth, the query parameter for
    /// presigned URLs.
    pub fn session_token(&self) -> Option<&str> {
        match &self.claim {
            Claim::V4(c) => c.session_token.as_deref(),
            Claim::V2(c) => c.session_token.as_deref(),
        }
    }

    /// Verifies the signature with the secret the caller looked up for
    /// [`access_key_id`](Self::access_key_id).
    ///
    /// `vhost_bucket` is the bucket taken from the Host header of a virtual-host-style
    /// request (V2 needs it for the canonical resource). `region` is the server's region: a
    /// V4 credential scope naming another -> AuthorizationHeaderMalformed (presigned:
    /// AuthorizationQueryParametersError) with a `Region` element. Header-signed requests
    /// more than 15 minutes from `now` -> RequestTimeTooSkewed; presigned URLs expired ->
    /// AccessDenied "Request has expired", dated more than 15 minutes ahead -> AccessDenied
    /// "Request is not valid yet"; a wrong signature -> SignatureDoesNotMatch with the
    /// string to sign (compared in constant time).
    pub fn verify(&self, parts: &Parts, vhost_bucket: Option<&str>, region: &str, secret_access_key: &str, now: DateTime<Utc>) -> S3Result<Verified> {
        match &self.claim {
            Claim::V4(claim) => v4::verify(claim, parts, region, secret_access_key, now),
            Claim::V2(claim) => v2::verify(claim, parts, vhost_bucket, secret_access_key, now),
        }
    }
}
