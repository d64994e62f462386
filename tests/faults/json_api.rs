//! Calls to Depot's JSON API from the fault tests: a plain HTTP client, requests with a
//! login token or none ([`api`]) and SigV4-signed ones ([`signed_api`]), and their
//! answers. `harness` re-exports it all.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use crate::harness::REGION;

/// An HTTP client for the JSON API: no proxy, and a timeout so that a hung server fails
/// the test instead of stalling it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(60)).build().expect("http client")
}

/// A JSON API answer: the status, the document (`Null` when the body is not JSON) and
/// the raw body.
#[derive(Debug)]
pub struct ApiResponse {
    pub status: u16,
    pub body: serde_json::Value,
    pub text: String,
}

impl ApiResponse {
    /// `error.code` of a JSON error document (empty when there is none).
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }

    async fn read(resp: reqwest::Response) -> ApiResponse {
        let status = resp.status().as_u16();
        let text = resp.text().await.expect("read the answer");
        ApiResponse { status, body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null), text }
    }
}

/// A JSON API request to `endpoint`, with a login token (`Authorization: Bearer`) and a
/// JSON body when given.
pub async fn api(endpoint: &str, method: &str, path: &str, bearer: Option<&str>, body: Option<serde_json::Value>) -> ApiResponse {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut req = http_client().request(method, format!("{endpoint}{path}"));
    if let Some(token) = bearer {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    ApiResponse::read(req.send().await.unwrap_or_else(|e| panic!("{path} on {endpoint}: {e}"))).await
}

/// A JSON API request signed with SigV4 (service `s3`, the test region, the payload
/// hash in `x-amz-content-sha256`), as the root-only routes, search and statistics take
/// it. `path_and_query` must be URL-encoded already.
pub async fn signed_api(endpoint: &str, method: &str, path_and_query: &str, access_key: &str, secret_key: &str) -> ApiResponse {
    use aws_sigv4::http_request::{sign, PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings, UriPathNormalizationMode};
    let url = format!("{endpoint}{path_and_query}");
    let host = endpoint.trim_start_matches("http://").to_owned();
    let mut settings = SigningSettings::default();
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    let identity = Credentials::new(access_key, secret_key, None, None, "depot-faults").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(SystemTime::now())
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let headers = [("host", host.as_str())];
    let signable = SignableRequest::new(method, &url, headers.into_iter(), SignableBody::Bytes(&[])).expect("signable request");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let mut req = http_client().request(reqwest::Method::from_bytes(method.as_bytes()).expect("method"), &url);
    for (name, value) in instructions.headers() {
        req = req.header(name, value);
    }
    ApiResponse::read(req.send().await.unwrap_or_else(|e| panic!("{method} {path_and_query} on {endpoint}: {e}"))).await
}
