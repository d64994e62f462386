//! Server-side encryption (SSE), the protocol half: the `x-amz-server-side-encryption*`
//! request headers of writes and reads (SSE-S3, SSE-KMS and SSE-C) parsed and validated as
//! S3 does, the headers an encrypted object is answered with, the documents of
//! Put/GetBucketEncryption, and S3's errors for an object's or an upload's encryption.
//!
//! Owns the headers' and the document's shapes, S3's codes and messages for them, and how
//! a write's request combines with its bucket's default ([`SseRequest::or_default`]). It
//! must not encrypt, decrypt, hash a key for storage, resolve a KMS key, store anything or
//! know whether the connection is TLS: the server holds the keys, stores the bucket's
//! configuration (the document [`config_xml`] writes, read back with [`parse_config`]) and
//! each object's encryption, compares a read's key with the object's, and answers with the
//! errors below (an SSE-C request over plain HTTP is [`customer_key_needs_tls`], an unknown
//! KMS key [`kms_key_not_found`], …).
//!
//! What AWS answers, and Depot with it (each tested in `tests.rs`):
//! - `x-amz-server-side-encryption`: `AES256` is SSE-S3, `aws:kms` SSE-KMS, exactly as
//!   spelled; `aws:kms:dsse` (DSSE-KMS) is `NotImplemented`; anything else, empty
//!   included, `InvalidArgument` "The encryption method specified is not supported";
//! - that header together with any SSE-C header: `InvalidArgument` "Server Side
//!   Encryption with Customer provided key is incompatible with the encryption method
//!   specified", checked first;
//! - `-aws-kms-key-id`, `-context` or `-bucket-key-enabled` without `aws:kms`:
//!   `InvalidArgument` "Server Side Encryption with AWS KMS managed key requires HTTP header
//!   x-amz-server-side-encryption : aws:kms";
//! - the context is base64 of a UTF-8 JSON object whose values are all strings; the bucket
//!   key `true` or `false` in any case; otherwise `InvalidArgument`;
//! - SSE-C, in this order: a key or key-MD5 without the algorithm, "…must provide a valid
//!   encryption algorithm."; an algorithm other than `AES256`,
//!   `InvalidEncryptionAlgorithmError`; no key, "…must provide an appropriate secret
//!   key."; no key-MD5, "…must provide the client calculated MD5 of the secret key."; a key
//!   that is not base64, "The secret key was invalid for the specified algorithm."; a
//!   key-MD5 other than base64(MD5(key)), "The calculated MD5 hash of the key did not match
//!   the hash that was provided."; a key of other than 32 bytes, "The secret key was
//!   invalid…" (AWS's recorded answers check the MD5 before the length). All but the
//!   algorithm's are `InvalidArgument`, and all name `x-amz-server-side-encryption` as the
//!   argument, as AWS's do, for the copy source's headers too;
//! - reads (GetObject, HeadObject) and parts (UploadPart, UploadPartCopy) take only the
//!   SSE-C headers ([`reject_write_only_headers`]).
//!
//! Choices where AWS's documentation leaves room:
//! - an empty `-aws-kms-key-id` is `InvalidArgument` (a key ID is 1 to 2048 characters);
//! - the SSE-C key-MD5 is required (AWS's answer without one is unrecorded; the message is
//!   MinIO's); an empty SSE-C key is answered as a missing key, an empty key-MD5 as a
//!   missing one;
//! - SSE-C over plain HTTP, which AWS refuses with an unrecorded code, is `InvalidRequest`;
//! - the bucket's document takes exactly one `Rule` with an `ApplyServerSideEncryptionByDefault`
//!   (none, several, or a rule without one: `MalformedXML`); an `SSEAlgorithm` other than
//!   `AES256`, `aws:kms` and `aws:kms:dsse` is `MalformedXML`; an empty `KMSMasterKeyID` is
//!   none; `BlockedEncryptionTypes` may name only `NONE` (Depot never blocks SSE-C;
//!   blocking it is `NotImplemented`), and is not kept.
//!
//! Left to the server (S3's behaviour, so a caller knows): since 2023 S3 answers
//! GetBucketEncryption of a bucket never configured (or whose configuration was deleted)
//! with the SSE-S3 default document, not `ServerSideEncryptionConfigurationNotFoundError`;
//! DeleteBucketEncryption is 204 even when nothing was set; S3 does not check that a
//! `KMSMasterKeyID` exists when it is configured, only when a write uses it.

