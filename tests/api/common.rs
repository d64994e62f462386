//! The test harness: a real Depot server on a free port of 127.0.0.1, in this process,
//! with a fresh data dir (and a fresh PostgreSQL database when
//! `DEPOT_TEST_DATABASE_URL` points at one), and clients to drive it: the AWS SDK for
//! Rust with default settings, and a raw HTTP client with a SigV4 signer for requests
//! the SDK will not send. Helpers to look behind the API (blob files, a connection to the
//! catalog database) serve assertions that stored data did or did not change.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use aws_credential_types::Credentials;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::Client;
use depot::auth::root::RootCredentials;
use depot::config::ServeConfig;
use depot::server::RunningServer;
use sqlx::Connection;

/// The region of test servers unless a test configures another.
pub const REGION: &str = "us-east-1";

/// How long `wait_until` waits for background work (GC, sweeps) before failing.
const WAIT_LIMIT: Duration = Duration::from_secs(15);

pub struct TestApp {
    server: Option<RunningServer>,
    config: ServeConfig,
    pub addr: SocketAddr,
    pub endpoint: String,
    pub root: RootCredentials,
    /// The SDK client of the root user, path-style.
    pub client: Client,
    pub data_dir: tempfile::TempDir,
    database: Option<TestDatabase>,
}

/// A PostgreSQL database created for one test and dropped after it.
struct TestDatabase {
    admin_url: String,
    name: String,
}

impl TestApp {
    /// Starts a server with test settings (GC without delay).
    pub async fn start() -> TestApp {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `configure` adjusted its configuration.
    pub async fn start_with(configure: impl FnOnce(&mut ServeConfig)) -> TestApp {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServeConfig::with_data_dir(data_dir.path().to_path_buf());
        config.addr = "127.0.0.1:0".parse().unwrap();
        config.gc_delay_secs = 0;
        config.log_level = "warn".into();
        let database = match std::env::var("DEPOT_TEST_DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => {
                let db = TestDatabase::create(&url).await;
                config.database_url = Some(depot::config::Secret::new(db.url()));
                Some(db)
            }
            _ => None,
        };
        configure(&mut config);
        let root = RootCredentials { access_key_id: "DPRTTESTROOTKEY00001".into(), secret_access_key: "test-root-secret-key-0000000000000000000".into() };
        let server = depot::server::start(config.clone(), Some(root.clone())).await.expect("server starts");
        let addr = server.local_addr();
        let endpoint = format!("http://{addr}");
        let client = sdk_client(&endpoint, &config.region, &root.access_key_id, &root.secret_access_key, None);
        TestApp { server: Some(server), config, addr, endpoint, root, client, data_dir, database }
    }

    /// An SDK client for other credentials.
    pub fn client_for(&self, access_key: &str, secret: &str, session_token: Option<&str>) -> Client {
        sdk_client(&self.endpoint, &self.config.region, access_key, secret, session_token)
    }

    /// The server's state, for looking behind the API (blob files, catalog rows).
    pub fn state(&self) -> &depot::http::AppState {
        self.server.as_ref().expect("running").state()
    }

