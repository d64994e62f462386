//! S3 error codes and the S3 error document.
//!
//! Owns the closed list of error codes Depot can answer with, their HTTP statuses, and the
//! `<Error>` XML body. It knows nothing about where an error came from: the server maps
//! its own failures onto these codes in one place (`src/error.rs`).

use std::borrow::Cow;
use std::fmt;

use http::StatusCode;

use crate::xml::XmlWriter;

/// A code's `<Code>`: its variant's name, or the string given after `as` where S3's code
/// is no Rust identifier (`KMS.NotFoundException`).
macro_rules! code_str {
    ($name:ident) => {
        stringify!($name)
    };
    ($name:ident $code:literal) => {
        $code
    };
}

macro_rules! error_codes {
    ($($name:ident $(as $code:literal)? => $status:expr, $default:expr;)*) => {
        /// Every S3 error code Depot answers with.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum S3ErrorCode {
            $($name,)*
        }

        impl S3ErrorCode {
            /// The code as it appears in `<Code>`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(S3ErrorCode::$name => code_str!($name $($code)?),)*
                }
            }

            /// The HTTP status S3 answers this code with.
            pub fn status(self) -> StatusCode {
                match self {
                    $(S3ErrorCode::$name => $status,)*
                }
            }

            /// The message used when the caller gives none.
            pub fn default_message(self) -> &'static str {
                match self {
                    $(S3ErrorCode::$name => $default,)*
                }
            }
        }
    };
}

