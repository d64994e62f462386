//! Helpers for the identity tests: accounts and keys over the JSON API, STS calls, a
//! raw request signer that can carry a session token, and a snapshot of everything
//! stored, to prove that a denied request changed nothing.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::Client;
use serde_json::{json, Value};
use sqlx::Row;

use crate::common::{RawResponse, TestApp, REGION};

pub const PASSWORD: &str = "correct horse battery";

/// A registered user with a login token and one access key.
pub struct TestUser {
    pub id: String,
    pub token: String,
    pub access_key: String,
    pub secret: String,
    pub client: Client,
}

/// A JSON API answer.
pub struct JsonResponse {
    pub status: u16,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl JsonResponse {
    pub fn error_code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

/// Sends a JSON API request, with a login token when given.
pub async fn api(app: &TestApp, method: &str, path: &str, bearer: Option<&str>, body: Option<Value>) -> JsonResponse {
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut req = client.request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), format!("{}{path}", app.endpoint));
    if let Some(token) = bearer {
        req = req.header("authorization", format!("Bearer {token}"));
    }
    if let Some(body) = body {
        req = req.header("content-type", "application/json").body(body.to_string());
    }
    let resp = req.send().await.expect("api request");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    JsonResponse { status, body, headers }
}

pub async fn register(app: &TestApp, username: &str, password: &str) -> JsonResponse {
    api(app, "POST", "/_depot/auth/register", None, Some(json!({ "username": username, "password": password }))).await
}

pub async fn login(app: &TestApp, username: &str, password: &str) -> JsonResponse {
    api(app, "POST", "/_depot/auth/login", None, Some(json!({ "username": username, "password": password }))).await
}

/// Creates an access key with a login token: (id, secret).
pub async fn create_key(app: &TestApp, token: &str) -> (String, String) {
    let resp = api(app, "POST", "/_depot/auth/keys", Some(token), None).await;
    assert_eq!(resp.status, 201, "{:?}", resp.body);
    (resp.body["access_key_id"].as_str().unwrap().to_owned(), resp.body["secret_access_key"].as_str().unwrap().to_owned())
}

/// Registers, logs in and creates a key.
pub async fn user(app: &TestApp, username: &str) -> TestUser {
    let reg = register(app, username, PASSWORD).await;
    assert_eq!(reg.status, 201, "{:?}", reg.body);
    let logged_in = login(app, username, PASSWORD).await;
    assert_eq!(logged_in.status, 200, "{:?}", logged_in.body);
    let token = logged_in.body["token"].as_str().unwrap().to_owned();
    let (access_key, secret) = create_key(app, &token).await;
    let client = app.client_for(&access_key, &secret, None);
    TestUser { id: reg.body["id"].as_str().unwrap().to_owned(), token, access_key, secret, client }
}

/// Temporary credentials from STS.
pub struct SessionCreds {
    pub access_key: String,
    pub secret: String,
    pub token: String,
}

/// `AssumeRoleWithWebIdentity` with a raw form body: the raw answer.
pub async fn assume_role_raw(app: &TestApp, form: &str) -> RawResponse {
    app.raw("POST", "/").header("content-type", "application/x-www-form-urlencoded").body(form.as_bytes().to_vec()).send().await
}

/// Exchanges a login token for temporary credentials.
pub async fn assume_role(app: &TestApp, jwt: &str) -> SessionCreds {
    let form = format!("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fdepot&RoleSessionName=tests&WebIdentityToken={jwt}&DurationSeconds=900");
    let resp = assume_role_raw(app, &form).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let text = resp.text();
    SessionCreds { access_key: element(&text, "AccessKeyId"), secret: element(&text, "SecretAccessKey"), token: element(&text, "SessionToken") }
}

/// The text of the first `<name>` element.
pub fn element(xml: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let start = xml.find(&open).map(|i| i + open.len()).unwrap_or_else(|| panic!("no <{name}> in {xml}"));
    let end = xml[start..].find(&format!("</{name}>")).map(|i| i + start).unwrap();
    xml[start..end].to_owned()
}

