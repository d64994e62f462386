//! Parsing the SigV4 query-string authentication of presigned URLs (`X-Amz-Algorithm`,
//! `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`,
//! `X-Amz-Signature`, `X-Amz-Security-Token`), and the decoded query parameters the
//! authentication schemes read.
//!
//! Syntax and static limits only: the validity window against the clock and the
//! signature are checked by `verify`.

use chrono::{DateTime, Utc};

use super::authorization::{Credential, Location, SignedHeaders, ALGORITHM_ECDSA};
use super::canonical::{query_pairs, ALGORITHM};
use super::time::{parse_amz_date, MAX_PRESIGNED_EXPIRES};
use crate::error::{S3Error, S3ErrorCode, S3Result};

pub const X_AMZ_ALGORITHM: &str = "X-Amz-Algorithm";
pub const X_AMZ_CREDENTIAL: &str = "X-Amz-Credential";
pub const X_AMZ_DATE: &str = "X-Amz-Date";
pub const X_AMZ_EXPIRES: &str = "X-Amz-Expires";
pub const X_AMZ_SIGNED_HEADERS: &str = "X-Amz-SignedHeaders";
pub const X_AMZ_SIGNATURE: &str = "X-Amz-Signature";
pub const X_AMZ_SECURITY_TOKEN: &str = "X-Amz-Security-Token";
pub const X_AMZ_CONTENT_SHA256: &str = "X-Amz-Content-Sha256";

/// The decoded parameters of a query string.
#[derive(Debug, Clone, Default)]
pub struct QueryParams {
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

impl QueryParams {
    pub fn parse(raw_query: &str) -> QueryParams {
        QueryParams { pairs: query_pairs(raw_query) }
    }

    pub fn has(&self, name: &str) -> bool {
        self.pairs.iter().any(|(n, _)| n.as_slice() == name.as_bytes())
    }

    /// The value of a parameter that may appear at most once and must be UTF-8; `error`
    /// builds the error for a repeated or undecodable parameter from its name.
    pub fn get(&self, name: &str, error: impl Fn(String) -> S3Error) -> S3Result<Option<String>> {
        let mut found = self.pairs.iter().filter(|(n, _)| n.as_slice() == name.as_bytes());
        let Some((_, value)) = found.next() else {
            return Ok(None);
        };
        if found.next().is_some() {
            return Err(error(format!("{name} must be given only once.")));
        }
        String::from_utf8(value.clone()).map(Some).map_err(|_| error(format!("{name} is not valid UTF-8.")))
    }
}

/// What a presigned V4 URL claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presigned {
    pub credential: Credential,
    pub signed_headers: SignedHeaders,
    pub signature: String,
    pub session_token: Option<String>,
    pub window: PresignedWindow,
}

/// The validity window and payload hash of a presigned URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedWindow {
    /// `X-Amz-Date` as sent; part of the string to sign.
    pub amz_date: String,
    pub signed_at: DateTime<Utc>,
    /// `X-Amz-Expires`, 0 to 604800 seconds (0 is always expired).
    pub expires: i64,
    /// `X-Amz-Content-Sha256`, when the URL signs a payload hash instead of `UNSIGNED-PAYLOAD`.
    pub content_sha256: Option<String>,
}

/// The query parameters whose presence makes a request SigV4 query-authenticated.
pub fn is_presigned(params: &QueryParams) -> bool {
    [X_AMZ_ALGORITHM, X_AMZ_CREDENTIAL, X_AMZ_SIGNATURE].iter().any(|name| params.has(name))
}

fn query_error(message: impl Into<std::borrow::Cow<'static, str>>) -> S3Error {
    S3Error::with_message(S3ErrorCode::AuthorizationQueryParametersError, message)
}

