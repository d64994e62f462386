//! Browser uploads: POST Object with a `multipart/form-data` body, the protocol half.
//!
//! Owns the form fields that come before the file ([`PostForm`]), who signed the form
//! ([`auth`], [`verify`] in `signature`), the POST policy ([`PostPolicy`] in `policy`), the
//! object key, the headers a PutObject would have carried ([`stored_headers`]) and the
//! success answer ([`success`]). It reads no body, runs no runtime, looks up no secret and
//! reads no clock: the server streams the multipart body and passes values in.
//!
//! # The server's part, in order
//!
//! 1. [`boundary`] of the request's `Content-Type`: not `multipart/form-data` is 412
//!    `PreconditionFailed` (S3's answer), no boundary is `MalformedPOSTRequest`.
//! 2. Stream the parts (multer). Every part before the `form-data` part named `file` is a
//!    field: [`PostForm::push`] it (the 20 KB bound is enforced there). A body that is not
//!    well-formed multipart is [`malformed`]. The `file` part must come last: parts after
//!    it are ignored, as S3 ignores them (a `key` after `file` is "missing"). No `file` part
//!    at all is [`no_file`] (S3 answers `InvalidArgument` there, not the documented
//!    `IncorrectNumberOfFilesInPostRequest`).
//! 3. When the `file` part's headers arrive: [`PostForm::expand_filename`] with its
//!    `filename` parameter, then [`object_key`], [`auth`]; look up the secret of
//!    [`PostAuth::access_key_id`] (unknown: `InvalidAccessKeyId`), check the session token,
//!    [`verify`]; [`PostPolicy::parse`] the `policy` field and [`PostPolicy::check`] it.
//!    An anonymous form (no signature fields) skips the signature and the policy: the
//!    bucket's ACL or policy decides.
//! 4. [`stored_headers`] go through the PutObject header parsing unchanged (ACL, storage
//!    class, metadata, tagging, checksums, encryption). Authorization is `s3:PutObject`.
//! 5. Stream the file, holding it to [`PostPolicy::content_length_range`] with
//!    [`check_length`] (reject as soon as the maximum is passed; nothing is stored).
//! 6. Answer with [`success`]; also send the `ETag` header (and `x-amz-version-id`).

mod policy;
mod signature;

#[cfg(test)]
mod tests;

pub use policy::{check_length, PostPolicy};
pub use signature::{auth, verify, PostAuth};

use http::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::sigv4::canonical::uri_encode;
use crate::xml::request::TagSet;
use crate::xml::XmlWriter;

/// The most bytes the fields before the file may hold (names and values): S3 answers
/// `MaxPostPreDataLengthExceeded` with `<MaxPostPreDataLengthBytes>20480</...>` past it.
pub const MAX_PRE_DATA_LENGTH: usize = 20 * 1024;

/// What `${filename}` in a field is replaced with.
const FILENAME_VARIABLE: &str = "${filename}";

/// The form fields that came before the file, in order. Names are compared
/// case-insensitively (kept lower-case); values keep their case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostForm {
    fields: Vec<(String, String)>,
    size: usize,
    expanded: bool,
}

impl PostForm {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a field. A repeated name joins its values with `,` (S3's documented rule: a
    /// policy matches two `x-amz-meta-tag` fields `Ninja` and `Stallman` as
    /// `Ninja,Stallman`). More than [`MAX_PRE_DATA_LENGTH`] bytes of names and values in
    /// all -> `MaxPostPreDataLengthExceeded`.
    pub fn push(&mut self, name: &str, value: String) -> S3Result<()> {
        // A repeated name costs its `,` too, so no form grows past the bound unseen.
        self.size = self.size.saturating_add(name.len()).saturating_add(value.len()).saturating_add(1);
        if self.size > MAX_PRE_DATA_LENGTH {
            return Err(S3Error::new(S3ErrorCode::MaxPostPreDataLengthExceeded).extra("MaxPostPreDataLengthBytes", MAX_PRE_DATA_LENGTH.to_string()));
        }
        let name = name.to_ascii_lowercase();
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some((_, existing)) => {
                existing.push(',');
                existing.push_str(&value);
            }
            None => self.fields.push((name, value)),
        }
        Ok(())
    }