use std::collections::HashMap;
use std::fmt;

use base64::Engine;
use http::HeaderMap;
use md5::{Digest, Md5};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::headers::header_str;
use crate::xml::request::{check_root, parse as parse_xml};
use crate::xml::XmlWriter;

#[cfg(test)]
mod tests;

/// The value of `x-amz-server-side-encryption` for SSE-S3, and the one SSE-C algorithm.
pub const AES256: &str = "AES256";
/// The value of `x-amz-server-side-encryption` for SSE-KMS.
pub const AWS_KMS: &str = "aws:kms";
/// DSSE-KMS, which Depot does not implement.
pub const AWS_KMS_DSSE: &str = "aws:kms:dsse";

/// The request and response headers.
pub const SSE_HEADER: &str = "x-amz-server-side-encryption";
pub const KMS_KEY_ID_HEADER: &str = "x-amz-server-side-encryption-aws-kms-key-id";
pub const CONTEXT_HEADER: &str = "x-amz-server-side-encryption-context";
pub const BUCKET_KEY_HEADER: &str = "x-amz-server-side-encryption-bucket-key-enabled";
pub const CUSTOMER_ALGORITHM_HEADER: &str = "x-amz-server-side-encryption-customer-algorithm";
pub const CUSTOMER_KEY_HEADER: &str = "x-amz-server-side-encryption-customer-key";
pub const CUSTOMER_KEY_MD5_HEADER: &str = "x-amz-server-side-encryption-customer-key-MD5";
pub const COPY_SOURCE_CUSTOMER_ALGORITHM_HEADER: &str = "x-amz-copy-source-server-side-encryption-customer-algorithm";
pub const COPY_SOURCE_CUSTOMER_KEY_HEADER: &str = "x-amz-copy-source-server-side-encryption-customer-key";
pub const COPY_SOURCE_CUSTOMER_KEY_MD5_HEADER: &str = "x-amz-copy-source-server-side-encryption-customer-key-MD5";

/// The SSE-KMS headers, which only a write with `aws:kms` may send.
const KMS_HEADERS: [&str; 3] = [KMS_KEY_ID_HEADER, CONTEXT_HEADER, BUCKET_KEY_HEADER];
const CUSTOMER_HEADERS: [&str; 3] = [CUSTOMER_ALGORITHM_HEADER, CUSTOMER_KEY_HEADER, CUSTOMER_KEY_MD5_HEADER];
const COPY_SOURCE_CUSTOMER_HEADERS: [&str; 3] = [COPY_SOURCE_CUSTOMER_ALGORITHM_HEADER, COPY_SOURCE_CUSTOMER_KEY_HEADER, COPY_SOURCE_CUSTOMER_KEY_MD5_HEADER];

/// The longest KMS key ID (a key ID, key ARN, alias name or alias ARN), as KMS bounds it.
pub const MAX_KMS_KEY_ID_CHARS: usize = 2048;

/// What AWS writes as the `ArgumentValue` of an argument that was not sent.
const NULL: &str = "null";

const UNSUPPORTED_METHOD: &str = "The encryption method specified is not supported";
const DSSE_NOT_IMPLEMENTED: &str = "Dual-layer server-side encryption with AWS KMS keys (aws:kms:dsse) is not implemented";
const INCOMPATIBLE_WITH_CUSTOMER_KEY: &str = "Server Side Encryption with Customer provided key is incompatible with the encryption method specified";
const KMS_REQUIRES_AWS_KMS: &str = "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms";
const BAD_CONTEXT: &str =
    "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map";
