//! Building responses: XML documents, empty answers, streamed object bodies, and S3
//! error documents.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{header, HeaderValue, Response, StatusCode};
use http_body::{Frame, SizeHint};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Empty, Full};
use s3api::S3Error;
use tokio::sync::mpsc;

/// The body of every response.
pub type Body = BoxBody<Bytes, std::io::Error>;

pub fn empty_body() -> Body {
    Empty::new().map_err(|never| match never {}).boxed()
}

pub fn full_body(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).map_err(|never| match never {}).boxed()
}

/// A response with no body.
pub fn empty(status: StatusCode) -> Response<Body> {
    let mut resp = Response::new(empty_body());
    *resp.status_mut() = status;
    resp
}

/// A 200 response with an XML document.
pub fn xml(body: String) -> Response<Body> {
    xml_with_status(StatusCode::OK, body)
}

pub fn xml_with_status(status: StatusCode, body: String) -> Response<Body> {
    let mut resp = Response::new(full_body(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    resp
}

/// A 200 response with a JSON document as stored (a bucket policy).
pub fn json_text(body: String) -> Response<Body> {
    let mut resp = Response::new(full_body(body));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A JSON response.
pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    let mut resp = Response::new(full_body(value.to_string()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// An S3 error document (no body for HEAD, as S3 answers).
pub fn s3_error(err: &S3Error, request_id: &str, is_head: bool) -> Response<Body> {
    let mut resp =
        if is_head || err.status() == StatusCode::NOT_MODIFIED { empty(err.status()) } else { xml_with_status(err.status(), err.to_xml(request_id)) };
    for (name, value) in &err.headers {
        if let Ok(v) = HeaderValue::from_str(value) {
            resp.headers_mut().insert(*name, v);
        }
    }
    resp
}

/// Sets a header from text, skipping values that are not valid header text.
pub fn set_header(resp: &mut Response<Body>, name: &'static str, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        resp.headers_mut().insert(name, v);
    }
}

/// Where a streamed body's pieces come from: the blob reader's channel, or a reader that
/// works on them on the way (decryption).
pub trait PieceSource: Send + Sync + Unpin + 'static {
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>>;
}

impl PieceSource for mpsc::Receiver<std::io::Result<Bytes>> {
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<std::io::Result<Bytes>>> {
        self.poll_recv(cx)
    }
}

/// A body streamed from a reader, of known length.
pub struct ChannelBody<S> {
    first: Option<Bytes>,
    rx: S,
    remaining: u64,
}

/// A response body of `len` bytes: `first`, already read, then what the reader hands on.
pub fn channel_body_after(first: Bytes, rx: impl PieceSource, len: u64) -> Body {
    ChannelBody { first: Some(first), rx, remaining: len }.boxed()
}

impl<S: PieceSource> http_body::Body for ChannelBody<S> {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Some(first) = self.first.take() {
            self.remaining = self.remaining.saturating_sub(first.len() as u64);
            return Poll::Ready(Some(Ok(Frame::data(first))));
        }
        match self.rx.poll_piece(cx) {
            Poll::Ready(Some(Ok(bytes))) => {
                self.remaining = self.remaining.saturating_sub(bytes.len() as u64);
                Poll::Ready(Some(Ok(Frame::data(bytes))))
            }
            Poll::Ready(Some(Err(e))) => {
                tracing::error!(error = %e, "object read failed mid-stream");
                Poll::Ready(Some(Err(e)))
            }
            Poll::Ready(None) if self.remaining > 0 => {
                Poll::Ready(Some(Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "object data ended early"))))
            }
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.remaining == 0
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.remaining)
    }
}
