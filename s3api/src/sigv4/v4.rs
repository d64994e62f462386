//! Verification of SigV4 claims, header-signed and presigned: scope, time, payload mode,
//! signed-header rules, then the signature itself (compared in constant time).
//!
//! Works on a claim already parsed by `authorization` / `presigned` and a secret the caller
//! looked up; it never looks up credentials or reads the clock.

use chrono::{DateTime, Utc};
use http::request::Parts;

use super::authorization::{Credential, Location, SignedHeaders};
use super::canonical;
use super::payload::{anonymous_payload_mode, content_sha256_header, payload_mode, PayloadMode, UNSIGNED_PAYLOAD, X_AMZ_CONTENT_SHA256};
use super::presigned::{Presigned, PresignedWindow, X_AMZ_SIGNATURE};
use super::streaming::{signatures_equal, ChunkSigner};
use super::time::{check_presigned_window, check_skew, format_amz_date, missing_date, parse_amz_date, parse_http_date};
use super::Verified;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// A SigV4 claim from either location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V4Claim {
    pub location: Location,
    pub credential: Credential,
    pub signed_headers: SignedHeaders,
    pub signature: String,
    pub session_token: Option<String>,
    /// Present for presigned URLs.
    pub presigned: Option<PresignedWindow>,
}

impl V4Claim {
    pub fn from_header(credential: Credential, signed_headers: SignedHeaders, signature: String, parts: &Parts) -> Self {
        let session_token = parts.headers.get("x-amz-security-token").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
        V4Claim { location: Location::Header, credential, signed_headers, signature, session_token, presigned: None }
    }

    pub fn from_presigned(p: Presigned) -> Self {
        V4Claim {
            location: Location::Query,
            credential: p.credential,
            signed_headers: p.signed_headers,
            signature: p.signature,
            session_token: p.session_token,
            presigned: Some(p.window),
        }
    }
}

/// `x-amz-*` headers that may be sent without being signed.
fn may_be_unsigned(name: &str, loc: Location) -> bool {
    name == X_AMZ_CONTENT_SHA256 || (loc == Location::Query && matches!(name, "x-amz-user-agent" | "x-amz-checksum-mode"))
}

/// The request time of a header-signed request: `x-amz-date`, else `Date`. Returns the
/// time as sent and in the `x-amz-date` form used in the string to sign.
fn header_request_time(parts: &Parts) -> S3Result<(String, String, DateTime<Utc>)> {
    let headers = &parts.headers;
    if let Some(value) = headers.get("x-amz-date") {
        let raw = value.to_str().map_err(|_| missing_date())?;
        let time = parse_amz_date(raw.trim()).ok_or_else(missing_date)?;
        return Ok((raw.to_owned(), raw.trim().to_owned(), time));
    }
    let value = headers.get(http::header::DATE).ok_or_else(missing_date)?;
    let raw = value.to_str().map_err(|_| missing_date())?;
    let time = parse_http_date(raw).ok_or_else(missing_date)?;
    Ok((raw.to_owned(), format_amz_date(time), time))
}

/// Verifies a SigV4 claim.
pub fn verify(claim: &V4Claim, parts: &Parts, region: &str, secret_access_key: &str, now: DateTime<Utc>) -> S3Result<Verified> {
    let loc = claim.location;
    let credential = &claim.credential;
    if credential.region != region {
        return Err(loc.credential_error(format!("the region '{}' is wrong; expecting '{region}'", credential.region)).extra("Region", region));
    }

    // Time, and the payload line of the canonical request.
    let (amz_date, signed_at, payload_line, payload) = match &claim.presigned {
        Some(p) => {
            check_presigned_window(p.signed_at, p.expires, now)?;
            let (line, mode) = match &p.content_sha256 {
                Some(value) => {
                    let mode = PayloadMode::parse(value)?;
                    if mode.is_streaming() {
                        return Err(S3Error::with_message(
                            S3ErrorCode::InvalidArgument,
                            "X-Amz-Content-Sha256 of a presigned URL must be UNSIGNED-PAYLOAD or a SHA-256 hex digest",
                        ));
                    }
                    (value.clone(), mode)
                }
                None => (UNSIGNED_PAYLOAD.to_owned(), anonymous_payload_mode(&parts.headers)?),
            };
            (p.amz_date.clone(), p.signed_at, line, mode)
        }
        None => {
            let (raw, amz_date, time) = header_request_time(parts)?;
            check_skew(time, &raw, now)?;
            let mode = payload_mode(&parts.headers)?;
            let line = content_sha256_header(&parts.headers)?.unwrap_or_default().to_owned();
            (amz_date, time, line, mode)
        }
    };
    if credential.date != signed_at.date_naive() {
        return Err(loc.credential_error(format!(
            "Invalid credential date \"{}\". This date is not the same as X-Amz-Date: \"{}\".",
            credential.date.format("%Y%m%d"),
            signed_at.format("%Y%m%d"),
        )));
    }

    // Signed-header rules.
    let signed = &claim.signed_headers;
    if !signed.contains("host") {
        return Err(loc.error("the SignedHeaders must include host."));
    }
    let unsigned: Vec<&str> = parts
        .headers
        .keys()
        .map(|name| name.as_str())
        .filter(|name| name.starts_with("x-amz-") && !signed.contains(name) && !may_be_unsigned(name, loc))
        .collect();
    if !unsigned.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::AccessDenied, "There were headers present in the request which were not signed")
            .extra("HeadersNotSigned", unsigned.join(", ")));
    }
    let authority = parts.uri.authority().map(|a| a.as_str());
    let canonical_headers = canonical::canonical_headers(&parts.headers, authority, &signed.names).map_err(|missing| {
        S3Error::with_message(S3ErrorCode::AccessDenied, format!("The header '{missing}' is named in SignedHeaders but is not present in the request"))
    })?;

    // The signature.
    let exclude = claim.presigned.as_ref().map(|_| X_AMZ_SIGNATURE);
    let canonical_request = canonical::canonical_request(
        parts.method.as_str(),
        &canonical::canonical_uri(parts.uri.path()),
        &canonical::canonical_query(parts.uri.query().unwrap_or(""), exclude),
        &canonical_headers,
        &signed.raw,
        &payload_line,
    );
    let scope = credential.scope();
    let string_to_sign = canonical::string_to_sign(&amz_date, &scope, &canonical_request);
    let key = canonical::signing_key(secret_access_key, credential.date, &credential.region, &credential.service);
    let expected = canonical::signature(&key, &string_to_sign);
    if !signatures_equal(&expected, &claim.signature) {
        return Err(S3Error::new(S3ErrorCode::SignatureDoesNotMatch)
            .extra("AWSAccessKeyId", credential.access_key_id.clone())
            .extra("StringToSign", string_to_sign)
            .extra("SignatureProvided", claim.signature.clone())
            .extra("CanonicalRequest", String::from_utf8_lossy(&canonical_request).into_owned()));
    }
    let chunk_signer = payload.is_signed_streaming().then(|| ChunkSigner::new(key, amz_date, scope, claim.signature.clone()));
    Ok(Verified { payload, chunk_signer })
}