const BAD_BUCKET_KEY: &str = "x-amz-server-side-encryption-bucket-key-enabled must be either true or false";
const BAD_KMS_KEY_ID: &str = "The KMS key ID must be between 1 and 2048 characters long";
const NOT_FOR_THIS_OPERATION: &str = "x-amz-server-side-encryption header is not supported for this operation.";
const CUSTOMER_ALGORITHM_INVALID: &str = "The Encryption request you specified is not valid. Supported value: AES256.";
const CUSTOMER_ALGORITHM_MISSING: &str = "Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.";
const CUSTOMER_KEY_MISSING: &str = "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.";
const CUSTOMER_KEY_MD5_MISSING: &str =
    "Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.";
const CUSTOMER_KEY_INVALID: &str = "The secret key was invalid for the specified algorithm.";
const CUSTOMER_KEY_MD5_MISMATCH: &str = "The calculated MD5 hash of the key did not match the hash that was provided.";

/// A customer-provided key (SSE-C). Its `Debug` shows only the key's MD5; the key is
/// wiped from memory when the value is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct CustomerKey {
    /// The 256-bit key.
    pub key: [u8; 32],
    /// base64 of the key's MD5, as the client sent it (being checked against the key, it is
    /// the canonical encoding).
    pub key_md5: String,
}

impl fmt::Debug for CustomerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CustomerKey").field("key_md5", &self.key_md5).finish_non_exhaustive()
    }
}

impl Drop for CustomerKey {
    fn drop(&mut self) {
        self.key.zeroize();
    }
}

impl CustomerKey {
    /// The key given as its 32 bytes, with the MD5 a client would send for it.
    pub fn new(key: [u8; 32]) -> CustomerKey {
        CustomerKey { key, key_md5: base64_md5(&key) }
    }
}

/// What a write asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SseRequest {
    /// No encryption header: the bucket's default, if any, applies.
    #[default]
    None,
    /// `x-amz-server-side-encryption: AES256`.
    S3,
    /// `x-amz-server-side-encryption: aws:kms`, with the key (`None`: the AWS-managed
    /// key), the encryption context (base64 of a JSON object, as sent) and the bucket-key
    /// setting (`None`: the bucket's) when sent.
    Kms { key_id: Option<String>, context: Option<String>, bucket_key: Option<bool> },
    /// The SSE-C headers.
    Customer(CustomerKey),
}

impl SseRequest {
    /// Reads the encryption headers of a PutObject, CreateMultipartUpload, CopyObject (its
    /// destination; the source's key is [`copy_source_customer_key`]) or a browser POST's
    /// fields. Every fault is named in the module's comment.
    pub fn from_headers(h: &HeaderMap) -> S3Result<SseRequest> {
        let sse = sent(h, SSE_HEADER);
        if let (Some(value), true) = (sse, any_sent(h, &CUSTOMER_HEADERS)) {
            return Err(sse_argument(INCOMPATIBLE_WITH_CUSTOMER_KEY, value));
        }
        match sse {
            None | Some(AES256) if any_sent(h, &KMS_HEADERS) => Err(kms_required(sse)),
            None => Ok(customer_key(h)?.map_or(SseRequest::None, SseRequest::Customer)),
            Some(AES256) => Ok(SseRequest::S3),
            Some(AWS_KMS) => kms_request(h),
            Some(AWS_KMS_DSSE) => Err(S3Error::with_message(S3ErrorCode::NotImplemented, DSSE_NOT_IMPLEMENTED)),
            Some(other) => Err(sse_argument(UNSUPPORTED_METHOD, other)),
        }
    }

    /// The encryption a write gets once its bucket's default is applied: a request that
    /// names none gets the default's; an `aws:kms` request without
    /// `-bucket-key-enabled` takes the bucket's bucket-key setting (S3 does both). A request
    /// that names its own encryption otherwise keeps it.
    pub fn or_default(self, default: Option<&EncryptionConfig>) -> SseRequest {
        let Some(default) = default else { return self };
        match self {
            SseRequest::None => default.to_request(),
            SseRequest::Kms { key_id, context, bucket_key: None } => SseRequest::Kms { key_id, context, bucket_key: Some(default.bucket_key_enabled) },
            other => other,
        }
    }
}

