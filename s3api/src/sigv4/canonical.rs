//! The SigV4 canonical request and string to sign, exactly as S3 builds them.
//!
//! Pure functions over strings and header maps: URI and query canonicalisation, canonical
//! headers, the canonical request, the string to sign and the HMAC chain (delegated to
//! `aws_sigv4`). Nothing here decides whether a request is allowed or returns S3 errors.

use std::time::SystemTime;

use chrono::{NaiveDate, TimeZone, Utc};
use http::HeaderMap;
use percent_encoding::percent_decode;
use sha2::{Digest, Sha256};

/// The algorithm name of SigV4 with HMAC-SHA256.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// Appends `bytes` to `out`, percent-encoding every byte except the RFC 3986 unreserved
/// set `A-Za-z0-9-._~` (and `/` when `keep_slash`), as `%XX` with upper-case hex.
pub fn uri_encode_into(bytes: &[u8], keep_slash: bool, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in bytes {
        let unreserved = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~');
        if unreserved || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
}

/// [`uri_encode_into`] returning a new string.
pub fn uri_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::with_capacity(bytes.len());
    uri_encode_into(bytes, keep_slash, &mut out);
    out
}

/// The canonical URI of a raw request path as sent: percent-decoded once, then every byte
/// re-encoded except unreserved characters and `/`. No path normalisation (`//`, `.`, `..`
/// stay), and a `+` is a literal plus. An empty path is `/`.
pub fn canonical_uri(raw_path: &str) -> String {
    if raw_path.is_empty() {
        return "/".to_owned();
    }
    let decoded: Vec<u8> = percent_decode(raw_path.as_bytes()).collect();
    uri_encode(&decoded, true)
}

/// Percent-decodes one query-string component; a `+` decodes to a space.
pub fn decode_query_component(raw: &str) -> Vec<u8> {
    let plus_as_space: Vec<u8> = raw.bytes().map(|b| if b == b'+' { b' ' } else { b }).collect();
    percent_decode(&plus_as_space).collect()
}

/// The decoded `(name, value)` pairs of a raw query string, in order. Parameters without
/// `=` get an empty value; empty segments (`a=1&&b=2`) are skipped.
pub fn query_pairs(raw_query: &str) -> Vec<(Vec<u8>, Vec<u8>)> {
    raw_query
        .split('&')
        .filter(|segment| !segment.is_empty())
        .map(|segment| {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            (decode_query_component(name), decode_query_component(value))
        })
        .collect()
}

/// The canonical query string: every parameter decoded and re-encoded (space as `%20`, `/`
/// as `%2F`), sorted by encoded name then encoded value, joined as `name=value` with `&`.
/// A parameter whose decoded name equals `exclude` (the presigned `X-Amz-Signature`) is left out.
pub fn canonical_query(raw_query: &str, exclude: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = query_pairs(raw_query)
        .into_iter()
        .filter(|(name, _)| exclude.is_none_or(|ex| name.as_slice() != ex.as_bytes()))
        .map(|(name, value)| (uri_encode(&name, false), uri_encode(&value, false)))
        .collect();
    pairs.sort();
    let mut out = String::new();
    for (i, (name, value)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
    out
}

/// One header value as it appears in the canonical headers: leading and trailing spaces
/// removed and runs of spaces collapsed to one.
pub fn canonical_header_value(value: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    let mut end = value.len();
    while start < end && value[start] == b' ' {
        start += 1;
    }
    while end > start && value[end - 1] == b' ' {
        end -= 1;
    }
    let mut previous_space = false;
    for &b in &value[start..end] {
        if b == b' ' {
            if !previous_space {
                out.push(b);
            }
            previous_space = true;
        } else {
            out.push(b);
            previous_space = false;
        }
    }
}

/// The canonical headers block: for each name of `signed_headers` in the order given,
/// `name:value\n`, several values of one header joined with `,`. `host` falls back to
/// `authority` (HTTP/2 requests carry no `Host` header). Returns the first signed header
/// the request lacks as the error.
pub fn canonical_headers(headers: &HeaderMap, authority: Option<&str>, signed_headers: &[String]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    for name in signed_headers {
        out.extend_from_slice(name.as_bytes());
        out.push(b':');
        let mut values = headers.get_all(name.as_str()).iter().peekable();
        if values.peek().is_none() {
            match (name.as_str(), authority) {
                ("host", Some(authority)) => {
                    canonical_header_value(authority.as_bytes(), &mut out);
                    out.push(b'\n');
                    continue;
                }
                _ => return Err(name.clone()),
            }
        }
        for (i, value) in values.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            canonical_header_value(value.as_bytes(), &mut out);
        }
        out.push(b'\n');
    }
    Ok(out)
}