error_codes! {
    AccessControlListNotSupported => StatusCode::BAD_REQUEST, "The bucket does not allow ACLs";
    AccessDenied => StatusCode::FORBIDDEN, "Access Denied";
    AuthorizationHeaderMalformed => StatusCode::BAD_REQUEST, "The authorization header is malformed.";
    AuthorizationQueryParametersError => StatusCode::BAD_REQUEST, "The authorization query parameters are malformed.";
    BadRequest => StatusCode::BAD_REQUEST, "Bad Request";
    BadDigest => StatusCode::BAD_REQUEST, "The Content-MD5 or checksum you specified did not match what we received.";
    BucketAlreadyExists => StatusCode::CONFLICT, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.";
    BucketAlreadyOwnedByYou => StatusCode::CONFLICT, "Your previous request to create the named bucket succeeded and you already own it.";
    BucketNotEmpty => StatusCode::CONFLICT, "The bucket you tried to delete is not empty.";
    CORSResponse => StatusCode::FORBIDDEN, "CORS is not enabled for this bucket.";
    ConditionalRequestConflict => StatusCode::CONFLICT, "A conflicting operation occurred. Please retry.";
    EntityTooLarge => StatusCode::BAD_REQUEST, "Your proposed upload exceeds the maximum allowed object size.";
    EntityTooSmall => StatusCode::BAD_REQUEST, "Your proposed upload is smaller than the minimum allowed object size.";
    ExpiredToken => StatusCode::BAD_REQUEST, "The provided token has expired.";
    IncorrectNumberOfFilesInPostRequest => StatusCode::BAD_REQUEST, "POST requires exactly one file upload per request.";
    IllegalVersioningConfigurationException => StatusCode::BAD_REQUEST, "The versioning configuration specified in the request is invalid.";
    IncompleteBody => StatusCode::BAD_REQUEST, "You did not provide the number of bytes specified by the Content-Length HTTP header.";
    InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE, "Storage backend has reached its minimum free drive threshold. Please delete a few objects to proceed.";
    InternalError => StatusCode::INTERNAL_SERVER_ERROR, "We encountered an internal error. Please try again.";
    InvalidAccessKeyId => StatusCode::FORBIDDEN, "The AWS access key Id you provided does not exist in our records.";
    InvalidArgument => StatusCode::BAD_REQUEST, "Invalid Argument";
    InvalidBucketName => StatusCode::BAD_REQUEST, "The specified bucket is not valid.";
    InvalidBucketState => StatusCode::CONFLICT, "The request is not valid with the current state of the bucket.";
    InvalidBucketAclWithObjectOwnership => StatusCode::BAD_REQUEST, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting";
    InvalidChunkSizeError => StatusCode::FORBIDDEN, "Only the last chunk is allowed to have a size less than 8192 bytes";
    InvalidDigest => StatusCode::BAD_REQUEST, "The Content-MD5 you specified is not valid.";
    InvalidEncryptionAlgorithmError => StatusCode::BAD_REQUEST, "The encryption request that you specified is not valid. The valid value is AES256.";
    InvalidLocationConstraint => StatusCode::BAD_REQUEST, "The specified location-constraint is not valid.";
    InvalidObjectState => StatusCode::FORBIDDEN, "The operation is not valid for the current state of the object.";
    InvalidPolicyDocument => StatusCode::BAD_REQUEST, "The content of the form does not meet the conditions specified in the policy document.";
    InvalidPart => StatusCode::BAD_REQUEST, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.";
    InvalidPartOrder => StatusCode::BAD_REQUEST, "The list of parts was not in ascending order. Parts must be ordered by part number.";
    InvalidRange => StatusCode::RANGE_NOT_SATISFIABLE, "The requested range is not satisfiable";
    InvalidRequest => StatusCode::BAD_REQUEST, "Invalid Request";
    InvalidStorageClass => StatusCode::BAD_REQUEST, "The storage class you specified is not valid.";
    InvalidTargetBucketForLogging => StatusCode::BAD_REQUEST, "The target bucket for logging does not exist, is not owned by you, or does not have the appropriate grants for the log-delivery group.";
    InvalidTag => StatusCode::BAD_REQUEST, "The tag provided was not a valid tag.";
    InvalidToken => StatusCode::BAD_REQUEST, "The provided token is malformed or otherwise invalid.";
    InvalidURI => StatusCode::BAD_REQUEST, "Couldn't parse the specified URI.";
    KeyTooLongError => StatusCode::BAD_REQUEST, "Your key is too long.";
    KmsNotFound as "KMS.NotFoundException" => StatusCode::BAD_REQUEST, "The request was rejected because the specified entity or resource could not be found.";
    MalformedACLError => StatusCode::BAD_REQUEST, "The XML you provided was not well-formed or did not validate against our published schema.";
    MalformedPOSTRequest => StatusCode::BAD_REQUEST, "The body of your POST request is not well-formed multipart/form-data.";
    MalformedPolicy => StatusCode::BAD_REQUEST, "Policies must be valid JSON and the first byte must be '{'";
    MalformedXML => StatusCode::BAD_REQUEST, "The XML you provided was not well-formed or did not validate against our published schema.";
    MaxPostPreDataLengthExceeded => StatusCode::BAD_REQUEST, "Your POST request fields preceeding the upload file was too large.";
    MaxMessageLengthExceeded => StatusCode::BAD_REQUEST, "Your request was too big.";
    MetadataTooLarge => StatusCode::BAD_REQUEST, "Your metadata headers exceed the maximum allowed metadata size.";
    MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED, "The specified method is not allowed against this resource.";
    MissingContentLength => StatusCode::LENGTH_REQUIRED, "You must provide the Content-Length HTTP header.";
    MissingRequestBodyError => StatusCode::BAD_REQUEST, "Request Body is empty.";
    MissingSecurityHeader => StatusCode::BAD_REQUEST, "Your request is missing a required header.";
    NoSuchBucket => StatusCode::NOT_FOUND, "The specified bucket does not exist.";
    NoSuchBucketPolicy => StatusCode::NOT_FOUND, "The bucket policy does not exist";
    NoSuchCORSConfiguration => StatusCode::NOT_FOUND, "The CORS configuration does not exist";
    NoSuchLifecycleConfiguration => StatusCode::NOT_FOUND, "The lifecycle configuration does not exist";
    NoSuchPublicAccessBlockConfiguration => StatusCode::NOT_FOUND, "The public access block configuration was not found";
    NoSuchWebsiteConfiguration => StatusCode::NOT_FOUND, "The specified bucket does not have a website configuration";
    ObjectLockConfigurationNotFoundError => StatusCode::NOT_FOUND, "Object Lock configuration does not exist for this bucket";
    NoSuchObjectLockConfiguration => StatusCode::NOT_FOUND, "The specified object does not have a ObjectLock configuration";
    OwnershipControlsNotFoundError => StatusCode::NOT_FOUND, "The bucket ownership controls were not found";
    ReplicationConfigurationNotFoundError => StatusCode::NOT_FOUND, "The replication configuration was not found";
    ServerSideEncryptionConfigurationNotFoundError => StatusCode::NOT_FOUND, "The server side encryption configuration was not found";
    NoSuchKey => StatusCode::NOT_FOUND, "The specified key does not exist.";
    NoSuchTagSet => StatusCode::NOT_FOUND, "The TagSet does not exist.";
    NoSuchUpload => StatusCode::NOT_FOUND, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.";
    NoSuchVersion => StatusCode::NOT_FOUND, "The specified version does not exist.";
    NotImplemented => StatusCode::NOT_IMPLEMENTED, "A header or query you provided implies functionality that is not implemented.";
    NotModified => StatusCode::NOT_MODIFIED, "Not Modified";
    PreconditionFailed => StatusCode::PRECONDITION_FAILED, "At least one of the pre-conditions you specified did not hold.";
    RequestTimeout => StatusCode::BAD_REQUEST, "Your socket connection to the server was not read from or written to within the timeout period.";
    RequestTimeTooSkewed => StatusCode::FORBIDDEN, "The difference between the request time and the server's time is too large.";
    ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE, "Service is unable to handle request.";
    SignatureDoesNotMatch => StatusCode::FORBIDDEN, "The request signature we calculated does not match the signature you provided. Check your key and signing method.";
    SlowDown => StatusCode::SERVICE_UNAVAILABLE, "Please reduce your request rate.";
    TooManyParts => StatusCode::BAD_REQUEST, "You have attempted to create more parts than allowed.";
    UnexpectedContent => StatusCode::BAD_REQUEST, "This request does not support content.";
    UnresolvableGrantByEmailAddress => StatusCode::BAD_REQUEST, "The e-mail address you provided does not match any account on record.";
    XAmzContentSHA256Mismatch => StatusCode::BAD_REQUEST, "The provided 'x-amz-content-sha256' header does not match what was computed.";
}