/// How a stored object or upload is encrypted, as far as its responses tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredSse<'a> {
    /// SSE-S3.
    S3,
    /// SSE-KMS under the key `key_id` (when known), with its bucket-key setting.
    Kms { key_id: Option<&'a str>, bucket_key: bool },
    /// SSE-C, with the MD5 of the key the request sent (a CompleteMultipartUpload sends
    /// none).
    Customer { key_md5: Option<&'a str> },
}

impl StoredSse<'_> {
    /// The headers a write (PutObject, CopyObject, CreateMultipartUpload, UploadPart,
    /// CompleteMultipartUpload) and a read (GetObject, HeadObject) answer with for an
    /// object stored this way: `x-amz-server-side-encryption` and, for SSE-KMS, the key
    /// ID when known and `-bucket-key-enabled: true` when on (S3 leaves it out when off);
    /// for SSE-C, the algorithm and the sent key's MD5, never the key. The context is not
    /// written: GET and HEAD never answer it, and a write that echoes it adds it itself.
    pub fn response_headers(&self) -> Vec<(&'static str, String)> {
        match *self {
            StoredSse::S3 => vec![(SSE_HEADER, AES256.to_owned())],
            StoredSse::Kms { key_id, bucket_key } => {
                let mut out = vec![(SSE_HEADER, AWS_KMS.to_owned())];
                if let Some(key_id) = key_id {
                    out.push((KMS_KEY_ID_HEADER, key_id.to_owned()));
                }
                if bucket_key {
                    out.push((BUCKET_KEY_HEADER, "true".to_owned()));
                }
                out
            }
            StoredSse::Customer { key_md5 } => {
                let mut out = vec![(CUSTOMER_ALGORITHM_HEADER, AES256.to_owned())];
                if let Some(md5) = key_md5 {
                    out.push((CUSTOMER_KEY_MD5_HEADER, md5.to_owned()));
                }
                out
            }
        }
    }
}

/// `x-amz-server-side-encryption-customer-{algorithm,key,key-MD5}` of a GetObject,
/// HeadObject, UploadPart, CompleteMultipartUpload or of an UploadPartCopy's destination:
/// `None` when none of the three is sent. Every fault is named in the module's comment.
pub fn customer_key(h: &HeaderMap) -> S3Result<Option<CustomerKey>> {
    read_customer_key(h, CUSTOMER_HEADERS)
}

/// The same three under `x-amz-copy-source-server-side-encryption-customer-*`: the key of
/// a CopyObject's or UploadPartCopy's source, with the same answers.
pub fn copy_source_customer_key(h: &HeaderMap) -> S3Result<Option<CustomerKey>> {
    read_customer_key(h, COPY_SOURCE_CUSTOMER_HEADERS)
}

/// GetObject, HeadObject, UploadPart and UploadPartCopy take only the SSE-C headers (an
/// object's or an upload's encryption is chosen when it is written or initiated):
/// `x-amz-server-side-encryption` is `InvalidArgument` "x-amz-server-side-encryption header
/// is not supported for this operation."; `-aws-kms-key-id`, `-context` or
/// `-bucket-key-enabled` is `InvalidArgument` "Server Side Encryption with AWS KMS managed
/// key requires HTTP header x-amz-server-side-encryption : aws:kms", as on a write without
/// `aws:kms`.
pub fn reject_write_only_headers(h: &HeaderMap) -> S3Result<()> {
    if let Some(value) = sent(h, SSE_HEADER) {
        return Err(sse_argument(NOT_FOR_THIS_OPERATION, value));
    }
    if any_sent(h, &KMS_HEADERS) {
        return Err(kms_required(None));
    }
    Ok(())
}

/// A header's trimmed value when it was sent; one that is not visible ASCII reads as "",
/// which no check accepts.
fn sent<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|_| header_str(headers, name).unwrap_or(""))
}

