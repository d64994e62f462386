//! PostObject, the server half of a browser upload: read the form fields that come
//! before the file from the streaming `multipart/form-data` body ([`read_form`]), and
//! once the pipeline has authenticated the form and authorized the write, store the file
//! exactly as PutObject stores a body ([`store`]) and answer as the form asks.
//!
//! The protocol rules (fields, policy, signature, key, stored headers, the answer) are
//! `s3api::post`; who may write is decided in the pipeline (`server::s3`) through
//! `auth`. The file streams to storage as it arrives; parts after it are never read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use futures_util::StreamExt;
use http::request::Parts;
use http::{HeaderMap, Method, Response, StatusCode};
use s3api::post::{self, PostForm};
use s3api::route::Query;
use s3api::{S3Error, S3ErrorCode};

use crate::auth::access::Caller;
use crate::catalog::Bucket;
use crate::error::Error;
use crate::http::body::{BodyLimits, ByteStream, RequestBody};
use crate::http::response::{self, set_header, Body};
use crate::http::{AppState, S3Request};

/// A form whose fields are read, stopped at its file part.
pub struct FormUpload {
    pub form: PostForm,
    /// The object key, `${filename}` replaced.
    pub key: String,
    /// The headers a PutObject of the file would carry (`Content-Type`, `x-amz-acl`,
    /// metadata, …), from the fields: what the write stores, and what a bucket
    /// policy's `s3:` condition keys see.
    pub headers: HeaderMap,
    file: multer::Field<'static>,
}

/// Reads the fields before the file part. A body that is not `multipart/form-data` is
/// `412 PreconditionFailed`, one that is not well formed `MalformedPOSTRequest`, one
/// without a `file` part S3's `InvalidArgument`.
pub async fn read_form(headers: &HeaderMap, body: RequestBody) -> Result<FormUpload, Error> {
    let content_type = headers.get(http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let boundary = post::boundary(content_type)?;
    let file_started = Arc::new(AtomicBool::new(false));
    let mut multipart = multer::Multipart::new(bounded_before_file(body.into_stream(), file_started.clone()), boundary);
    let mut form = PostForm::new();
    loop {
        let Some(mut field) = multipart.next_field().await.map_err(form_error)? else {
            return Err(post::no_file().into());
        };
        let Some(name) = field.name().filter(|n| !n.is_empty()).map(str::to_owned) else {
            return Err(post::malformed().into());
        };
        if name.eq_ignore_ascii_case("file") {
            file_started.store(true, Ordering::Relaxed);
            let filename = field.file_name().map(str::to_owned);
            let file_content_type = field.content_type().map(|m| m.to_string());
            form.expand_filename(filename.as_deref());
            let key = post::object_key(&form, filename.as_deref())?;
            s3api::route::check_key(&key)?;
            let headers = post::stored_headers(&form, file_content_type.as_deref())?;
            return Ok(FormUpload { form, key, headers, file: field });
        }
        let mut value = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(form_error)? {
            if value.len() + chunk.len() > post::MAX_PRE_DATA_LENGTH {
                return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceeded)
                    .extra("MaxPostPreDataLengthBytes", post::MAX_PRE_DATA_LENGTH.to_string())
                    .into());
            }
            value.extend_from_slice(&chunk);
        }
        let value = String::from_utf8(value).map_err(|_| post::malformed())?;
        form.push(&name, value)?;
    }
}

/// The most bytes read from the body before the file part starts: the fields' own
/// bound plus room for part headers, boundaries and the read that reaches into the
/// file. Nothing is authenticated before the file part, so nothing may buffer more.
const MAX_BEFORE_FILE: u64 = post::MAX_PRE_DATA_LENGTH as u64 + 1024 * 1024;

/// The body, failing with `MaxPostPreDataLengthExceeded` once more than
/// [`MAX_BEFORE_FILE`] bytes arrive before `file_started` is set.
fn bounded_before_file(body: ByteStream, file_started: Arc<AtomicBool>) -> ByteStream {
    let mut read = 0u64;
    body.map(move |chunk| {
        let chunk = chunk?;
        if !file_started.load(Ordering::Relaxed) {
            read += chunk.len() as u64;
            if read > MAX_BEFORE_FILE {
                return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceeded).extra("MaxPostPreDataLengthBytes", post::MAX_PRE_DATA_LENGTH.to_string()));
            }
        }
        Ok(chunk)
    })
    .boxed()
}