    /// Stops the server gracefully (in-flight requests finish), keeping its data.
    pub async fn stop_server(&mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await;
        }
    }

    /// Stops the server and starts a new one on the same data dir and database (on a new
    /// port; the clients follow).
    pub async fn restart(&mut self) {
        self.stop_server().await;
        let server = depot::server::start(self.config.clone(), Some(self.root.clone())).await.expect("server restarts");
        self.addr = server.local_addr();
        self.endpoint = format!("http://{}", self.addr);
        self.client = sdk_client(&self.endpoint, &self.config.region, &self.root.access_key_id, &self.root.secret_access_key, None);
        self.server = Some(server);
    }

    /// [`restart`](Self::restart) with a configuration `configure` adjusted (it stays
    /// so for later restarts).
    pub async fn restart_with(&mut self, configure: impl FnOnce(&mut ServeConfig)) {
        configure(&mut self.config);
        self.restart().await;
    }

    pub async fn shutdown(mut self) {
        self.stop_server().await;
        if let Some(db) = self.database.take() {
            db.drop_database().await;
        }
    }

    /// Creates a bucket as root.
    pub async fn bucket(&self, name: &str) {
        self.client.create_bucket().bucket(name).send().await.expect("create bucket");
    }

    /// Puts an object as root; returns its ETag.
    pub async fn put(&self, bucket: &str, key: &str, body: impl Into<Vec<u8>>) -> String {
        let out = self.client.put_object().bucket(bucket).key(key).body(body.into().into()).send().await.expect("put object");
        out.e_tag().unwrap_or_default().to_owned()
    }

    /// Gets an object's bytes as root.
    pub async fn get(&self, bucket: &str, key: &str) -> Vec<u8> {
        let out = self.client.get_object().bucket(bucket).key(key).send().await.expect("get object");
        out.body.collect().await.expect("body").into_bytes().to_vec()
    }

    /// Every key of a bucket, in listing order (ListObjectsV2, all pages).
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut pages = self.client.list_objects_v2().bucket(bucket).into_paginator().send();
        while let Some(page) = pages.next().await {
            keys.extend(page.expect("list page").contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        }
        keys
    }

    /// What a bucket holds, as far as a client can tell, plus the blob files on disk:
    /// compare two snapshots to show that a request changed nothing.
    pub async fn snapshot(&self, bucket: &str) -> Snapshot {
        let mut objects = BTreeMap::new();
        for key in self.keys(bucket).await {
            let out = self.client.get_object().bucket(bucket).key(&key).send().await.expect("get object");
            let etag = out.e_tag().unwrap_or_default().to_owned();
            let content_type = out.content_type().unwrap_or_default().to_owned();
            let bytes = out.body.collect().await.expect("body").into_bytes().to_vec();
            objects.insert(key, StoredObject { etag, content_type, bytes });
        }
        Snapshot { objects, blobs: self.blob_files().into_iter().collect() }
    }

    /// Blob files under the data dir.
    pub fn blob_files(&self) -> Vec<PathBuf> {
        files_under(&self.data_dir.path().join("blobs"))
    }

    /// Temp files of in-progress (or abandoned) writes.
    pub fn temp_files(&self) -> Vec<PathBuf> {
        files_under(&self.data_dir.path().join("tmp"))
    }

    /// The catalog database the server uses.
    pub fn database_url(&self) -> String {
        match &self.database {
            Some(db) => db.url(),
            None => format!("sqlite://{}", self.data_dir.path().join("depot.db").display()),
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.database.is_some()
    }

    /// A connection of its own to the server's catalog database.
    pub async fn db(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.database_url()).await.expect("connect to the catalog database")
    }

    /// Creates a second, non-root user with an access key, straight in the catalog (the
    /// account API is not there yet). Returns (access key id, secret).
    pub async fn create_user(&self, username: &str) -> (String, String) {
        let user_id = uuid::Uuid::new_v4().simple().to_string();
        let access_key = format!("DPTESTUSER{:010}", rand::random::<u32>());
        let secret = format!("secret-of-{username}-{}", uuid::Uuid::new_v4().simple());
        let now = chrono::Utc::now().timestamp_millis();
        let mut db = self.db().await;
        sqlx::query("INSERT INTO users (id, username, is_root, disabled, created_at) VALUES ($1, $2, 0, 0, $3)")
            .bind(&user_id)
            .bind(username)
            .bind(now)
            .execute(&mut db)
            .await
            .expect("insert user");
        sqlx::query("INSERT INTO access_keys (access_key_id, secret_key, user_id, kind, created_at) VALUES ($1, $2, $3, 'user', $4)")
            .bind(&access_key)
            .bind(&secret)
            .bind(&user_id)
            .bind(now)
            .execute(&mut db)
            .await
            .expect("insert access key");
        (access_key, secret)
    }

    /// A raw HTTP request builder, signed as root with SigV4 when `sign` is used.
    pub fn raw(&self, method: &str, path_and_query: &str) -> RawRequest {
        RawRequest::new(&self.endpoint, method, path_and_query)
    }

    /// Signs a raw request as root and sends it.
    pub async fn send_signed(&self, request: RawRequest) -> RawResponse {
        request.sign(&self.root.access_key_id, &self.root.secret_access_key).send().await
    }
}

/// One object as a client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    pub etag: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A bucket's objects and the server's blob files at one moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub objects: BTreeMap<String, StoredObject>,
    pub blobs: BTreeSet<PathBuf>,
}

/// Every file under `root`, recursively, in order.
pub fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                out.push(entry.path());
            }
        }
    }
    out.sort();
    out
}

pub fn sdk_client(endpoint: &str, region: &str, access_key: &str, secret: &str, session_token: Option<&str>) -> Client {
    let credentials = Credentials::new(access_key, secret, session_token.map(str::to_owned), None, "depot-tests");
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(credentials)
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}

/// The HTTP status and S3 error code of a call that must fail.
pub fn s3_error<T: Debug, E: ProvideErrorMetadata + Debug>(result: Result<T, SdkError<E, HttpResponse>>) -> (u16, String) {
    let err = result.expect_err("the request should fail");
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or_else(|| panic!("no response: {err:?}"));
    (status, err.code().unwrap_or_default().to_owned())
}

