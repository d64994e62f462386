//! Signing a request with SigV4 in the `Authorization` header, for Depot's own clients
//! (the `depot admin` command talking to a running server).
//!
//! A pure function over the request's parts and a time the caller supplies; it shares the
//! canonical-request code with verification, so what it signs is what the server checks.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::canonical::{self, ALGORITHM};
use super::time::format_amz_date;

/// What to sign.
#[derive(Debug, Clone)]
pub struct SigningInput<'a> {
    pub method: &'a str,
    /// The path as it will be sent (percent-encoded).
    pub path: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// Headers to sign, `host` included; names in any case.
    pub headers: &'a [(String, String)],
    pub payload: &'a [u8],
    pub access_key_id: &'a str,
    pub secret_access_key: &'a str,
    pub region: &'a str,
    pub time: DateTime<Utc>,
}

/// The headers to add to the request: `x-amz-date`, `x-amz-content-sha256` and
/// `authorization`.
pub fn sign(input: &SigningInput<'_>) -> Vec<(String, String)> {
    let amz_date = format_amz_date(input.time);
    let payload_hash = hex::encode(Sha256::digest(input.payload));
    let mut headers: Vec<(String, String)> = input
        .headers
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_owned()))
        .chain([("x-amz-date".to_owned(), amz_date.clone()), ("x-amz-content-sha256".to_owned(), payload_hash.clone())])
        .collect();
    headers.sort();
    let mut canonical_headers = Vec::new();
    for (name, value) in &headers {
        canonical_headers.extend_from_slice(name.as_bytes());
        canonical_headers.push(b':');
        canonical::canonical_header_value(value.as_bytes(), &mut canonical_headers);
        canonical_headers.push(b'\n');
    }
    let signed_headers = headers.iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>().join(";");
    let request = canonical::canonical_request(
        input.method,
        &canonical::canonical_uri(input.path),
        &canonical::canonical_query(input.query, None),
        &canonical_headers,
        &signed_headers,
        &payload_hash,
    );
    let date = input.time.date_naive();
    let scope = canonical::scope(date, input.region, "s3");
    let string_to_sign = canonical::string_to_sign(&amz_date, &scope, &request);
    let key = canonical::signing_key(input.secret_access_key, date, input.region, "s3");
    let signature = canonical::signature(&key, &string_to_sign);
    vec![
        ("x-amz-date".to_owned(), amz_date),
        ("x-amz-content-sha256".to_owned(), payload_hash),
        ("authorization".to_owned(), format!("{ALGORITHM} Credential={}/{scope}, SignedHeaders={signed_headers}, Signature={signature}", input.access_key_id)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_it_signs_verifies() {
        let now = Utc::now();
        let headers = vec![("Host".to_owned(), "127.0.0.1:9000".to_owned()), ("content-type".to_owned(), "application/json".to_owned())];
        let input = SigningInput {
            method: "POST",
            path: "/_depot/admin/users/bob%20x/disable",
            query: "a=1&b=two%20words",
            headers: &headers,
            payload: b"{}",
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "secret",
            region: "us-east-1",
            time: now,
        };
        let mut builder = http::Request::builder().method("POST").uri("/_depot/admin/users/bob%20x/disable?a=1&b=two%20words");
        for (k, v) in headers.iter().cloned().chain(sign(&input)) {
            builder = builder.header(k, v);
        }
        let (parts, ()) = builder.body(()).unwrap().into_parts();
        let signed = crate::sigv4::parse(&parts).unwrap().unwrap();
        assert_eq!(signed.access_key_id(), "AKIDEXAMPLE");
        signed.verify(&parts, None, "us-east-1", "secret", now).unwrap();
        assert!(signed.verify(&parts, None, "us-east-1", "other", now).is_err());
    }
}