    /// A field's value, by name in any case.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The fields in order, names lower-case.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.fields.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// Replaces `${filename}` in every field with the file part's `filename` parameter,
    /// after its last `/` or `\` (S3: "recognized by all form fields"; the policy is checked
    /// against the expanded values). `None` (a file part without a `filename` parameter)
    /// leaves the text as it is, as S3 was recorded doing; `Some("")` makes it empty. Call
    /// it once, before [`PostPolicy::check`]; later calls do nothing.
    pub fn expand_filename(&mut self, filename: Option<&str>) {
        if self.expanded {
            return;
        }
        self.expanded = true;
        let Some(filename) = filename else { return };
        let name = basename(filename);
        for (_, value) in &mut self.fields {
            if value.contains(FILENAME_VARIABLE) {
                *value = value.replace(FILENAME_VARIABLE, name);
            }
        }
    }
}

/// The text after the last `/` or `\` of a file name a browser sent.
fn basename(filename: &str) -> &str {
    filename.rsplit(['/', '\\']).next().unwrap_or(filename)
}

/// S3's answer for a field the form lacks (or sent after the file).
pub(crate) fn missing_field(name: &'static str) -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidArgument,
        format!("Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields."),
    )
    .extra("ArgumentName", name)
    .extra("ArgumentValue", "")
}

/// S3's answer for a form without a `file` part: `InvalidArgument` naming `file` with the
/// value `0` (recorded; never the documented `IncorrectNumberOfFilesInPostRequest`).
pub fn no_file() -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, "POST requires exactly one file upload per request.")
        .extra("ArgumentName", "file")
        .extra("ArgumentValue", "0")
}

/// `MalformedPOSTRequest`, for a body that is not well-formed `multipart/form-data`.
pub fn malformed() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedPOSTRequest)
}

/// The multipart boundary of a request's `Content-Type`. Not `multipart/form-data` (or
/// absent: pass `""`) -> 412 `PreconditionFailed` with S3's `Condition`; no usable
/// `boundary` parameter -> `MalformedPOSTRequest`.
pub fn boundary(content_type: &str) -> S3Result<String> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or_default().trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(S3Error::with_message(S3ErrorCode::PreconditionFailed, "At least one of the pre-conditions you specified did not hold")
            .extra("Condition", "Bucket POST must be of the enclosure-type multipart/form-data"));
    }
    for param in params {
        let Some((name, value)) = param.split_once('=') else { continue };
        if !name.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(quoted) => unquote(quoted).ok_or_else(malformed)?,
            None => value.to_owned(),
        };
        if value.is_empty() || !value.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return Err(malformed());
        }
        return Ok(value);
    }
    Err(malformed())
}

/// The body of a quoted-string whose opening quote is already removed; `None` when it is
/// not closed.
fn unquote(rest: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            c => out.push(c),
        }
    }
    None
}

/// The object key: the `key` field (absent -> S3's `InvalidArgument`) with `${filename}`
/// replaced by the file's name, unless [`PostForm::expand_filename`] already did. Empty ->
/// `InvalidArgument` "User key must have a length greater than 0."; over 1024 bytes ->
/// `KeyTooLongError`.
pub fn object_key(form: &PostForm, filename: Option<&str>) -> S3Result<String> {
    let key = form.get("key").ok_or_else(|| missing_field("key"))?;
    let key = match filename {
        Some(filename) if !form.expanded => key.replace(FILENAME_VARIABLE, basename(filename)),
        _ => key.to_owned(),
    };
    if key.is_empty() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidArgument, "User key must have a length greater than 0.")
            .extra("ArgumentName", "key")
            .extra("ArgumentValue", ""));
    }
    crate::route::check_key(&key)?;
    Ok(key)
}