/// The canonical request: method, canonical URI, canonical query, canonical headers (each
/// line ending in `\n`), a blank line, the signed header list and the hashed payload.
pub fn canonical_request(
    method: &str,
    canonical_uri: &str,
    canonical_query: &str,
    canonical_headers: &[u8],
    signed_headers: &str,
    hashed_payload: &str,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(method.len() + canonical_uri.len() + canonical_query.len() + canonical_headers.len() + 200);
    for part in [method.as_bytes(), canonical_uri.as_bytes(), canonical_query.as_bytes()] {
        out.extend_from_slice(part);
        out.push(b'\n');
    }
    out.extend_from_slice(canonical_headers);
    out.push(b'\n');
    out.extend_from_slice(signed_headers.as_bytes());
    out.push(b'\n');
    out.extend_from_slice(hashed_payload.as_bytes());
    out
}

/// The credential scope `YYYYMMDD/region/service/aws4_request`.
pub fn scope(date: NaiveDate, region: &str, service: &str) -> String {
    format!("{}/{region}/{service}/aws4_request", date.format("%Y%m%d"))
}

/// The string to sign: algorithm, request timestamp (`20130524T000000Z`), scope and the hex
/// SHA-256 of the canonical request.
pub fn string_to_sign(amz_date: &str, scope: &str, canonical_request: &[u8]) -> String {
    format!("{ALGORITHM}\n{amz_date}\n{scope}\n{}", hex::encode(Sha256::digest(canonical_request)))
}

/// The SigV4 signing key for one day, region and service (the HMAC chain of `aws_sigv4`).
pub fn signing_key(secret_access_key: &str, date: NaiveDate, region: &str, service: &str) -> Vec<u8> {
    let midnight = Utc.from_utc_datetime(&date.and_time(chrono::NaiveTime::MIN));
    let time: SystemTime = midnight.into();
    aws_sigv4::sign::v4::generate_signing_key(secret_access_key, time, region, service).as_ref().to_vec()
}

