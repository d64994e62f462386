//! The web console: a single page under `/_depot/console/`, served by the same process
//! and port as the S3 and JSON APIs (same origin, so no CORS). The page is a client of
//! those APIs like any other: it signs S3 requests itself and calls the JSON API; this
//! module only serves its files, with the security and cache headers they need. It
//! never reads the catalog or the blobs.
//!
//! URLs: `/_depot/console/` is the page (never cached); `/_depot/console/assets/<version>/<path>`
//! are its scripts, styles and icons, where `<version>` is a hash of every file, so they
//! are cached for a year and a new build gets new URLs. The page names its assets
//! through the `{{ASSETS}}` placeholder, and learns the region from `{{REGION}}`.
//!
//! Layer 17 of `crate::LAYERS`: may import `http` and `config`; nothing of the handlers.

pub mod assets;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Response, StatusCode};

use crate::http::response::{empty, full_body, Body};
use crate::http::AppState;
use assets::Source;

/// Where the console lives.
pub const PREFIX: &str = "/_depot/console";

/// What every console response carries: scripts and styles only from this origin (no
/// inline script or style), requests only to this origin, never framed.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; \
                   worker-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// Whether `path` is the console's (answered here when the console is on).
pub fn owns(path: &str) -> bool {
    path == PREFIX || path.starts_with("/_depot/console/")
}

/// Answers a console request: the page, an asset, or 404.
pub fn handle(state: &AppState, method: &Method, path: &str) -> Response<Body> {
    let source = match &state.config.console_dir {
        Some(dir) => Source::Dir(dir.clone()),
        None => Source::Embedded,
    };
    if method != Method::GET && method != Method::HEAD {
        let mut resp = text(StatusCode::METHOD_NOT_ALLOWED, "Use GET\n");
        resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return secure(resp);
    }
    let rest = path.strip_prefix(PREFIX).unwrap_or_default();
    let resp = match rest {
        "" => {
            let mut resp = empty(StatusCode::PERMANENT_REDIRECT);
            resp.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/_depot/console/"));
            resp
        }
        "/" | "/index.html" => page(&source, &state.config.region),
        _ => match rest.strip_prefix("/assets/").and_then(|r| r.split_once('/')) {
            Some((version, file)) if version == source.version() && file != "index.html" => asset(&source, file),
            _ => text(StatusCode::NOT_FOUND, "Not found\n"),
        },
    };
    // For HEAD, hyper sends the headers (Content-Length included) and drops the body.
    secure(resp)
}

/// `index.html` with its asset URLs and the region (which signatures name) filled in;
/// `no-cache`, so a new build is seen at once.
fn page(source: &Source, region: &str) -> Response<Body> {
    match source.file("index.html") {
        Ok(Some(html)) => {
            let region: String = region.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
            let html = String::from_utf8_lossy(&html).replace("{{ASSETS}}", &format!("assets/{}", source.version())).replace("{{REGION}}", &region);
            let mut resp = file_response(Bytes::from(html), "index.html");
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            resp
        }
        Ok(None) => text(StatusCode::NOT_FOUND, "The console's files are missing\n"),
        Err(e) => read_failed("index.html", &e),
    }
}

/// One asset of the current version, cached for good (uncached from a directory). Other
/// versions are 404: a page loaded before an upgrade must not mix old and new modules
/// (it reloads itself when one fails to load).
fn asset(source: &Source, path: &str) -> Response<Body> {
    match source.file(path) {
        Ok(Some(bytes)) => {
            let mut resp = file_response(Bytes::from(bytes.into_owned()), path);
            let cache = if matches!(source, Source::Embedded) { "public, max-age=31536000, immutable" } else { "no-cache" };
            resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
            resp
        }
        Ok(None) => text(StatusCode::NOT_FOUND, "Not found\n"),
        Err(e) => read_failed(path, &e),
    }
}

fn read_failed(path: &str, e: &std::io::Error) -> Response<Body> {
    tracing::error!(path, error = %e, "cannot read a console file");
    text(StatusCode::INTERNAL_SERVER_ERROR, "The console's file could not be read\n")
}

fn file_response(bytes: Bytes, path: &str) -> Response<Body> {
    let mut resp = Response::new(full_body(bytes));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(assets::content_type(path)));
    resp
}

fn text(status: StatusCode, message: &'static str) -> Response<Body> {
    let mut resp = Response::new(full_body(message));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    resp.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The security headers of every console response.
fn secure(mut resp: Response<Body>) -> Response<Body> {
    let headers = resp.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    // A window that opens the console (an object page, say) gets no handle on it.
    headers.insert(http::HeaderName::from_static("cross-origin-opener-policy"), HeaderValue::from_static("same-origin"));
    resp
}