/// Fields stored under their own name, as the PutObject header of the same name.
const SAME_NAME: &[&str] = &[
    "cache-control",
    "content-disposition",
    "content-encoding",
    "content-language",
    "content-md5",
    "content-type",
    "expires",
    "x-amz-object-lock-legal-hold",
    "x-amz-object-lock-mode",
    "x-amz-object-lock-retain-until-date",
    "x-amz-storage-class",
    "x-amz-website-redirect-location",
];

/// Field prefixes stored under their own name.
const SAME_NAME_PREFIXES: &[&str] = &["x-amz-meta-", "x-amz-server-side-encryption", "x-amz-checksum-"];

/// The headers a PutObject of the same object would have carried: the fields above,
/// `acl` as `x-amz-acl`, and `tagging` (a `<Tagging>` document) as `x-amz-tagging`.
/// `Content-Type` is the field (unless empty), else the file part's type, else none (the
/// PutObject default applies). Other fields are not headers.
/// A value that cannot be a header value (a line break) -> `InvalidArgument`; tagging that
/// is not XML -> `MalformedXML`, tags against S3's rules -> `InvalidTag`.
pub fn stored_headers(form: &PostForm, file_content_type: Option<&str>) -> S3Result<HeaderMap> {
    let mut headers = HeaderMap::new();
    for (name, value) in form.iter() {
        let header = if name == "acl" {
            "x-amz-acl"
        } else if name == "content-type" && value.trim().is_empty() {
            // An empty field (sent to meet a condition) leaves the file's type in place.
            continue;
        } else if name == "tagging" {
            if let Some(tags) = tagging_header(value)? {
                insert(&mut headers, "x-amz-tagging", &tags)?;
            }
            continue;
        } else if SAME_NAME.contains(&name) || SAME_NAME_PREFIXES.iter().any(|p| name.starts_with(p)) {
            name
        } else {
            continue;
        };
        insert(&mut headers, header, value)?;
    }
    if let Some(content_type) = file_content_type.map(str::trim).filter(|t| !t.is_empty()) {
        if !headers.contains_key(http::header::CONTENT_TYPE) {
            insert(&mut headers, "content-type", content_type)?;
        }
    }
    Ok(headers)
}

fn insert(headers: &mut HeaderMap, name: &str, value: &str) -> S3Result<()> {
    let invalid = || {
        S3Error::with_message(S3ErrorCode::InvalidArgument, format!("The form field '{name}' cannot be sent as an HTTP header."))
            .extra("ArgumentName", name.to_owned())
    };
    let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid())?;
    let value = HeaderValue::from_bytes(value.trim().as_bytes()).map_err(|_| invalid())?;
    headers.insert(header, value);
    Ok(())
}

/// `<Tagging>` with its `TagSet` optional: S3 stored no tags for a well-formed document
/// without one (recorded with `<InvalidXmlTagging></InvalidXmlTagging>`).
#[derive(Debug, Deserialize)]
struct PostTagging {
    #[serde(rename = "TagSet", default)]
    tag_set: TagSet,
}

/// The `tagging` field as the `x-amz-tagging` header (`k1=v1&k2=v2`, URL-encoded); `None`
/// for no tags.
fn tagging_header(xml: &str) -> S3Result<Option<String>> {
    let parsed: PostTagging = crate::xml::request::parse(xml.as_bytes()).map_err(|_| {
        S3Error::with_message(S3ErrorCode::MalformedXML, "The XML you provided was not well-formed or did not validate against our published schema")
    })?;
    let tags: Vec<(String, String)> = parsed.tag_set.tags.into_iter().map(|t| (t.key, t.value)).collect();
    crate::tagging::validate(&tags, crate::tagging::MAX_OBJECT_TAGS)?;
    if tags.is_empty() {
        return Ok(None);
    }
    let pairs: Vec<String> = tags.iter().map(|(k, v)| format!("{}={}", uri_encode(k.as_bytes(), false), uri_encode(v.as_bytes(), false))).collect();
    Ok(Some(pairs.join("&")))
}