/// Stores the file of a form the pipeline authenticated (`caller`) and authorized for
/// `s3:PutObject` on `upload.key` in `bucket`, as PutObject does (the form's fields stand
/// in for its headers), holding the file to `length_range` (the policy's
/// `content-length-range`) while it streams. `request` is the POST's own head: its Host
/// names the object's URL in the answer.
pub async fn store(
    state: &AppState,
    request: &Parts,
    caller: Caller,
    bucket: Bucket,
    upload: FormUpload,
    length_range: Option<(u64, u64)>,
    origin: Origin<'_>,
) -> Result<Response<Body>, Error> {
    let Origin { request_id, remote, secure } = origin;
    let FormUpload { form, key, headers, file } = upload;
    let max_len = length_range.map_or(state.config.max_object_size, |(_, max)| max.min(state.config.max_object_size));
    let body = RequestBody::from_stream(file_stream(file, length_range), BodyLimits { max_len, ..state.body_limits() });
    let (mut parts, ()) = http::Request::new(()).into_parts();
    // PutObject's path, told by the method that the event is `ObjectCreated:Post`.
    parts.method = Method::POST;
    parts.uri = request.uri.clone();
    parts.headers = headers;
    let req = S3Request { parts, query: Query::parse(None), body, caller, action: "s3:PutObject", request_id: request_id.to_owned(), remote, secure };
    let bucket_name = bucket.name.clone();
    let stored = super::put::put_object(state, req, bucket, &key).await?;
    let etag = stored.headers().get("etag").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let location = post::object_location(&bucket_url(request, &bucket_name, secure), &key);
    let answer = post::success(&form, &bucket_name, &key, &etag, &location);
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::NO_CONTENT);
    let mut resp = match answer.body {
        Some(xml) => response::xml_with_status(status, xml),
        None => response::empty(status),
    };
    set_header(&mut resp, "location", answer.location_header.as_deref().unwrap_or(&location));
    for name in [
        "etag",
        "x-amz-version-id",
        s3api::sse::SSE_HEADER,
        s3api::sse::KMS_KEY_ID_HEADER,
        s3api::sse::BUCKET_KEY_HEADER,
        s3api::sse::CUSTOMER_ALGORITHM_HEADER,
        s3api::sse::CUSTOMER_KEY_MD5_HEADER,
    ] {
        if let Some(v) = stored.headers().get(name).and_then(|v| v.to_str().ok()) {
            set_header(&mut resp, name, v);
        }
    }
    Ok(resp)
}

/// The file part as body bytes: multer's errors as S3's, and a file outside the policy's
/// `content-length-range` refused at its end, before anything is committed (the body's
/// limit cuts off a file past the maximum as soon as it passes it).
fn file_stream(file: multer::Field<'static>, length_range: Option<(u64, u64)>) -> ByteStream {
    futures_util::stream::unfold(Some((file, 0u64)), move |state| async move {
        let (mut file, received) = state?;
        match file.next().await {
            Some(Ok(chunk)) => {
                let received = received + chunk.len() as u64;
                Some((Ok::<Bytes, S3Error>(chunk), Some((file, received))))
            }
            Some(Err(e)) => Some((Err(s3_error(e)), None)),
            None => match post::check_length(length_range, received) {
                Ok(()) => None,
                Err(e) => Some((Err(e), None)),
            },
        }
    })
    .boxed()
}

/// The URL of a bucket as the request addressed it: `http(s)://host/bucket`, or
/// `http(s)://bucket.host` for a virtual-host request.
fn bucket_url(request: &Parts, bucket: &str, secure: bool) -> String {
    let host = request.headers.get(http::header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    let scheme = if secure { "https" } else { "http" };
    if host.starts_with(&format!("{bucket}.")) {
        format!("{scheme}://{host}")
    } else {
        format!("{scheme}://{host}/{bucket}")
    }
}

/// The request a form came in: its id, its peer, whether it came over TLS.
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub request_id: &'a str,
    pub remote: std::net::SocketAddr,
    pub secure: bool,
}

fn form_error(e: multer::Error) -> Error {
    s3_error(e).into()
}

/// The body's own failure (a timeout, a body past its limit) where the parser saw one,
/// else `MalformedPOSTRequest`.
fn s3_error(e: multer::Error) -> S3Error {
    match e {
        multer::Error::StreamReadFailed(source) => match source.downcast::<S3Error>() {
            Ok(e) => *e,
            Err(_) => post::malformed(),
        },
        _ => post::malformed(),
    }
}