/// Waits until `check` holds, polling; fails the test after a deadline. For background
/// work (GC, sweeps) only: never a bare sleep.
pub async fn wait_until<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + WAIT_LIMIT;
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Hex MD5 of bytes, quoted as an ETag.
pub fn etag_of(bytes: &[u8]) -> String {
    use md5::{Digest, Md5};
    format!("\"{}\"", hex::encode(Md5::digest(bytes)))
}

/// Base64 MD5 of bytes, as Content-MD5 carries it.
pub fn content_md5(bytes: &[u8]) -> String {
    use base64::Engine;
    use md5::{Digest, Md5};
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

impl TestDatabase {
    async fn create(admin_url: &str) -> TestDatabase {
        let name = format!("depot_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = sqlx::PgConnection::connect(admin_url).await.expect("connect to PostgreSQL");
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.expect("create test database");
        TestDatabase { admin_url: admin_url.to_owned(), name }
    }

    fn url(&self) -> String {
        match self.admin_url.rsplit_once('/') {
            Some((base, _)) => format!("{base}/{}", self.name),
            None => self.admin_url.clone(),
        }
    }

    async fn drop_database(self) {
        if let Ok(mut conn) = sqlx::PgConnection::connect(&self.admin_url).await {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name)).execute(&mut conn).await;
        }
    }
}

/// A request the SDK would not send: raw method, path, headers and body, optionally
/// signed with SigV4 (header or presigned).
pub struct RawRequest {
    endpoint: String,
    method: String,
    path_and_query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `<Code>` of an S3 error document.
    pub fn error_code(&self) -> Option<String> {
        xml_value(&self.text(), "Code")
    }

    /// The `<Message>` of an S3 error document.
    pub fn error_message(&self) -> Option<String> {
        xml_value(&self.text(), "Message")
    }
}

/// The text of the first `<name>` element of a document.
pub fn xml_value(doc: &str, name: &str) -> Option<String> {
    xml_values(doc, name).into_iter().next()
}

/// The texts of every `<name>` element of a document, in order.
pub fn xml_values(doc: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        out.push(after[..end].to_owned());
        rest = &after[end + close.len()..];
    }
    out
}

impl RawRequest {
    fn new(endpoint: &str, method: &str, path_and_query: &str) -> Self {
        RawRequest {
            endpoint: endpoint.to_owned(),
            method: method.to_owned(),
            path_and_query: path_and_query.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// A header set on the request (e.g. by signing).
    pub fn header_value(&self, name: &str) -> Option<String> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.clone())
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    fn url(&self) -> String {
        format!("{}{}", self.endpoint, self.path_and_query)
    }

    /// The path and query as they will be sent (with a presigned URL's parameters).
    pub fn path_and_query(&self) -> &str {
        &self.path_and_query
    }

    /// Signs with SigV4 in the Authorization header, payload hashed.
    pub fn sign(self, access_key: &str, secret: &str) -> Self {
        self.sign_at(access_key, secret, SystemTime::now())
    }

    /// Signs as if at `time` (for skew tests).
    pub fn sign_at(self, access_key: &str, secret: &str, time: SystemTime) -> Self {
        self.sign_with(access_key, secret, time, None)
    }

    /// Signs with a given `x-amz-content-sha256` value (e.g. a STREAMING-* mode) instead
    /// of the body's hash.
    pub fn sign_payload(self, access_key: &str, secret: &str, time: SystemTime, payload: &str) -> Self {
        self.sign_with(access_key, secret, time, Some(payload))
    }

    fn sign_with(mut self, access_key: &str, secret: &str, time: SystemTime, payload: Option<&str>) -> Self {
        use aws_sigv4::http_request::{SignableBody, SignableRequest};
        let mut settings = s3_signing_settings();
        settings.payload_checksum_kind = aws_sigv4::http_request::PayloadChecksumKind::XAmzSha256;
        let url = self.url();
        let host = self.endpoint.trim_start_matches("http://").to_owned();
        let mut headers: Vec<(String, String)> = self.headers.clone();
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            headers.push(("host".into(), host));
        }
        let body = match payload {
            Some(p) => SignableBody::Precomputed(p.to_owned()),
            None => SignableBody::Bytes(&self.body),
        };
        let signable = SignableRequest::new(&self.method, &url, headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), body).expect("signable");
        let instructions = sign_s3(signable, access_key, secret, time, settings);
        for (name, value) in instructions.headers() {
            self.headers.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Presigns the request URL with SigV4 query parameters, valid for `expires`.
    pub fn presign(mut self, access_key: &str, secret: &str, expires: Duration, time: SystemTime) -> Self {
        use aws_sigv4::http_request::{SignableBody, SignableRequest, SignatureLocation};
        let mut settings = s3_signing_settings();
        settings.signature_location = SignatureLocation::QueryParams;
        settings.expires_in = Some(expires);
        let url = self.url();
        let host = self.endpoint.trim_start_matches("http://").to_owned();
        let headers = [("host".to_owned(), host)];
        let signable =
            SignableRequest::new(&self.method, &url, headers.iter().map(|(k, v)| (k.as_str(), v.as_str())), SignableBody::UnsignedPayload).expect("signable");
        let instructions = sign_s3(signable, access_key, secret, time, settings);
        let mut query: Vec<String> = Vec::new();
        for (name, value) in instructions.params() {
            query.push(format!("{}={}", name, percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)));
        }
        let separator = if self.path_and_query.contains('?') { '&' } else { '?' };
        self.path_and_query = format!("{}{}{}", self.path_and_query, separator, query.join("&"));
        self
    }

