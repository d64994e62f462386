//! A minimal HTTP/1.1 client for `depot admin --endpoint`: one request per connection,
//! signed with SigV4 by the root access key (`s3api::sigv4::signer`), JSON back.
//!
//! `http://` and `https://` (rustls; the server's certificate is checked against the
//! CA bundle given with `--ca-bundle`, or else the system's trusted roots).

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http::{Request, Uri};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName};
use s3api::sigv4::signer::{sign, SigningInput};
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinHandle;
use tokio_rustls::TlsConnector;

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
pub async fn call(endpoint: &str, method: &str, path: &str, signer: &Signer, ca_bundle: Option<&Path>) -> Result<Value, CliError> {
    let connect_err = |message: String| CliError::Connect { endpoint: endpoint.to_owned(), message };
    let base: Uri = endpoint.trim_end_matches('/').parse().map_err(|e| CliError::Usage(format!("invalid --endpoint {endpoint}: {e}")))?;
    let secure = match base.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        _ => return Err(CliError::Usage(format!("--endpoint must be an http:// or https:// URL, not {endpoint}"))),
    };
    let authority = base.authority().ok_or_else(|| CliError::Usage(format!("--endpoint has no host: {endpoint}")))?.clone();
    let port = authority.port_u16().unwrap_or(if secure { 443 } else { 80 });
    // An IPv6 literal comes in brackets (`[::1]`), which neither parses nor resolves.
    let host = authority.host().trim_matches(['[', ']']).to_owned();
    let stream = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| connect_err(e.to_string()))?;
    let (mut sender, driver) = if secure {
        let connector = tls_connector(ca_bundle)?;
        let name = ServerName::try_from(host.clone()).map_err(|e| CliError::Usage(format!("--endpoint host is not a TLS server name: {e}")))?;
        let tls = connector.connect(name, stream).await.map_err(|e| connect_err(format!("TLS: {e}")))?;
        handshake(tls).await.map_err(|e| connect_err(e.to_string()))?
    } else {
        handshake(stream).await.map_err(|e| connect_err(e.to_string()))?
    };

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

/// An HTTP/1.1 connection over `io`, and the task that drives it.
async fn handshake<T>(io: T) -> Result<(SendRequest<Full<Bytes>>, JoinHandle<()>), hyper::Error>
where
    T: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io)).await?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!(error = %e, "admin client connection ended with an error");
        }
    });
    Ok((sender, driver))
}

/// A TLS client trusting the certificates of `ca_bundle` (PEM), or the system's roots.
fn tls_connector(ca_bundle: Option<&Path>) -> Result<TlsConnector, CliError> {
    let mut roots = RootCertStore::empty();
    match ca_bundle {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|certs| certs.collect())
                .map_err(|e| CliError::Usage(format!("cannot read the CA bundle {}: {e}", path.display())))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(CliError::Usage(format!("the CA bundle {} holds no certificate", path.display())));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for e in &found.errors {
                tracing::debug!(error = %e, "a system certificate could not be loaded");
            }
            roots.add_parsable_certificates(found.certs);
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::Usage(format!("TLS set-up: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(TlsConnector::from(Arc::new(config)))
}
