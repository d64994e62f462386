//! Legacy AWS Signature Version 2 for S3: `Authorization: AWS AKID:signature` and the
//! `AWSAccessKeyId` / `Expires` / `Signature` query string, HMAC-SHA1 over the V2 string to
//! sign (canonicalized `x-amz-*` headers and resource with the S3 subresources).
//!
//! Verifies V2 claims only; knows nothing about SigV4 and never looks up secrets itself.

use base64::Engine;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use http::request::Parts;
use http::HeaderMap;
use percent_encoding::percent_decode;
use sha1::Sha1;

use super::payload::anonymous_payload_mode;
use super::presigned::QueryParams;
use super::streaming::signatures_equal;
use super::time::{check_skew, check_v2_expires, missing_date, parse_http_date};
use super::Verified;
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// The subresources the AWS documentation lists for the V2 canonicalized resource.
pub const SUBRESOURCES: &[&str] = &[
    "acl",
    "cors",
    "delete",
    "lifecycle",
    "location",
    "logging",
    "notification",
    "partNumber",
    "policy",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// Subresources added later that some clients (botocore, minio-go) also sign; a request
/// using one is accepted with or without it in the resource.
pub const EXTENDED_SUBRESOURCES: &[&str] =
    &["accelerate", "analytics", "encryption", "inventory", "legal-hold", "metrics", "object-lock", "replication", "retention", "select", "select-type"];

/// What a V2 request claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct V2Claim {
    pub access_key_id: String,
    /// Base64 HMAC-SHA1.
    pub signature: String,
    pub session_token: Option<String>,
    /// The `Expires` query parameter (seconds since the epoch) of query authentication, as
    /// sent and parsed; `None` for header authentication.
    pub expires: Option<(String, i64)>,
}

/// The query parameters whose presence makes a request V2 query-authenticated.
pub fn is_query_auth(params: &QueryParams) -> bool {
    params.has("AWSAccessKeyId") || params.has("Signature")
}

fn query_error(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::AuthorizationQueryParametersError, message)
}

/// A V2 presigned URL carries `Content-Type`, `Content-MD5` and `x-amz-*` headers in its
/// query string (botocore moves them there so that the URL works on its own): they count
/// as request headers, for the signature and for what they ask (metadata, ACL). A header
/// the request also sends keeps the sent value. Nothing happens to other requests.
pub fn promote_query_headers(parts: &mut http::request::Parts) {
    let query = crate::route::Query::parse(parts.uri.query());
    if !(query.has("AWSAccessKeyId") && query.has("Signature")) {
        return;
    }
    for (name, value) in query.iter() {
        let lower = name.to_ascii_lowercase();
        if !(lower.starts_with("x-amz-") || lower == "content-type" || lower == "content-md5") {
            continue;
        }
        if let (Ok(name), Ok(value)) = (http::HeaderName::from_bytes(lower.as_bytes()), http::HeaderValue::from_str(value)) {
            if !parts.headers.contains_key(&name) {
                parts.headers.insert(name, value);
            }
        }
    }
}

/// Parses `AWSAccessKeyId`, `Expires` and `Signature`.
pub fn parse_query(params: &QueryParams) -> S3Result<V2Claim> {
    let (Some(access_key_id), Some(expires), Some(signature)) =
        (params.get("AWSAccessKeyId", query_error)?, params.get("Expires", query_error)?, params.get("Signature", query_error)?)
    else {
        return Err(query_error("Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters".to_owned()));
    };
    let Ok(expires_at) = expires.parse::<i64>() else {
        return Err(S3Error::with_message(S3ErrorCode::AccessDenied, format!("Invalid date (should be seconds since epoch): {expires}")));
    };
    if access_key_id.is_empty() || signature.is_empty() {
        return Err(query_error("AWSAccessKeyId and Signature must not be empty".to_owned()));
    }
    Ok(V2Claim {
        access_key_id,
        // Base64 has no spaces: a `+` left unencoded in the URL was decoded to one.
        signature: signature.replace(' ', "+"),
        session_token: params.get("x-amz-security-token", query_error)?,
        expires: Some((expires, expires_at)),
    })
}

/// The V2 string to sign.
pub fn string_to_sign(method: &str, content_md5: &[u8], content_type: &[u8], date: &[u8], canonical_amz_headers: &[u8], canonical_resource: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [method.as_bytes(), content_md5, content_type, date] {
        out.extend_from_slice(part);
        out.push(b'\n');
    }
    out.extend_from_slice(canonical_amz_headers);
    out.extend_from_slice(canonical_resource);
    out
}