impl fmt::Display for S3ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An S3 error ready to be answered: code, message, and the optional extra elements and
/// headers some codes carry (e.g. `ServerTime` for skew, `x-amz-delete-marker` for a
/// delete marker's 404).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Error {
    pub code: S3ErrorCode,
    pub message: Cow<'static, str>,
    pub resource: Option<String>,
    /// Extra child elements of `<Error>`, written after `<Message>`.
    pub extra: Vec<(&'static str, String)>,
    /// Extra response headers.
    pub headers: Vec<(&'static str, String)>,
}

impl S3Error {
    /// An error with the code's default message.
    pub fn new(code: S3ErrorCode) -> Self {
        S3Error { code, message: Cow::Borrowed(code.default_message()), resource: None, extra: Vec::new(), headers: Vec::new() }
    }

    /// An error with a specific message.
    pub fn with_message(code: S3ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        S3Error { message: message.into(), ..S3Error::new(code) }
    }

    pub fn resource(mut self, resource: impl Into<String>) -> Self {
        self.resource = Some(resource.into());
        self
    }

    pub fn extra(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.extra.push((name, value.into()));
        self
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// The `<Error>` document. `request_id` fills `<RequestId>`.
    pub fn to_xml(&self, request_id: &str) -> String {
        let mut w = XmlWriter::new();
        w.open("Error");
        w.elem("Code", self.code.as_str());
        w.elem("Message", &self.message);
        for (name, value) in &self.extra {
            w.elem(name, value);
        }
        if let Some(resource) = &self.resource {
            w.elem("Resource", resource);
        }
        w.elem("RequestId", request_id);
        w.close("Error");
        w.finish()
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for S3Error {}

impl From<S3ErrorCode> for S3Error {
    fn from(code: S3ErrorCode) -> Self {
        S3Error::new(code)
    }
}

/// Shorthand for results in this crate.
pub type S3Result<T> = Result<T, S3Error>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_document_has_code_message_resource_and_request_id() {
        let xml = S3Error::new(S3ErrorCode::NoSuchKey).resource("/b/k&1").to_xml("RID1");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>\
             <Message>The specified key does not exist.</Message>\
             <Resource>/b/k&amp;1</Resource><RequestId>RID1</RequestId></Error>"
        );
    }

    #[test]
    fn statuses_follow_s3() {
        assert_eq!(S3ErrorCode::InvalidRange.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(S3ErrorCode::SlowDown.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(S3ErrorCode::NotImplemented.status(), StatusCode::NOT_IMPLEMENTED);
        assert_eq!(S3ErrorCode::BucketNotEmpty.status(), StatusCode::CONFLICT);
        assert_eq!(S3ErrorCode::InvalidEncryptionAlgorithmError.status(), StatusCode::BAD_REQUEST);
        assert_eq!(S3ErrorCode::KmsNotFound.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_code_may_be_spelled_apart_from_its_variant() {
        assert_eq!(S3ErrorCode::KmsNotFound.as_str(), "KMS.NotFoundException");
        assert_eq!(S3ErrorCode::KmsNotFound.to_string(), "KMS.NotFoundException");
        assert_eq!(S3ErrorCode::InvalidEncryptionAlgorithmError.as_str(), "InvalidEncryptionAlgorithmError");
        let xml = S3Error::with_message(S3ErrorCode::KmsNotFound, "Invalid keyId 'k'").to_xml("R");
        assert!(xml.contains("<Error><Code>KMS.NotFoundException</Code><Message>"), "{xml}");
    }
}
