//! A minimal HTTP/1.1 client for `depot admin --endpoint`: one request per connection,
//! signed with SigV4 by the root access key (`s3api::sigv4::signer`), JSON back.
//!
//! Plain `http://` only (Depot itself serves plain HTTP; put TLS in front of both).

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use s3api::sigv4::signer::{sign, SigningInput};
use serde_json::Value;

use super::CliError;

/// Credentials and region to sign with.
#[derive(Clone)]
pub struct Signer {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("access_key_id", &self.access_key_id).field("region", &self.region).finish_non_exhaustive()
    }
}

/// Sends a signed request with an empty body to `endpoint` + `path`; the JSON answer of a
/// 2xx response, or the server's JSON error as [`CliError::Server`].
pub async fn call(endpoint: &str, method: &str, path: &str, signer: &Signer) -> Result<Value, CliError> {
    let connect_err = |message: String| CliError::Connect { endpoint: endpoint.to_owned(), message };
    let base: Uri = endpoint.trim_end_matches('/').parse().map_err(|e| CliError::Usage(format!("invalid --endpoint {endpoint}: {e}")))?;
    if base.scheme_str() != Some("http") {
        return Err(CliError::Usage(format!("--endpoint must be an http:// URL, not {endpoint}")));
    }
    let authority = base.authority().ok_or_else(|| CliError::Usage(format!("--endpoint has no host: {endpoint}")))?.clone();
    let port = authority.port_u16().unwrap_or(80);
    let stream = tokio::net::TcpStream::connect((authority.host(), port)).await.map_err(|e| connect_err(e.to_string()))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(|e| connect_err(e.to_string()))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "admin client connection ended with an error");
        }
    });

    let host = authority.as_str().to_owned();
    let (raw_path, query) = path.split_once('?').unwrap_or((path, ""));
    let headers = vec![("host".to_owned(), host)];
    let signed = sign(&SigningInput {
        method,
        path: raw_path,
        query,
        headers: &headers,
        payload: b"",
        access_key_id: &signer.access_key_id,
        secret_access_key: &signer.secret_access_key,
        region: &signer.region,
        time: chrono::Utc::now(),
    });
    let mut builder = Request::builder().method(method).uri(path);
    for (name, value) in headers.iter().chain(signed.iter()) {
        builder = builder.header(name.as_str(), value.as_str());
    }
    let request = builder.body(Full::new(Bytes::new())).map_err(|e| CliError::Usage(e.to_string()))?;
    let response = sender.send_request(request).await.map_err(|e| connect_err(e.to_string()))?;
    let status = response.status();
    let body = response.into_body().collect().await.map_err(|e| connect_err(e.to_string()))?.to_bytes();
    driver.abort();
    let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if status.is_success() {
        return Ok(value);
    }
    let field = |name: &str| value["error"][name].as_str().map(str::to_owned);
    Err(CliError::Server {
        status: status.as_u16(),
        code: field("code").unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_owned()),
        message: field("message").unwrap_or_else(|| String::from_utf8_lossy(&body).chars().take(200).collect()),
    })
}