/// The canonicalized `x-amz-*` headers: lower-case names, sorted, several values joined
/// with `,`, each line `name:value\n`. `x-amz-date` is left out when `skip_amz_date`.
pub fn canonical_amz_headers(headers: &HeaderMap, skip_amz_date: bool) -> Vec<u8> {
    let mut names: Vec<&str> =
        headers.keys().map(|name| name.as_str()).filter(|name| name.starts_with("x-amz-") && !(skip_amz_date && *name == "x-amz-date")).collect();
    names.sort_unstable();
    let mut out = Vec::new();
    for name in names {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        for (i, value) in headers.get_all(name).iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.extend_from_slice(value.as_bytes().trim_ascii());
        }
        out.push(b'\n');
    }
    out
}

/// The canonicalized resource: `/bucket` for virtual-host-style requests, the raw path as
/// sent, then the subresources in `subresources` present in the query, sorted, as
/// `?name` or `?name=value` (value percent-decoded) joined with `&`.
pub fn canonical_resource(raw_path: &str, raw_query: &str, vhost_bucket: Option<&str>, subresources: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    if let Some(bucket) = vhost_bucket {
        out.push(b'/');
        out.extend_from_slice(bucket.as_bytes());
    }
    out.extend_from_slice(if raw_path.is_empty() { "/" } else { raw_path }.as_bytes());
    let mut subs: Vec<(&str, Vec<u8>)> = raw_query
        .split('&')
        .filter_map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            subresources.contains(&name).then(|| (name, percent_decode(value.as_bytes()).collect()))
        })
        .collect();
    subs.sort();
    for (i, (name, value)) in subs.iter().enumerate() {
        out.push(if i == 0 { b'?' } else { b'&' });
        out.extend_from_slice(name.as_bytes());
        if !value.is_empty() {
            out.push(b'=');
            out.extend_from_slice(value);
        }
    }
    out
}

/// Base64 HMAC-SHA1 of a string to sign.
pub fn sign(secret_access_key: &str, string_to_sign: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret_access_key.as_bytes()) else {
        // HMAC accepts keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(string_to_sign);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

fn header_bytes<'a>(headers: &'a HeaderMap, name: &str) -> &'a [u8] {
    headers.get(name).map(|v| v.as_bytes().trim_ascii()).unwrap_or_default()
}