/// Whether any of these headers was sent.
fn any_sent(headers: &HeaderMap, names: &[&str]) -> bool {
    names.iter().any(|name| headers.contains_key(*name))
}

/// An `InvalidArgument` naming the argument and its value, as AWS's SSE errors do.
fn argument(code: S3ErrorCode, message: &'static str, name: &'static str, value: &str) -> S3Error {
    S3Error::with_message(code, message).extra("ArgumentName", name).extra("ArgumentValue", value)
}

/// An `InvalidArgument` naming `x-amz-server-side-encryption`, as AWS names it even when
/// another header is at fault.
fn sse_argument(message: &'static str, value: &str) -> S3Error {
    argument(S3ErrorCode::InvalidArgument, message, SSE_HEADER, value)
}

fn kms_required(sse: Option<&str>) -> S3Error {
    sse_argument(KMS_REQUIRES_AWS_KMS, sse.unwrap_or(NULL))
}

/// The SSE-KMS headers of a write with `aws:kms`.
fn kms_request(h: &HeaderMap) -> S3Result<SseRequest> {
    let invalid = |message, name, value| argument(S3ErrorCode::InvalidArgument, message, name, value);
    let key_id = match sent(h, KMS_KEY_ID_HEADER) {
        None => None,
        Some(id) if id.is_empty() || id.chars().count() > MAX_KMS_KEY_ID_CHARS => return Err(invalid(BAD_KMS_KEY_ID, KMS_KEY_ID_HEADER, id)),
        Some(id) => Some(id.to_owned()),
    };
    let context = match sent(h, CONTEXT_HEADER) {
        None => None,
        Some(context) if context_is_valid(context) => Some(context.to_owned()),
        Some(context) => return Err(invalid(BAD_CONTEXT, CONTEXT_HEADER, context)),
    };
    let bucket_key = match sent(h, BUCKET_KEY_HEADER) {
        None => None,
        Some(v) if v.eq_ignore_ascii_case("true") => Some(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Some(false),
        Some(v) => return Err(invalid(BAD_BUCKET_KEY, BUCKET_KEY_HEADER, v)),
    };
    Ok(SseRequest::Kms { key_id, context, bucket_key })
}

/// base64 of a UTF-8 JSON object whose values are all strings.
fn context_is_valid(context: &str) -> bool {
    let Ok(json) = base64::engine::general_purpose::STANDARD.decode(context) else { return false };
    serde_json::from_slice::<HashMap<String, String>>(&json).is_ok()
}

fn base64_md5(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Md5::digest(bytes))
}

/// The SSE-C trio under `names` (algorithm, key, key-MD5); see the module's comment for
/// the order of the checks.
fn read_customer_key(h: &HeaderMap, names: [&str; 3]) -> S3Result<Option<CustomerKey>> {
    if !any_sent(h, &names) {
        return Ok(None);
    }
    let [algorithm, key, md5] = names.map(|name| sent(h, name));
    let invalid = |message| sse_argument(message, NULL);
    let algorithm = algorithm.ok_or_else(|| invalid(CUSTOMER_ALGORITHM_MISSING))?;
    if algorithm != AES256 {
        return Err(argument(S3ErrorCode::InvalidEncryptionAlgorithmError, CUSTOMER_ALGORITHM_INVALID, SSE_HEADER, algorithm));
    }
    let key = key.filter(|k| !k.is_empty()).ok_or_else(|| invalid(CUSTOMER_KEY_MISSING))?;
    let md5 = md5.filter(|m| !m.is_empty()).ok_or_else(|| invalid(CUSTOMER_KEY_MD5_MISSING))?;
    let engine = base64::engine::general_purpose::STANDARD;
    let key = Zeroizing::new(engine.decode(key).map_err(|_| invalid(CUSTOMER_KEY_INVALID))?);
    if engine.decode(md5).ok().as_deref() != Some(Md5::digest(&*key).as_slice()) {
        return Err(invalid(CUSTOMER_KEY_MD5_MISMATCH));
    }
    let key = <[u8; 32]>::try_from(key.as_slice()).map_err(|_| invalid(CUSTOMER_KEY_INVALID))?;
    Ok(Some(CustomerKey { key, key_md5: md5.to_owned() }))
}