    /// The request as HTTP/1.1 bytes (head, body), for a test that drives the socket
    /// itself. The connection closes after the response.
    pub fn to_http1(&self) -> (Vec<u8>, Vec<u8>) {
        let host = self.endpoint.trim_start_matches("http://");
        let mut head = format!("{} {} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n", self.method, self.path_and_query);
        if !self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding")) {
            head.push_str(&format!("content-length: {}\r\n", self.body.len()));
        }
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case("content-length") {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
        }
        head.push_str("\r\n");
        (head.into_bytes(), self.body.clone())
    }

    /// Head and body in one buffer.
    pub fn to_http1_bytes(&self) -> Vec<u8> {
        let (mut head, body) = self.to_http1();
        head.extend_from_slice(&body);
        head
    }

    pub async fn send(self) -> RawResponse {
        let client = reqwest::Client::builder().no_proxy().build().expect("http client");
        self.try_send_with(&client).await.expect("raw request")
    }

    /// Sends the request over HTTPS to the same address, trusting only `ca_pem`.
    pub async fn send_tls(self, ca_pem: &str) -> RawResponse {
        self.send_tls_result(ca_pem).await.expect("https request")
    }

    /// [`send_tls`](Self::send_tls), with a failed connection (a handshake refused) as
    /// an error instead of a panic.
    pub async fn send_tls_result(mut self, ca_pem: &str) -> Result<RawResponse, reqwest::Error> {
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("a PEM certificate");
        let client = reqwest::Client::builder().no_proxy().tls_built_in_root_certs(false).add_root_certificate(ca).build().expect("https client");
        self.endpoint = self.endpoint.replacen("http://", "https://", 1);
        self.try_send_with(&client).await
    }

    async fn try_send_with(self, client: &reqwest::Client) -> Result<RawResponse, reqwest::Error> {
        let method = reqwest::Method::from_bytes(self.method.as_bytes()).expect("method");
        let mut req = client.request(method, self.url());
        for (k, v) in &self.headers {
            if !k.eq_ignore_ascii_case("host") {
                req = req.header(k, v);
            }
        }
        let resp = req.body(self.body).send().await?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let body = resp.bytes().await?.to_vec();
        Ok(RawResponse { status, headers, body })
    }
}

/// The events written to the outbox so far, oldest first.
pub async fn outbox_events(app: &TestApp) -> Vec<serde_json::Value> {
    use sqlx::Row;
    let rows = sqlx::query("SELECT payload FROM outbox ORDER BY id").fetch_all(app.state().catalog.reader()).await.expect("outbox");
    rows.iter().map(|r| serde_json::from_str(&r.get::<String, _>("payload")).expect("event json")).collect()
}

/// SigV4 as S3 applies it: paths encoded once and never normalized.
fn s3_signing_settings() -> aws_sigv4::http_request::SigningSettings {
    let mut settings = aws_sigv4::http_request::SigningSettings::default();
    settings.percent_encoding_mode = aws_sigv4::http_request::PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = aws_sigv4::http_request::UriPathNormalizationMode::Disabled;
    settings
}

/// Signs `request` for S3 with the given key at `time`.
fn sign_s3(
    request: aws_sigv4::http_request::SignableRequest<'_>,
    access_key: &str,
    secret: &str,
    time: SystemTime,
    settings: aws_sigv4::http_request::SigningSettings,
) -> aws_sigv4::http_request::SigningInstructions {
    let identity = Credentials::new(access_key, secret, None, None, "raw").into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    aws_sigv4::http_request::sign(request, &params).expect("sign").into_parts().0
}