/// The lower-case hex signature of a string to sign.
pub fn signature(signing_key: &[u8], string_to_sign: &str) -> String {
    aws_sigv4::sign::v4::calculate_signature(signing_key, string_to_sign.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const EMPTY: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2013, 5, 24).unwrap_or_default()
    }

    fn headers(list: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in list {
            map.append(*name, value.parse().unwrap());
        }
        map
    }

    fn names(list: &str) -> Vec<String> {
        list.split(';').map(str::to_owned).collect()
    }

    /// One worked example of the AWS documentation.
    struct Example<'a> {
        method: &'a str,
        path: &'a str,
        query: &'a str,
        headers: &'a [(&'static str, &'a str)],
        signed: &'a str,
        payload: &'a str,
    }

    /// Builds the canonical request of an AWS example and checks it, its string to sign and
    /// the signature against the published values.
    fn check_example(ex: Example<'_>, expected_creq: &str, expected_signature: &str) {
        let canon_headers = canonical_headers(&headers(ex.headers), None, &names(ex.signed)).unwrap();
        let creq = canonical_request(ex.method, &canonical_uri(ex.path), &canonical_query(ex.query, None), &canon_headers, ex.signed, ex.payload);
        assert_eq!(String::from_utf8_lossy(&creq), expected_creq);
        let sts = string_to_sign("20130524T000000Z", &scope(day(), "us-east-1", "s3"), &creq);
        let key = signing_key(SECRET, day(), "us-east-1", "s3");
        assert_eq!(signature(&key, &sts), expected_signature);
    }

    #[test]
    fn aws_example_single_chunk_get_object_with_range() {
        check_example(
            Example {
                method: "GET",
                path: "/test.txt",
                query: "",
                headers: &[
                    ("host", "examplebucket.s3.amazonaws.com"),
                    ("range", "bytes=0-9"),
                    ("x-amz-content-sha256", EMPTY),
                    ("x-amz-date", "20130524T000000Z"),
                ],
                signed: "host;range;x-amz-content-sha256;x-amz-date",
                payload: EMPTY,
            },
            &format!(
                "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n\
                 x-amz-content-sha256:{EMPTY}\nx-amz-date:20130524T000000Z\n\n\
                 host;range;x-amz-content-sha256;x-amz-date\n{EMPTY}"
            ),
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        );
    }

    #[test]
    fn aws_example_single_chunk_put_object() {
        let payload = "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072";
        check_example(
            Example {
                method: "PUT",
                path: "/test$file.text",
                query: "",
                headers: &[
                    ("date", "Fri, 24 May 2013 00:00:00 GMT"),
                    ("host", "examplebucket.s3.amazonaws.com"),
                    ("x-amz-content-sha256", payload),
                    ("x-amz-date", "20130524T000000Z"),
                    ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
                ],
                signed: "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class",
                payload,
            },
            &format!(
                "PUT\n/test%24file.text\n\ndate:Fri, 24 May 2013 00:00:00 GMT\n\
                 host:examplebucket.s3.amazonaws.com\nx-amz-content-sha256:{payload}\n\
                 x-amz-date:20130524T000000Z\nx-amz-storage-class:REDUCED_REDUNDANCY\n\n\
                 date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class\n{payload}"
            ),
            "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd",
        );
    }

    #[test]
    fn aws_example_single_chunk_get_bucket_lifecycle() {
        check_example(
            Example {
                method: "GET",
                path: "/",
                query: "lifecycle",
                headers: &[("host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", EMPTY), ("x-amz-date", "20130524T000000Z")],
                signed: "host;x-amz-content-sha256;x-amz-date",
                payload: EMPTY,
            },
            &format!(
                "GET\n/\nlifecycle=\nhost:examplebucket.s3.amazonaws.com\n\
                 x-amz-content-sha256:{EMPTY}\nx-amz-date:20130524T000000Z\n\n\
                 host;x-amz-content-sha256;x-amz-date\n{EMPTY}"
            ),
            "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543",
        );
    }

    #[test]
    fn aws_example_single_chunk_get_bucket_list_objects() {
        check_example(
            Example {
                method: "GET",
                path: "/",
                query: "max-keys=2&prefix=J",
                headers: &[("host", "examplebucket.s3.amazonaws.com"), ("x-amz-content-sha256", EMPTY), ("x-amz-date", "20130524T000000Z")],
                signed: "host;x-amz-content-sha256;x-amz-date",
                payload: EMPTY,
            },
            &format!(
                "GET\n/\nmax-keys=2&prefix=J\nhost:examplebucket.s3.amazonaws.com\n\
                 x-amz-content-sha256:{EMPTY}\nx-amz-date:20130524T000000Z\n\n\
                 host;x-amz-content-sha256;x-amz-date\n{EMPTY}"
            ),
            "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7",
        );
    }

    #[test]
    fn aws_example_query_parameters_presigned_get_object() {
        let raw_query = "X-Amz-Algorithm=AWS4-HMAC-SHA256\
            &X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request\
            &X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host\
            &X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404";
        let query = canonical_query(raw_query, Some("X-Amz-Signature"));
        assert_eq!(
            query,
            "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524\
             %2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400\
             &X-Amz-SignedHeaders=host"
        );
        let hdrs = headers(&[("host", "examplebucket.s3.amazonaws.com")]);
        let creq =
            canonical_request("GET", &canonical_uri("/test.txt"), &query, &canonical_headers(&hdrs, None, &names("host")).unwrap(), "host", "UNSIGNED-PAYLOAD");
        let sts = string_to_sign("20130524T000000Z", &scope(day(), "us-east-1", "s3"), &creq);
        assert!(sts.ends_with("3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04"));
        let key = signing_key(SECRET, day(), "us-east-1", "s3");
        assert_eq!(signature(&key, &sts), "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
    }

    #[test]
    fn aws_example_multiple_chunks_seed_signature() {
        let payload = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
        let signed = "content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;\
                      x-amz-decoded-content-length;x-amz-storage-class";
        let hdrs = headers(&[
            ("content-encoding", "aws-chunked"),
            ("content-length", "66824"),
            ("host", "s3.amazonaws.com"),
            ("x-amz-content-sha256", payload),
            ("x-amz-date", "20130524T000000Z"),
            ("x-amz-decoded-content-length", "66560"),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        ]);
        let creq = canonical_request(
            "PUT",
            &canonical_uri("/examplebucket/chunkObject.txt"),
            "",
            &canonical_headers(&hdrs, None, &names(signed)).unwrap(),
            signed,
            payload,
        );
        let sts = string_to_sign("20130524T000000Z", &scope(day(), "us-east-1", "s3"), &creq);
        assert!(sts.ends_with("cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455"));
        let key = signing_key(SECRET, day(), "us-east-1", "s3");
        assert_eq!(signature(&key, &sts), "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9");
    }

    #[test]
    fn canonical_uri_encodes_once_without_normalising() {
        assert_eq!(canonical_uri(""), "/");
        assert_eq!(canonical_uri("/b//a/./b/../c"), "/b//a/./b/../c");
        assert_eq!(canonical_uri("/b/a%20b+c"), "/b/a%20b%2Bc");
        assert_eq!(canonical_uri("/b/100%25%3F%23"), "/b/100%25%3F%23");
        assert_eq!(canonical_uri("/b/a%7Eb~c"), "/b/a~b~c");
        assert_eq!(canonical_uri("/b/%C3%BC"), "/b/%C3%BC");
        assert_eq!(canonical_uri("/b/a%2Fb"), "/b/a/b");
        assert_eq!(canonical_uri("/b/50%"), "/b/50%25");
        assert_eq!(canonical_uri("/b/%zz"), "/b/%25zz");
    }

    #[test]
    fn canonical_query_decodes_reencodes_and_sorts() {
        assert_eq!(canonical_query("", None), "");
        assert_eq!(canonical_query("b=2&a=1&a=0", None), "a=0&a=1&b=2");
        assert_eq!(canonical_query("prefix=a+b/c%2Fd&uploads", None), "prefix=a%20b%2Fc%2Fd&uploads=");
        assert_eq!(canonical_query("k=%7e~&&x=%E2%82%AC", None), "k=~~&x=%E2%82%AC");
        assert_eq!(canonical_query("X-Amz-Signature=abc&x=1", Some("X-Amz-Signature")), "x=1");
    }

    #[test]
    fn canonical_header_values_are_trimmed_collapsed_and_joined() {
        let hdrs = headers(&[("x-amz-meta-a", "  one   two  "), ("x-amz-meta-b", "1"), ("x-amz-meta-b", "2")]);
        let got = canonical_headers(&hdrs, None, &names("x-amz-meta-a;x-amz-meta-b")).unwrap();
        assert_eq!(got, b"x-amz-meta-a:one two\nx-amz-meta-b:1,2\n");
        assert_eq!(canonical_headers(&hdrs, None, &names("x-amz-meta-c")), Err("x-amz-meta-c".to_owned()));
        assert_eq!(canonical_headers(&hdrs, Some("h:9000"), &names("host")).unwrap(), b"host:h:9000\n");
    }
}