/// A GetObject, HeadObject or copy of an SSE-C object without its key: `InvalidRequest`.
pub fn customer_key_required() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.",
    )
}

/// A read or copy of an SSE-C object with another key: 403 `AccessDenied`, as AWS answers.
pub fn wrong_customer_key() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::AccessDenied,
        "Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.",
    )
}

/// SSE-C headers on a read or copy of an object not stored with SSE-C: `InvalidRequest`.
pub fn customer_key_not_applicable() -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, "The encryption parameters are not applicable to this object.")
}

/// SSE-C headers on a request over plain HTTP, which S3 refuses ("Amazon S3 rejects any
/// requests made over HTTP when using SSE-C"): `InvalidRequest`.
pub fn customer_key_needs_tls() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        "Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.",
    )
}

/// An UploadPart with SSE-C headers to an upload initiated without them, or without them
/// to an upload initiated with them: `InvalidRequest`.
pub fn upload_encryption_mismatch() -> S3Error {
    S3Error::with_message(
        S3ErrorCode::InvalidRequest,
        "The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.",
    )
}

/// An UploadPart whose SSE-C key is not the one the upload was initiated with:
/// `InvalidRequest`.
pub fn upload_key_mismatch() -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidRequest, "The provided encryption parameters did not match the ones used originally.")
}

/// A KMS key ID that names no key: 400 `KMS.NotFoundException` "Invalid keyId 'id'".
pub fn kms_key_not_found(key_id: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::KmsNotFound, format!("Invalid keyId '{key_id}'"))
}

/// A bucket's default encryption algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DefaultAlgorithm {
    /// `AES256`: SSE-S3.
    S3,
    /// `aws:kms`: SSE-KMS.
    Kms,
}

impl DefaultAlgorithm {
    /// The `SSEAlgorithm` as S3 writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            DefaultAlgorithm::S3 => AES256,
            DefaultAlgorithm::Kms => AWS_KMS,
        }
    }
}

/// A bucket's default encryption (PutBucketEncryption's one rule).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptionConfig {
    pub algorithm: DefaultAlgorithm,
    /// `KMSMasterKeyID`, only with `aws:kms` (`None`: the AWS-managed key).
    pub kms_key_id: Option<String>,
    /// `BucketKeyEnabled`, `false` when absent.
    pub bucket_key_enabled: bool,
}

impl EncryptionConfig {
    /// What a write that names no encryption gets in a bucket with this default.
    pub fn to_request(&self) -> SseRequest {
        match self.algorithm {
            DefaultAlgorithm::S3 => SseRequest::S3,
            DefaultAlgorithm::Kms => SseRequest::Kms { key_id: self.kms_key_id.clone(), context: None, bucket_key: Some(self.bucket_key_enabled) },
        }
    }

