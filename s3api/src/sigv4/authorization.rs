//! Parsing the `Authorization` header (`AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…,
//! Signature=…` and the legacy `AWS AKID:signature`), and the credential scope and signed
//! header list shared with presigned URLs.
//!
//! Syntax only: it checks nothing that needs the server's region, the clock or a secret.

use chrono::NaiveDate;

use super::canonical::ALGORITHM;
use super::time::parse_scope_date;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The SigV4a algorithm, which Depot does not implement.
pub const ALGORITHM_ECDSA: &str = "AWS4-ECDSA-P256-SHA256";

/// Where a SigV4 signature was found; decides the error code and wording S3 uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    /// The `Authorization` header.
    Header,
    /// The `X-Amz-*` query parameters of a presigned URL.
    Query,
}

impl Location {
    /// An error about the authorization as a whole.
    pub fn error(self, detail: impl std::fmt::Display) -> S3Error {
        match self {
            Location::Header => S3Error::with_message(S3ErrorCode::AuthorizationHeaderMalformed, format!("The authorization header is malformed; {detail}")),
            Location::Query => {
                let detail = detail.to_string();
                let mut chars = detail.chars();
                let message = match chars.next() {
                    Some(first) => first.to_uppercase().chain(chars).collect(),
                    None => String::new(),
                };
                S3Error::with_message(S3ErrorCode::AuthorizationQueryParametersError, message)
            }
        }
    }

    /// An error about the credential scope.
    pub fn credential_error(self, detail: impl std::fmt::Display) -> S3Error {
        match self {
            Location::Header => self.error(detail),
            Location::Query => self.error(format!("Error parsing the X-Amz-Credential parameter; {detail}")),
        }
    }
}

/// `AKID/YYYYMMDD/region/service/aws4_request`, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub access_key_id: String,
    pub date: NaiveDate,
    pub region: String,
    pub service: String,
}

impl Credential {
    /// Parses a credential; the service must be `s3` and the terminator `aws4_request`.
    pub fn parse(value: &str, loc: Location) -> S3Result<Credential> {
        let malformed = || loc.credential_error("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".");
        let mut parts = value.rsplitn(5, '/');
        let (Some(terminator), Some(service), Some(region), Some(date), Some(access_key_id)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        if access_key_id.is_empty() || region.is_empty() || service.is_empty() {
            return Err(malformed());
        }
        let Some(date) = parse_scope_date(date) else {
            return Err(loc.credential_error(format!("Invalid credential date \"{date}\".")));
        };
        if service != "s3" {
            return Err(loc.credential_error(format!("incorrect service \"{service}\". This endpoint belongs to \"s3\".")));
        }
        if terminator != "aws4_request" {
            return Err(loc.credential_error(format!("incorrect terminal \"{terminator}\". This endpoint uses \"aws4_request\".")));
        }
        Ok(Credential { access_key_id: access_key_id.to_owned(), date, region: region.to_owned(), service: service.to_owned() })
    }

    /// The credential scope `YYYYMMDD/region/s3/aws4_request`.
    pub fn scope(&self) -> String {
        super::canonical::scope(self.date, &self.region, &self.service)
    }
}

/// A `SignedHeaders` list: the string as sent (it is part of the canonical request) and the
/// lower-case names in that order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub raw: String,
    pub names: Vec<String>,
}

impl SignedHeaders {
    pub fn parse(value: &str, loc: Location) -> S3Result<SignedHeaders> {
        let mut names = Vec::new();
        for name in value.split(';') {
            if name.is_empty() || http::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(loc.error(format!("SignedHeaders \"{value}\" is not a ';'-separated list of header names.")));
            }
            names.push(name.to_ascii_lowercase());
        }
        Ok(SignedHeaders { raw: value.to_owned(), names })
    }

    pub fn contains(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }
}

/// What an `Authorization` header claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderAuth {
    V4 { credential: Credential, signed_headers: SignedHeaders, signature: String },
    V2 { access_key_id: String, signature: String },
}

/// Parses an `Authorization` header value.
pub fn parse_authorization(value: &str) -> S3Result<HeaderAuth> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    match scheme {
        ALGORITHM => parse_v4(rest.trim_start()),
        ALGORITHM_ECDSA => Err(S3Error::with_message(
            S3ErrorCode::NotImplemented,
            "AWS Signature Version 4A (AWS4-ECDSA-P256-SHA256) is not supported; sign with AWS4-HMAC-SHA256",
        )),
        "AWS" => parse_v2(rest.trim_start()),
        // Only the scheme goes back: the rest may be a credential (a bearer token).
        _ => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "Unsupported Authorization Type")
            .extra("ArgumentName", "Authorization")
            .extra("ArgumentValue", scheme)),
    }
}