/// Parses the `X-Amz-*` authentication parameters of a presigned URL.
pub fn parse(params: &QueryParams) -> S3Result<Presigned> {
    let get = |name| params.get(name, query_error);
    let algorithm = get(X_AMZ_ALGORITHM)?;
    match algorithm.as_deref() {
        Some(ALGORITHM) | None => {}
        Some(ALGORITHM_ECDSA) => {
            return Err(S3Error::with_message(
                S3ErrorCode::NotImplemented,
                "AWS Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; sign with AWS4-HMAC-SHA256",
            ))
        }
        Some(_) => return Err(query_error("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"")),
    }
    let (Some(_), Some(credential), Some(signature), Some(amz_date), Some(signed_headers), Some(expires)) =
        (algorithm, get(X_AMZ_CREDENTIAL)?, get(X_AMZ_SIGNATURE)?, get(X_AMZ_DATE)?, get(X_AMZ_SIGNED_HEADERS)?, get(X_AMZ_EXPIRES)?)
    else {
        return Err(query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, \
             X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    };
    let loc = Location::Query;
    let credential = Credential::parse(&credential, loc)?;
    let Some(signed_at) = parse_amz_date(&amz_date) else {
        return Err(query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""));
    };
    let expires = parse_expires(&expires)?;
    let signed_headers = SignedHeaders::parse(&signed_headers, loc)?;
    if signature.is_empty() {
        return Err(query_error("X-Amz-Signature must not be empty."));
    }
    Ok(Presigned {
        credential,
        signed_headers,
        signature,
        session_token: get(X_AMZ_SECURITY_TOKEN)?,
        window: PresignedWindow { amz_date, signed_at, expires, content_sha256: get(X_AMZ_CONTENT_SHA256)? },
    })
}

/// `X-Amz-Expires`, with AWS's messages for a value out of range. Zero parses: AWS
/// answers it as an expired request (`time::check_presigned_window`).
fn parse_expires(value: &str) -> S3Result<i64> {
    let Ok(expires) = value.parse::<i64>() else {
        return Err(query_error("X-Amz-Expires should be a number"));
    };
    if expires < 0 {
        return Err(query_error("X-Amz-Expires must be non-negative"));
    }
    if expires > MAX_PRESIGNED_EXPIRES {
        return Err(query_error(EXPIRES_TOO_LONG));
    }
    Ok(expires)
}

/// AWS's message for an `X-Amz-Expires` over [`MAX_PRESIGNED_EXPIRES`].
const EXPIRES_TOO_LONG: &str = "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds";

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256\
        &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
        &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
        &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";

    fn parse_str(query: &str) -> S3Result<Presigned> {
        parse(&QueryParams::parse(query))
    }

    fn message(query: &str) -> String {
        let err = parse_str(query).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::AuthorizationQueryParametersError, "{}", err.message);
        err.message.into_owned()
    }

    #[test]
    fn parses_the_documented_presigned_url() {
        let p = parse_str(EXAMPLE).unwrap();
        assert_eq!(p.credential.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(p.credential.scope(), "20130524/us-east-1/s3/aws4_request");
        assert_eq!(p.window.amz_date, "20130524T000000Z");
        assert_eq!(p.window.expires, 86400);
        assert_eq!(p.signed_headers.names, ["host"]);
        assert_eq!(p.session_token, None);
        // The credential may also be sent with its slashes unencoded.
        assert!(parse_str(&EXAMPLE.replace("%2F", "/")).is_ok());
    }

    #[test]
    fn expires_limits() {
        for (value, expected) in [
            ("604801", "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"),
            ("99999999999999999999", "X-Amz-Expires should be a number"),
            ("-1", "X-Amz-Expires must be non-negative"),
            ("soon", "X-Amz-Expires should be a number"),
            ("", "X-Amz-Expires should be a number"),
        ] {
            assert_eq!(message(&EXAMPLE.replace("X-Amz-Expires=86400", &format!("X-Amz-Expires={value}"))), expected);
        }
        assert_eq!(parse_str(&EXAMPLE.replace("X-Amz-Expires=86400", "X-Amz-Expires=604800")).unwrap().window.expires, 604800);
        assert_eq!(parse_str(&EXAMPLE.replace("X-Amz-Expires=86400", "X-Amz-Expires=1")).unwrap().window.expires, 1);
        assert_eq!(parse_str(&EXAMPLE.replace("X-Amz-Expires=86400", "X-Amz-Expires=0")).unwrap().window.expires, 0);
    }

    #[test]
    fn malformed_parameters() {
        assert!(message(&EXAMPLE.replace("&X-Amz-Expires=86400", "")).starts_with("Query-string authentication version 4 requires"));
        assert!(message(&EXAMPLE.replace("20130524T000000Z", "2013-05-24")).starts_with("X-Amz-Date must be"));
        assert!(message(&EXAMPLE.replace("AWS4-HMAC-SHA256", "AWS4-HMAC-SHA1")).starts_with("X-Amz-Algorithm only supports"));
        assert!(message(&EXAMPLE.replace("%2Fs3%2F", "%2Fiam%2F")).contains("incorrect service"));
        assert!(message(&EXAMPLE.replace("%2Fus-east-1", "")).contains("the Credential is mal-formed"));
        assert!(message(&format!("{EXAMPLE}&X-Amz-Date=20130524T000000Z")).contains("only once"));
        let err = parse_str(&EXAMPLE.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::NotImplemented);
    }

    #[test]
    fn query_params_decode_and_detect() {
        let params = QueryParams::parse("a=1+2%2B&b&X-Amz-Signature=x");
        assert_eq!(params.get("a", query_error).unwrap().as_deref(), Some("1 2+"));
        assert_eq!(params.get("b", query_error).unwrap().as_deref(), Some(""));
        assert_eq!(params.get("c", query_error).unwrap(), None);
        assert!(is_presigned(&params));
        assert!(!is_presigned(&QueryParams::parse("X-Amz-Date=1&prefix=x")));
    }
}