    /// The stored form (JSON). The server may as well store [`config_xml`]'s document and
    /// read it back with [`parse_config`].
    pub fn to_json(&self) -> String {
        // Only an enum, a string option and a boolean: serde_json always writes them.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads the stored form back; text that does not parse is the server's fault, a plain
    /// `InternalError`.
    pub fn from_json(s: &str) -> S3Result<EncryptionConfig> {
        serde_json::from_str(s).map_err(|_| S3Error::new(S3ErrorCode::InternalError))
    }
}

/// `<ServerSideEncryptionConfiguration>` as sent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigurationXml {
    #[serde(rename = "@xmlns", default)]
    _xmlns: Option<String>,
    #[serde(rename = "Rule", default)]
    rules: Vec<RuleXml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleXml {
    #[serde(rename = "ApplyServerSideEncryptionByDefault", default)]
    apply: Option<ApplyXml>,
    #[serde(rename = "BucketKeyEnabled", default)]
    bucket_key_enabled: Option<String>,
    #[serde(rename = "BlockedEncryptionTypes", default)]
    blocked: Option<BlockedXml>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApplyXml {
    #[serde(rename = "SSEAlgorithm", default)]
    algorithm: Option<String>,
    #[serde(rename = "KMSMasterKeyID", default)]
    kms_master_key_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BlockedXml {
    #[serde(rename = "EncryptionType", default)]
    types: Vec<String>,
}

fn malformed() -> S3Error {
    S3Error::new(S3ErrorCode::MalformedXML)
}

/// Parses a PutBucketEncryption body:
/// `<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>
/// <SSEAlgorithm>AES256|aws:kms</SSEAlgorithm><KMSMasterKeyID>…</KMSMasterKeyID>
/// </ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>
/// </ServerSideEncryptionConfiguration>`, the namespace optional. In order: not XML,
/// another root, an element the schema lacks or given twice, no `Rule` or several, a rule
/// without `ApplyServerSideEncryptionByDefault`, no `SSEAlgorithm` or one S3 does not
/// define, `BucketKeyEnabled` not `true`/`false`, an `EncryptionType` other than `NONE` and
/// `SSE-C`: `MalformedXML`; `aws:kms:dsse`, or blocking `SSE-C`: `NotImplemented`; a
/// `KMSMasterKeyID` with `AES256`: `InvalidArgument` "a KMSMasterKeyID is not applicable if
/// the default sse algorithm is not aws:kms or aws:kms:dsse".
pub fn parse_config(body: &[u8]) -> S3Result<EncryptionConfig> {
    let doc: ConfigurationXml = parse_xml(body)?;
    check_root(body, "ServerSideEncryptionConfiguration")?;
    let [rule] = doc.rules.as_slice() else { return Err(malformed()) };
    let apply = rule.apply.as_ref().ok_or_else(malformed)?;
    let algorithm = match apply.algorithm.as_deref().map(str::trim) {
        Some(AES256) => DefaultAlgorithm::S3,
        Some(AWS_KMS) => DefaultAlgorithm::Kms,
        Some(AWS_KMS_DSSE) => return Err(S3Error::with_message(S3ErrorCode::NotImplemented, DSSE_NOT_IMPLEMENTED)),
        _ => return Err(malformed()),
    };
    let bucket_key_enabled = match rule.bucket_key_enabled.as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(malformed()),
    };
    if let Some(blocked) = &rule.blocked {
        for kind in &blocked.types {
            match kind.trim() {
                "NONE" => {}
                "SSE-C" => return Err(S3Error::with_message(S3ErrorCode::NotImplemented, "Blocking SSE-C (BlockedEncryptionTypes SSE-C) is not implemented")),
                _ => return Err(malformed()),
            }
        }
    }
    let kms_key_id = apply.kms_master_key_id.as_deref().map(str::trim).filter(|id| !id.is_empty());
    if kms_key_id.is_some() && algorithm != DefaultAlgorithm::Kms {
        return Err(S3Error::with_message(
            S3ErrorCode::InvalidArgument,
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        )
        .extra("ArgumentName", "ApplyServerSideEncryptionByDefault"));
    }
    Ok(EncryptionConfig { algorithm, kms_key_id: kms_key_id.map(str::to_owned), bucket_key_enabled })
}

/// The GetBucketEncryption document: one `Rule` with `SSEAlgorithm`, then
/// `KMSMasterKeyID` when set, and `BucketKeyEnabled` always, as S3 writes it.
/// [`parse_config`] reads it back to the same configuration.
pub fn config_xml(c: &EncryptionConfig) -> String {
    let mut w = XmlWriter::new();
    w.open_root("ServerSideEncryptionConfiguration");
    w.open("Rule");
    w.open("ApplyServerSideEncryptionByDefault");
    w.elem("SSEAlgorithm", c.algorithm.as_str());
    w.opt_elem("KMSMasterKeyID", c.kms_key_id.as_deref());
    w.close("ApplyServerSideEncryptionByDefault");
    w.bool_elem("BucketKeyEnabled", c.bucket_key_enabled);
    w.close("Rule");
    w.close("ServerSideEncryptionConfiguration");
    w.finish()
}