/// A raw S3 request signed with SigV4, optionally with a session token.
pub struct Signed {
    endpoint: String,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Signed {
    pub fn new(app: &TestApp, method: &str, path: &str) -> Self {
        Signed { endpoint: app.endpoint.clone(), method: method.into(), path: path.into(), headers: Vec::new(), body: Vec::new() }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Signs in the Authorization header; `session_token` becomes X-Amz-Security-Token.
    pub fn sign(self, access_key: &str, secret: &str, session_token: Option<&str>) -> Self {
        self.sign_at(access_key, secret, session_token, SystemTime::now())
    }

    pub fn sign_at(mut self, access_key: &str, secret: &str, session_token: Option<&str>, time: SystemTime) -> Self {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
        let identity = Credentials::new(access_key, secret, session_token.map(str::to_owned), None, "raw").into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        let params =
            aws_sigv4::sign::v4::SigningParams::builder().identity(&identity).region(REGION).name("s3").time(time).settings(settings).build().unwrap().into();
        let url = format!("{}{}", self.endpoint, self.path);
        let mut headers = self.headers.clone();
        headers.push(("host".into(), self.endpoint.trim_start_matches("http://").to_owned()));
        let signable =
            SignableRequest::new(&self.method, &url, headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), SignableBody::Bytes(&self.body)).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        for (name, value) in instructions.headers() {
            self.headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Presigns the URL (query-string SigV4), optionally with a session token.
    pub fn presign(mut self, access_key: &str, secret: &str, session_token: Option<&str>, expires: Duration, time: SystemTime) -> Self {
        use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SignatureLocation, SigningSettings};
        let identity = Credentials::new(access_key, secret, session_token.map(str::to_owned), None, "raw").into();
        let mut settings = SigningSettings::default();
        settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
        settings.uri_path_normalization_mode = aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        let params =
            aws_sigv4::sign::v4::SigningParams::builder().identity(&identity).region(REGION).name("s3").time(time).settings(settings).build().unwrap().into();
        let url = format!("{}{}", self.endpoint, self.path);
        let headers = [("host".to_owned(), self.endpoint.trim_start_matches("http://").to_owned())];
        let signable = SignableRequest::new(&self.method, &url, headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), SignableBody::UnsignedPayload).unwrap();
        let (instructions, _) = sign(signable, &params).unwrap().into_parts();
        let query: Vec<String> = instructions
            .params()
            .iter()
            .map(|(k, v)| format!("{k}={}", percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)))
            .collect();
        let sep = if self.path.contains('?') { '&' } else { '?' };
        self.path = format!("{}{sep}{}", self.path, query.join("&"));
        self
    }

    /// Replaces the body after signing (a tampered request).
    pub fn tamper_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    /// Replaces the path after signing (a request redirected to another resource).
    pub fn tamper_path(mut self, path: &str) -> Self {
        self.path = path.into();
        self
    }

    /// The full URL (for presigned requests).
    pub fn url(&self) -> String {
        format!("{}{}", self.endpoint, self.path)
    }

    pub async fn send(self) -> RawResponse {
        let client = reqwest::Client::builder().no_proxy().build().unwrap();
        let mut req = client.request(reqwest::Method::from_bytes(self.method.as_bytes()).unwrap(), self.url());
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case("host") {
                req = req.header(k, v);
            }
        }
        let resp = req.body(self.body).send().await.expect("signed request");
        RawResponse { status: resp.status().as_u16(), headers: resp.headers().clone(), body: resp.bytes().await.unwrap().to_vec() }
    }
}

/// Everything stored: users, keys, buckets, versions, uploads, parts, outbox events, blob
/// files. Two equal snapshots mean nothing changed.
pub async fn snapshot(app: &TestApp) -> Vec<String> {
    let pool = app.state().catalog.reader();
    let mut out = Vec::new();
    let queries: [(&str, usize); 7] = [
        ("SELECT username, CAST(disabled AS TEXT) AS a FROM users ORDER BY username", 2),
        ("SELECT access_key_id, CAST(COALESCE(revoked_at, 0) AS TEXT) AS a FROM access_keys ORDER BY access_key_id", 2),
        ("SELECT name, owner_id, acl, COALESCE(tags, '') AS t, CAST(versioning AS TEXT) AS v FROM buckets ORDER BY name", 5),
        (
            "SELECT CAST(bucket_id AS TEXT) AS b, key, version_id, etag, CAST(size AS TEXT) AS s, owner_id, COALESCE(acl, '') AS a, \
             COALESCE(tags, '') AS t, CAST(is_latest AS TEXT) AS l, CAST(is_delete_marker AS TEXT) AS d FROM objects ORDER BY bucket_id, key, id",
            10,
        ),
        ("SELECT upload_id, key FROM uploads ORDER BY upload_id", 2),
        ("SELECT upload_id, CAST(part_number AS TEXT) AS p, etag FROM upload_parts ORDER BY upload_id, part_number", 3),
        ("SELECT event_id, payload FROM outbox ORDER BY id", 2),
    ];
    for (sql, columns) in queries {
        for row in sqlx::query(sql).fetch_all(pool).await.expect(sql) {
            let values: Vec<String> = (0..columns).map(|i| row.try_get::<String, _>(i).unwrap_or_else(|e| panic!("{sql}: {e}"))).collect();
            out.push(values.join("|"));
        }
    }
    let mut blobs: Vec<String> = app.blob_files().iter().map(|p| p.display().to_string()).collect();
    blobs.sort();
    out.extend(blobs);
    out
}

/// Asserts that a request was denied with `status` (and `code`, when the answer has a
/// body) and that nothing stored changed.
pub async fn assert_denied(app: &TestApp, before: &[String], resp: &RawResponse, status: u16, code: Option<&str>, what: &str) {
    assert_eq!(resp.status, status, "{what}: {}", resp.text());
    if let Some(code) = code {
        assert_eq!(resp.error_code().as_deref(), Some(code), "{what}: {}", resp.text());
    }
    assert_eq!(snapshot(app).await, before, "{what} changed stored data");
}