fn parse_v4(rest: &str) -> S3Result<HeaderAuth> {
    let loc = Location::Header;
    let missing = || loc.error("the authorization header requires three components: Credential, SignedHeaders, and Signature.");
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for component in rest.split(',') {
        let component = component.trim();
        if component.is_empty() {
            continue;
        }
        let Some((name, value)) = component.split_once('=') else {
            return Err(loc.error(format!("the component \"{component}\" is not of the form name=value.")));
        };
        let slot = match name.trim() {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            other => return Err(loc.error(format!("unknown component \"{other}\"."))),
        };
        if slot.replace(value.trim()).is_some() {
            return Err(loc.error(format!("the component \"{}\" is given more than once.", name.trim())));
        }
    }
    let (Some(credential), Some(signed_headers), Some(signature)) = (credential, signed_headers, signature) else {
        return Err(missing());
    };
    if signature.is_empty() {
        return Err(missing());
    }
    Ok(HeaderAuth::V4 {
        credential: Credential::parse(credential, loc)?,
        signed_headers: SignedHeaders::parse(signed_headers, loc)?,
        signature: signature.to_owned(),
    })
}

fn parse_v2(rest: &str) -> S3Result<HeaderAuth> {
    match rest.rsplit_once(':') {
        Some((access_key_id, signature)) if !access_key_id.is_empty() && !signature.is_empty() => {
            Ok(HeaderAuth::V2 { access_key_id: access_key_id.to_owned(), signature: signature.to_owned() })
        }
        _ => Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature")
            .extra("ArgumentName", "Authorization")
            .extra("ArgumentValue", format!("AWS {rest}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, \
        SignedHeaders=host;range;x-amz-date, \
        Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024";

    fn code(value: &str) -> S3ErrorCode {
        parse_authorization(value).unwrap_err().code
    }

    #[test]
    fn parses_the_documented_v4_header() {
        let HeaderAuth::V4 { credential, signed_headers, signature } = parse_authorization(GOOD).unwrap() else {
            panic!("not V4");
        };
        assert_eq!(credential.access_key_id, "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(credential.scope(), "20130524/us-east-1/s3/aws4_request");
        assert_eq!(signed_headers.raw, "host;range;x-amz-date");
        assert_eq!(signed_headers.names, ["host", "range", "x-amz-date"]);
        assert_eq!(signature, "fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024");
        // Without spaces after the commas, and components in another order.
        let compact = "AWS4-HMAC-SHA256 Signature=abc,Credential=AK/20130524/us-east-1/s3/aws4_request,SignedHeaders=host";
        assert!(matches!(parse_authorization(compact), Ok(HeaderAuth::V4 { .. })));
    }

    #[test]
    fn malformed_v4_headers() {
        let malformed = S3ErrorCode::AuthorizationHeaderMalformed;
        assert_eq!(code("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host"), malformed);
        assert_eq!(code("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3, SignedHeaders=host, Signature=a"), malformed);
        assert_eq!(code("AWS4-HMAC-SHA256 Credential=AK/2013054/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=a"), malformed);
        assert_eq!(code("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;;a, Signature=a"), malformed);
        assert_eq!(code("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, Foo=1, SignedHeaders=host, Signature=a"), malformed);
        assert_eq!(code("AWS4-HMAC-SHA256 Signature=a, Signature=b, Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host"), malformed);
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=a").unwrap_err();
        assert_eq!(err.code, malformed);
        assert!(err.message.contains("incorrect service \"iam\""), "{}", err.message);
        let err = parse_authorization("AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws5_request, SignedHeaders=host, Signature=a").unwrap_err();
        assert!(err.message.contains("incorrect terminal \"aws5_request\""), "{}", err.message);
    }

    #[test]
    fn unsupported_schemes() {
        assert_eq!(code("Bearer abc"), S3ErrorCode::InvalidArgument);
        // A bearer token is a credential: the error document names the scheme only.
        let err = parse_authorization("Bearer eyJhbGciOi.secret.token").unwrap_err();
        let xml = err.to_xml("req");
        assert!(xml.contains("<ArgumentValue>Bearer</ArgumentValue>") && !xml.contains("secret"), "{xml}");
        assert_eq!(code(""), S3ErrorCode::InvalidArgument);
        assert_eq!(code("AWS4-ECDSA-P256-SHA256 Credential=AK/20130524/s3/aws4_request, SignedHeaders=host, Signature=a"), S3ErrorCode::NotImplemented);
    }

    #[test]
    fn parses_v2_headers() {
        assert_eq!(
            parse_authorization("AWS AKIAIOSFODNN7EXAMPLE:bWq2s1WEIj+Ydj0vQ697zp+IXMU=").unwrap(),
            HeaderAuth::V2 { access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(), signature: "bWq2s1WEIj+Ydj0vQ697zp+IXMU=".to_owned() }
        );
        assert_eq!(code("AWS AKIAIOSFODNN7EXAMPLE"), S3ErrorCode::InvalidArgument);
        assert_eq!(code("AWS :sig"), S3ErrorCode::InvalidArgument);
        assert_eq!(code("AWS AK:"), S3ErrorCode::InvalidArgument);
    }
}