/// One HTTP/1.1 connection driven byte by byte, for what no client library sends:
/// truncated bodies, `Expect: 100-continue` exchanges, hand-made chunked framing.
pub struct TcpClient {
    stream: tokio::net::TcpStream,
    buffered: Vec<u8>,
}

impl TcpClient {
    pub async fn connect(app: &TestApp) -> TcpClient {
        TcpClient { stream: tokio::net::TcpStream::connect(app.addr).await.expect("connect"), buffered: Vec::new() }
    }

    pub async fn send(&mut self, bytes: &[u8]) {
        use tokio::io::AsyncWriteExt;
        self.stream.write_all(bytes).await.expect("write");
    }

    /// Closes the sending side (the server sees the body end here).
    pub async fn finish_sending(&mut self) {
        use tokio::io::AsyncWriteExt;
        let _ = self.stream.shutdown().await;
    }

    /// Reads one response (a `100 Continue` counts as one); `None` if the server closed
    /// the connection without answering.
    pub async fn read_response(&mut self) -> Option<RawResponse> {
        use tokio::io::AsyncReadExt;
        let deadline = Duration::from_secs(10);
        let head_end = loop {
            if let Some(i) = self.buffered.windows(4).position(|w| w == b"\r\n\r\n") {
                break i + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = tokio::time::timeout(deadline, self.stream.read(&mut chunk)).await.ok()?.ok()?;
            if n == 0 {
                return None;
            }
            self.buffered.extend_from_slice(&chunk[..n]);
        };
        let (status, headers, len) = parse_response_head(&self.buffered[..head_end])?;
        self.buffered.drain(..head_end);
        while self.buffered.len() < len {
            let mut chunk = [0u8; 8192];
            let n = tokio::time::timeout(deadline, self.stream.read(&mut chunk)).await.ok()?.ok()?;
            if n == 0 {
                break;
            }
            self.buffered.extend_from_slice(&chunk[..n]);
        }
        let body: Vec<u8> = self.buffered.drain(..len.min(self.buffered.len())).collect();
        Some(RawResponse { status, headers, body })
    }
}

/// The status, headers and Content-Length (0 when absent) of a raw HTTP/1.1 response
/// head (status line and header lines, up to and including the blank line).
pub fn parse_response_head(head: &[u8]) -> Option<(u16, reqwest::header::HeaderMap, usize)> {
    let head = String::from_utf8_lossy(head);
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next()?.split_whitespace().nth(1)?.parse().ok()?;
    let mut headers = reqwest::header::HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        if let Some((k, v)) = line.split_once(':') {
            if let (Ok(k), Ok(v)) = (reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()), reqwest::header::HeaderValue::from_str(v.trim())) {
                headers.append(k, v);
            }
        }
    }
    let len = headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0);
    Some((status, headers, len))
}

/// A body of `seed` repeated past the inline limit: stored in a blob file, not in the
/// catalog row (for tests about blobs).
pub fn blob_body(seed: &[u8]) -> Vec<u8> {
    let seed = if seed.is_empty() { b"x".as_slice() } else { seed };
    seed.iter().copied().cycle().take(depot::object::put::INLINE_LIMIT + 1 + seed.len()).collect()
}

/// A signed GET on a raw socket, read until the server closes it: (status,
/// Content-Length if any, the body bytes that arrived).
pub async fn get_until_closed(app: &TestApp, path: &str, range: Option<&str>) -> (u16, Option<usize>, Vec<u8>) {
    let mut request = app.raw("GET", path);
    if let Some(range) = range {
        request = request.header("range", range);
    }
    let bytes = request.sign(&app.root.access_key_id, &app.root.secret_access_key).to_http1_bytes();
    let mut socket = tokio::net::TcpStream::connect(app.addr).await.expect("connect");
    tokio::io::AsyncWriteExt::write_all(&mut socket, &bytes).await.expect("send the request");
    let mut received = Vec::new();
    loop {
        let mut chunk = [0u8; 64 * 1024];
        match tokio::time::timeout(Duration::from_secs(10), tokio::io::AsyncReadExt::read(&mut socket, &mut chunk)).await.expect("the server ends the response")
        {
            Ok(0) | Err(_) => break,
            Ok(n) => received.extend_from_slice(&chunk[..n]),
        }
    }
    let head_end = received.windows(4).position(|w| w == b"\r\n\r\n").expect("a response head") + 4;
    let (status, headers, _) = parse_response_head(&received[..head_end]).expect("a parsable head");
    let len = headers.get("content-length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (status, len, received[head_end..].to_vec())
}