/// The object's URL as S3 writes it in `Location`: the bucket's URL (`https://b.host` or
/// `http://host/b`), `/`, and the key with every reserved byte, `/` included, encoded.
pub fn object_location(bucket_url: &str, key: &str) -> String {
    format!("{}/{}", bucket_url.trim_end_matches('/'), uri_encode(key.as_bytes(), false))
}

/// The answer to a stored upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostSuccess {
    pub status: u16,
    /// The `Location` header: the redirect, else the object's URL.
    pub location_header: Option<String>,
    /// The body (`application/xml`) of a 201; `None` is an empty body.
    pub body: Option<String>,
}

/// The success answer. `success_action_redirect` (else the older `redirect`) that is an
/// absolute `http`/`https` URL -> 303 to it with `bucket`, `key` and `etag` (quoted)
/// appended, form-encoded, after `&` when it has a query (S3 ignores a URL it cannot
/// use); else `success_action_status` 200 or 204 -> that status, empty; 201 -> a
/// `<PostResponse>` (no namespace, as S3 sends; the ETag's quotes written `&quot;`, as
/// every Depot document writes them); anything else -> 204. `etag` may be quoted or bare;
/// `location` is the object's URL ([`object_location`]).
pub fn success(form: &PostForm, bucket: &str, key: &str, etag: &str, location: &str) -> PostSuccess {
    let etag = if etag.starts_with('"') { etag.to_owned() } else { format!("\"{etag}\"") };
    let redirect = ["success_action_redirect", "redirect"].into_iter().filter_map(|name| form.get(name)).map(str::trim).find(|url| usable_redirect(url));
    if let Some(url) = redirect {
        let query = format!("bucket={}&key={}&etag={}", form_encode(bucket), form_encode(key), form_encode(&etag));
        return PostSuccess { status: 303, location_header: Some(append_query(url, &query)), body: None };
    }
    let status = match form.get("success_action_status").map(str::trim) {
        Some("200") => 200,
        Some("201") => 201,
        _ => 204,
    };
    let body = (status == 201).then(|| {
        let mut w = XmlWriter::new();
        w.open("PostResponse");
        w.elem("Location", location);
        w.elem("Bucket", bucket);
        w.elem("Key", key);
        w.elem("ETag", &etag);
        w.close("PostResponse");
        w.finish()
    });
    PostSuccess { status, location_header: Some(location.to_owned()), body }
}

/// An absolute `http://` or `https://` URL with a host and no control characters.
fn usable_redirect(url: &str) -> bool {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        &url[8..]
    } else if lower.starts_with("http://") {
        &url[7..]
    } else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    !host.is_empty() && !host.contains(' ') && !url.chars().any(char::is_control)
}

/// `url` with `query` appended (before any fragment), the URL's own query kept as sent;
/// bytes a header value cannot carry (non-ASCII) percent-encoded.
fn append_query(url: &str, query: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (url, None),
    };
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with(['?', '&']) => "",
        Some(_) => "&",
    };
    let mut out = String::with_capacity(url.len() + query.len() + 1);
    for c in base.chars() {
        push_ascii(&mut out, c);
    }
    out.push_str(separator);
    out.push_str(query);
    if let Some(fragment) = fragment {
        out.push('#');
        fragment.chars().for_each(|c| push_ascii(&mut out, c));
    }
    out
}

fn push_ascii(out: &mut String, c: char) {
    if c.is_ascii() {
        out.push(c);
    } else {
        let mut buf = [0u8; 4];
        out.push_str(&uri_encode(c.encode_utf8(&mut buf).as_bytes(), true));
    }
}

/// `application/x-www-form-urlencoded` as S3 writes the redirect's parameters: a space as
/// `+`, `/` as `%2F`, `"` as `%22`.
fn form_encode(text: &str) -> String {
    uri_encode(text.as_bytes(), false).replace("%20", "+")
}