/// Verifies a V2 claim.
pub fn verify(claim: &V2Claim, parts: &Parts, vhost_bucket: Option<&str>, secret_access_key: &str, now: DateTime<Utc>) -> S3Result<Verified> {
    let headers = &parts.headers;
    let amz_date = headers.get("x-amz-date").map(|v| v.as_bytes().trim_ascii());
    let date = headers.get(http::header::DATE).map(|v| v.as_bytes().trim_ascii());

    // (value of the Date line, leave x-amz-date out of the amz headers)
    let mut date_variants: Vec<(&[u8], bool)> = Vec::new();
    match (&claim.expires, amz_date) {
        (Some((raw, expires)), _) => {
            check_v2_expires(*expires, now)?;
            date_variants.push((raw.as_bytes(), false));
        }
        (None, Some(amz_date)) => {
            check_header_time(amz_date, now)?;
            // The documented rule: an empty Date line, x-amz-date among the amz headers.
            date_variants.push((b"", false));
            // The documentation's own DELETE example: x-amz-date on the Date line.
            date_variants.push((amz_date, true));
            // Clients that always write the Date header there (botocore's HmacV1).
            if let Some(date) = date {
                date_variants.push((date, false));
            }
        }
        (None, None) => {
            check_header_time(date.ok_or_else(missing_date)?, now)?;
            date_variants.push((date.unwrap_or_default(), false));
        }
    }
    let payload = anonymous_payload_mode(headers)?;

    let raw_query = parts.uri.query().unwrap_or("");
    let path = parts.uri.path();
    let mut resources = vec![canonical_resource(path, raw_query, vhost_bucket, SUBRESOURCES)];
    let extended: Vec<&str> = SUBRESOURCES.iter().chain(EXTENDED_SUBRESOURCES).copied().collect();
    let with_extended = canonical_resource(path, raw_query, vhost_bucket, &extended);
    if with_extended != resources[0] {
        resources.push(with_extended);
    }

    let content_md5 = header_bytes(headers, "content-md5");
    let content_type = header_bytes(headers, "content-type");
    let mut first_sts = None;
    for (date_line, skip_amz_date) in &date_variants {
        let amz_headers = canonical_amz_headers(headers, *skip_amz_date);
        for resource in &resources {
            let sts = string_to_sign(parts.method.as_str(), content_md5, content_type, date_line, &amz_headers, resource);
            if signatures_equal(&sign(secret_access_key, &sts), &claim.signature) {
                return Ok(Verified { payload, chunk_signer: None });
            }
            first_sts.get_or_insert(sts);
        }
    }
    Err(S3Error::new(S3ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", claim.access_key_id.clone())
        .extra("StringToSign", String::from_utf8_lossy(&first_sts.unwrap_or_default()).into_owned())
        .extra("SignatureProvided", claim.signature.clone()))
}

fn check_header_time(raw: &[u8], now: DateTime<Utc>) -> S3Result<()> {
    let raw = std::str::from_utf8(raw).map_err(|_| missing_date())?;
    let time = parse_http_date(raw).ok_or_else(missing_date)?;
    check_skew(time, raw, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    fn parts(method: &str, uri: &str, headers: &[(&str, &str)]) -> Parts {
        let mut builder = http::Request::builder().method(method).uri(uri);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap().into_parts().0
    }

    fn now(date: &str) -> DateTime<Utc> {
        parse_http_date(date).unwrap()
    }

    fn header_claim(signature: &str) -> V2Claim {
        V2Claim { access_key_id: "AKIAIOSFODNN7EXAMPLE".to_owned(), signature: signature.to_owned(), session_token: None, expires: None }
    }

    #[test]
    fn aws_v2_example_object_get() {
        let date = "Tue, 27 Mar 2007 19:36:42 +0000";
        let sts = b"GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg";
        assert_eq!(sign(SECRET, sts), "bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
        let p = parts("GET", "/photos/puppy.jpg", &[("host", "johnsmith.s3.amazonaws.com"), ("date", date)]);
        let claim = header_claim("bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
        assert!(verify(&claim, &p, Some("johnsmith"), SECRET, now(date)).is_ok());
        // Path-style: the bucket is already in the path.
        let p = parts("GET", "/johnsmith/photos/puppy.jpg", &[("host", "s3.amazonaws.com"), ("date", date)]);
        assert!(verify(&claim, &p, None, SECRET, now(date)).is_ok());
        let err = verify(&claim, &p, Some("other"), SECRET, now(date)).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::SignatureDoesNotMatch);
    }

    #[test]
    fn aws_v2_example_object_put() {
        let date = "Tue, 27 Mar 2007 21:15:45 +0000";
        let p = parts("PUT", "/photos/puppy.jpg", &[("content-type", "image/jpeg"), ("content-length", "94328"), ("date", date)]);
        let claim = header_claim("MyyxeRY7whkBe+bq8fHCL/2kKUg=");
        assert!(verify(&claim, &p, Some("johnsmith"), SECRET, now(date)).is_ok());
    }

    #[test]
    fn aws_v2_example_list_and_acl_subresource() {
        let date = "Tue, 27 Mar 2007 19:42:41 +0000";
        let p = parts("GET", "/?prefix=photos&max-keys=50&marker=puppy", &[("user-agent", "Mozilla/5.0"), ("date", date)]);
        let claim = header_claim("htDYFYduRNen8P9ZfE/s9SuKy0U=");
        assert!(verify(&claim, &p, Some("johnsmith"), SECRET, now(date)).is_ok());

        let date = "Tue, 27 Mar 2007 19:44:46 +0000";
        assert_eq!(canonical_resource("/", "acl", Some("johnsmith"), SUBRESOURCES), b"/johnsmith/?acl");
        let p = parts("GET", "/?acl", &[("date", date)]);
        let claim = header_claim("c2WLPFtWHVgbEmeEG93a4cG37dM=");
        assert!(verify(&claim, &p, Some("johnsmith"), SECRET, now(date)).is_ok());
    }

    #[test]
    fn aws_v2_example_delete_with_x_amz_date() {
        let p =
            parts("DELETE", "/johnsmith/photos/puppy.jpg", &[("date", "Tue, 27 Mar 2007 21:20:27 +0000"), ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000")]);
        let claim = header_claim("lx3byBScXR6KzyMaifNkardMwNk=");
        assert!(verify(&claim, &p, None, SECRET, now("Tue, 27 Mar 2007 21:20:26 +0000")).is_ok());
    }

    #[test]
    fn aws_v2_example_upload_with_amz_headers() {
        let date = "Tue, 27 Mar 2007 21:06:08 +0000";
        let p = parts(
            "PUT",
            "/db-backup.dat.gz",
            &[
                ("user-agent", "curl/7.15.5"),
                ("host", "static.johnsmith.net:8080"),
                ("date", date),
                ("x-amz-acl", "public-read"),
                ("content-type", "application/x-download"),
                ("content-md5", "4gJE4saaMU4BqNR0kLY+lw=="),
                ("x-amz-meta-reviewedby", "joe@johnsmith.net"),
                ("x-amz-meta-reviewedby", "jane@johnsmith.net"),
                ("x-amz-meta-filechecksum", "0x02661779"),
                ("x-amz-meta-checksumalgorithm", "crc32"),
                ("content-disposition", "attachment; filename=database.dat"),
                ("content-encoding", "gzip"),
                ("content-length", "5913339"),
            ],
        );
        assert_eq!(
            canonical_amz_headers(&p.headers, false),
            b"x-amz-acl:public-read\nx-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\n\
              x-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n"
        );
        let claim = header_claim("ilyl83RwaSoYIEdixDQcA4OnAnc=");
        assert!(verify(&claim, &p, Some("static.johnsmith.net"), SECRET, now(date)).is_ok());
    }

    #[test]
    fn aws_v2_example_query_string_authentication() {
        let p = parts(
            "GET",
            "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D",
            &[("host", "johnsmith.s3.amazonaws.com")],
        );
        let params = QueryParams::parse(p.uri.query().unwrap());
        assert!(is_query_auth(&params));
        let claim = parse_query(&params).unwrap();
        assert_eq!(claim.signature, "NpgCjnDzrM+WFzoENXmpNDUsSn8=");
        let before = DateTime::from_timestamp(1_175_139_000, 0).unwrap();
        assert!(verify(&claim, &p, Some("johnsmith"), SECRET, before).is_ok());
        let after = DateTime::from_timestamp(1_175_139_621, 0).unwrap();
        let err = verify(&claim, &p, Some("johnsmith"), SECRET, after).unwrap_err();
        assert_eq!((err.code, &*err.message), (S3ErrorCode::AccessDenied, "Request has expired"));

        // The older documented example, path-style, with an unencoded `+` in the signature.
        let p = parts("GET", "/quotes/nelson?AWSAccessKeyId=44CF9590006BF252F707&Expires=1141889120&Signature=vjbyPxybdZaNmGa+yT272YEAiv4%3D", &[]);
        let claim = parse_query(&QueryParams::parse(p.uri.query().unwrap())).unwrap();
        let before = DateTime::from_timestamp(1_141_889_000, 0).unwrap();
        assert!(verify(&claim, &p, None, "OtxrzxIsfpFjA7SwPzILwy8Bw21TLhquhboDYROV", before).is_ok());
    }

    #[test]
    fn query_headers_of_v2_presigned_urls_become_headers() {
        let mut p = parts(
            "PUT",
            "/b/k?AWSAccessKeyId=AK&Expires=1&Signature=s&x-amz-meta-colour=blue&content-type=text%2Fplain&prefix=x",
            &[("content-type", "image/png")],
        );
        promote_query_headers(&mut p);
        assert_eq!(p.headers.get("x-amz-meta-colour").unwrap(), "blue");
        assert_eq!(p.headers.get("content-type").unwrap(), "image/png", "a sent header wins");
        assert!(p.headers.get("prefix").is_none());
        let mut v4 = parts("PUT", "/b/k?X-Amz-Signature=s&x-amz-meta-colour=blue", &[]);
        promote_query_headers(&mut v4);
        assert!(v4.headers.get("x-amz-meta-colour").is_none(), "only V2 query authentication");
    }

    #[test]
    fn v2_rejections() {
        let date = "Tue, 27 Mar 2007 19:36:42 +0000";
        let p = parts("GET", "/photos/puppy.jpg", &[("date", date)]);
        let claim = header_claim("bWq2s1WEIj+Ydj0vQ697zp+IXMU=");
        let late = now("Tue, 27 Mar 2007 19:52:43 +0000");
        assert_eq!(verify(&claim, &p, Some("johnsmith"), SECRET, late).unwrap_err().code, S3ErrorCode::RequestTimeTooSkewed);
        let p = parts("GET", "/photos/puppy.jpg", &[]);
        let err = verify(&claim, &p, Some("johnsmith"), SECRET, now(date)).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::AccessDenied);
        let p = parts("GET", "/photos/puppy.jpg?versionId=1", &[("date", date)]);
        assert_eq!(verify(&claim, &p, Some("johnsmith"), SECRET, now(date)).unwrap_err().code, S3ErrorCode::SignatureDoesNotMatch);
        let missing = parse_query(&QueryParams::parse("AWSAccessKeyId=a&Signature=b")).unwrap_err();
        assert_eq!(missing.code, S3ErrorCode::AuthorizationQueryParametersError);
    }

    #[test]
    fn canonical_resource_sorts_subresources_and_decodes_values() {
        assert_eq!(canonical_resource("/b/k", "versionId=3&uploadId=a%2Bb&prefix=x&acl", None, SUBRESOURCES), b"/b/k?acl&uploadId=a+b&versionId=3");
        assert_eq!(canonical_resource("/b/", "encryption", None, SUBRESOURCES), b"/b/");
        let extended: Vec<&str> = SUBRESOURCES.iter().chain(EXTENDED_SUBRESOURCES).copied().collect();
        assert_eq!(canonical_resource("/b/", "encryption", None, &extended), b"/b/?encryption");
        assert_eq!(canonical_resource("", "", Some("b"), SUBRESOURCES), b"/b/");
    }
}
