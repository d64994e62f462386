//! The STS wire protocol Depot speaks: `AssumeRoleWithWebIdentity` as a form-encoded
//! `POST /`, its XML answer, and the STS error document
//! (`<ErrorResponse><Error><Type>Sender</Type><Code>…`).
//!
//! Owns parameter names, their validation and the documents' shapes. It verifies no
//! token and creates no credentials: that is the server's work.

use chrono::{DateTime, Utc};
use http::StatusCode;

use crate::headers::format_iso8601;
use crate::sigv4::canonical::query_pairs;
use crate::xml::XmlWriter;

/// The namespace of STS documents.
pub const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
/// The only STS API version.
pub const STS_VERSION: &str = "2011-06-15";
/// The largest form body read (a JWT is a few hundred bytes; AWS allows 20,000 characters).
pub const MAX_FORM_BODY: usize = 64 * 1024;
/// Bounds of `DurationSeconds`, as AWS sets them for roles with the largest maximum.
pub const MIN_DURATION_SECS: u32 = 900;
pub const MAX_DURATION_SECS: u32 = 43_200;
/// The duration when the request names none.
pub const DEFAULT_DURATION_SECS: u32 = 3600;

/// The STS error codes Depot answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StsErrorCode {
    AccessDenied,
    ExpiredTokenException,
    IDPRejectedClaim,
    InternalFailure,
    InvalidAction,
    InvalidIdentityToken,
    InvalidParameterValue,
    MissingAction,
    MissingParameter,
    ServiceUnavailable,
    Throttling,
    ValidationError,
}

impl StsErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StsErrorCode::AccessDenied => "AccessDenied",
            StsErrorCode::ExpiredTokenException => "ExpiredTokenException",
            StsErrorCode::IDPRejectedClaim => "IDPRejectedClaim",
            StsErrorCode::InternalFailure => "InternalFailure",
            StsErrorCode::InvalidAction => "InvalidAction",
            StsErrorCode::InvalidIdentityToken => "InvalidIdentityToken",
            StsErrorCode::InvalidParameterValue => "InvalidParameterValue",
            StsErrorCode::MissingAction => "MissingAction",
            StsErrorCode::MissingParameter => "MissingParameter",
            StsErrorCode::ServiceUnavailable => "ServiceUnavailable",
            StsErrorCode::Throttling => "Throttling",
            StsErrorCode::ValidationError => "ValidationError",
        }
    }

    /// The HTTP status AWS STS answers this code with.
    pub fn status(self) -> StatusCode {
        match self {
            StsErrorCode::AccessDenied | StsErrorCode::IDPRejectedClaim => StatusCode::FORBIDDEN,
            StsErrorCode::InternalFailure => StatusCode::INTERNAL_SERVER_ERROR,
            StsErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// `Sender` for the caller's mistakes, `Receiver` for the server's.
    pub fn fault(self) -> &'static str {
        match self {
            StsErrorCode::InternalFailure | StsErrorCode::ServiceUnavailable => "Receiver",
            _ => "Sender",
        }
    }
}

/// An STS error ready to be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct StsError {
    pub code: StsErrorCode,
    pub message: String,
}

impl StsError {
    pub fn new(code: StsErrorCode, message: impl Into<String>) -> Self {
        StsError { code, message: message.into() }
    }

    /// The `<ErrorResponse>` document.
    pub fn to_xml(&self, request_id: &str) -> String {
        let mut w = XmlWriter::new();
        w.open_with_attrs("ErrorResponse", &[("xmlns", STS_NS)]);
        w.open("Error");
        w.elem("Type", self.code.fault());
        w.elem("Code", self.code.as_str());
        w.elem("Message", &self.message);
        w.close("Error");
        w.elem("RequestId", request_id);
        w.close("ErrorResponse");
        w.finish()
    }
}

/// A parsed `AssumeRoleWithWebIdentity` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssumeRoleWithWebIdentity {
    pub web_identity_token: String,
    pub role_arn: Option<String>,
    pub role_session_name: Option<String>,
    /// Within [`MIN_DURATION_SECS`]..=[`MAX_DURATION_SECS`].
    pub duration_seconds: u32,
}

/// The STS calls Depot answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StsRequest {
    AssumeRoleWithWebIdentity(AssumeRoleWithWebIdentity),
}

/// Parses an STS call from its form body and the request's query string (AWS accepts
/// parameters in either).
pub fn parse_request(form_body: &[u8], query: Option<&str>) -> Result<StsRequest, StsError> {
    let body = std::str::from_utf8(form_body).map_err(|_| StsError::new(StsErrorCode::InvalidParameterValue, "The request body is not UTF-8 form data"))?;
    let mut params: Vec<(String, String)> = Vec::new();
    for raw in [query.unwrap_or(""), body] {
        for (name, value) in query_pairs(raw.trim()) {
            let name = String::from_utf8(name).map_err(|_| StsError::new(StsErrorCode::InvalidParameterValue, "A parameter name is not UTF-8"))?;
            let value =
                String::from_utf8(value).map_err(|_| StsError::new(StsErrorCode::InvalidParameterValue, format!("The value of {name} is not UTF-8")))?;
            params.push((name, value));
        }
    }
    let get = |name: &str| params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
    let action = get("Action").ok_or_else(|| StsError::new(StsErrorCode::MissingAction, "Missing Action"))?;
    if let Some(version) = get("Version") {
        if version != STS_VERSION {
            return Err(StsError::new(StsErrorCode::InvalidAction, format!("Could not find operation {action} for version {version}")));
        }
    }
    if action != "AssumeRoleWithWebIdentity" {
        return Err(StsError::new(StsErrorCode::InvalidAction, format!("Could not find operation {action} for version {STS_VERSION}")));
    }
    let token = get("WebIdentityToken")
        .filter(|t| !t.is_empty())
        .ok_or_else(|| StsError::new(StsErrorCode::MissingParameter, "The request must contain the parameter WebIdentityToken"))?;
    let duration_seconds = match get("DurationSeconds") {
        None | Some("") => DEFAULT_DURATION_SECS,
        Some(raw) => {
            let value: u32 =
                raw.parse().map_err(|_| validation(format!("Value '{raw}' at 'durationSeconds' failed to satisfy constraint: Member must be a number")))?;
            if value < MIN_DURATION_SECS {
                return Err(validation(format!(
                    "Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to {MIN_DURATION_SECS}"
                )));
            }
            if value > MAX_DURATION_SECS {
                return Err(validation(format!(
                    "Value '{value}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to {MAX_DURATION_SECS}"
                )));
            }
            value
        }
    };
    let role_session_name = get("RoleSessionName").map(str::to_owned);
    if let Some(name) = &role_session_name {
        let valid_char = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
        if !(2..=64).contains(&name.len()) || !name.chars().all(valid_char) {
            return Err(validation(format!(
                "Value '{name}' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]{{2,64}}"
            )));
        }
    }
    let role_arn = get("RoleArn").map(str::to_owned);
    if role_arn.as_ref().is_some_and(|arn| arn.len() > 2048) {
        return Err(validation("Value at 'roleArn' failed to satisfy constraint: Member must have length less than or equal to 2048".to_owned()));
    }
    Ok(StsRequest::AssumeRoleWithWebIdentity(AssumeRoleWithWebIdentity { web_identity_token: token.to_owned(), role_arn, role_session_name, duration_seconds }))
}

fn validation(detail: String) -> StsError {
    StsError::new(StsErrorCode::ValidationError, format!("1 validation error detected: {detail}"))
}

/// Temporary credentials and who they were issued to.
#[derive(Debug, Clone)]
pub struct IssuedCredentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    pub expiration: DateTime<Utc>,
    /// The `sub` of the web identity token.
    pub subject: String,
    pub audience: String,
    pub provider: String,
    pub assumed_role_arn: String,
    pub assumed_role_id: String,
}

/// The `AssumeRoleWithWebIdentityResponse` document.
pub fn assume_role_with_web_identity_response(c: &IssuedCredentials, request_id: &str) -> String {
    let mut w = XmlWriter::new();
    w.open_with_attrs("AssumeRoleWithWebIdentityResponse", &[("xmlns", STS_NS)]);
    w.open("AssumeRoleWithWebIdentityResult");
    w.elem("SubjectFromWebIdentityToken", &c.subject);
    w.elem("Audience", &c.audience);
    w.open("AssumedRoleUser");
    w.elem("Arn", &c.assumed_role_arn);
    w.elem("AssumedRoleId", &c.assumed_role_id);
    w.close("AssumedRoleUser");
    w.open("Credentials");
    w.elem("AccessKeyId", &c.access_key_id);
    w.elem("SecretAccessKey", &c.secret_access_key);
    w.elem("SessionToken", &c.session_token);
    w.elem("Expiration", &format_iso8601(c.expiration));
    w.close("Credentials");
    w.elem("Provider", &c.provider);
    w.close("AssumeRoleWithWebIdentityResult");
    w.open("ResponseMetadata");
    w.elem("RequestId", request_id);
    w.close("ResponseMetadata");
    w.close("AssumeRoleWithWebIdentityResponse");
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> Result<AssumeRoleWithWebIdentity, StsError> {
        parse_request(body.as_bytes(), None).map(|StsRequest::AssumeRoleWithWebIdentity(r)| r)
    }

    #[test]
    fn parses_the_aws_cli_form() {
        let r = parse("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123%3Arole%2Fx&RoleSessionName=s1&WebIdentityToken=a.b.c&DurationSeconds=900").unwrap();
        assert_eq!(r.web_identity_token, "a.b.c");
        assert_eq!(r.role_arn.as_deref(), Some("arn:aws:iam::123:role/x"));
        assert_eq!(r.role_session_name.as_deref(), Some("s1"));
        assert_eq!(r.duration_seconds, 900);
        assert_eq!(parse("Action=AssumeRoleWithWebIdentity&WebIdentityToken=t").unwrap().duration_seconds, DEFAULT_DURATION_SECS);
    }

    #[test]
    fn rejects_bad_calls() {
        let code = |body: &str| parse(body).unwrap_err().code;
        assert_eq!(code(""), StsErrorCode::MissingAction);
        assert_eq!(code("Action=GetCallerIdentity"), StsErrorCode::InvalidAction);
        assert_eq!(code("Action=AssumeRoleWithWebIdentity&Version=2099-01-01&WebIdentityToken=t"), StsErrorCode::InvalidAction);
        assert_eq!(code("Action=AssumeRoleWithWebIdentity"), StsErrorCode::MissingParameter);
        assert_eq!(code("Action=AssumeRoleWithWebIdentity&WebIdentityToken=t&DurationSeconds=60"), StsErrorCode::ValidationError);
        assert_eq!(code("Action=AssumeRoleWithWebIdentity&WebIdentityToken=t&DurationSeconds=99999"), StsErrorCode::ValidationError);
        assert_eq!(code("Action=AssumeRoleWithWebIdentity&WebIdentityToken=t&DurationSeconds=x"), StsErrorCode::ValidationError);
        assert_eq!(code("Action=AssumeRoleWithWebIdentity&WebIdentityToken=t&RoleSessionName=a%20b"), StsErrorCode::ValidationError);
    }

    #[test]
    fn documents() {
        let err = StsError::new(StsErrorCode::InvalidIdentityToken, "bad <token>").to_xml("RID");
        assert!(err.contains("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code><Message>bad &lt;token&gt;</Message></Error><RequestId>RID</RequestId></ErrorResponse>"));
        let c = IssuedCredentials {
            access_key_id: "ASIA1".into(),
            secret_access_key: "s".into(),
            session_token: "t".into(),
            expiration: DateTime::from_timestamp(1_700_000_000, 0).unwrap(),
            subject: "u1".into(),
            audience: "depot".into(),
            provider: "depot".into(),
            assumed_role_arn: "arn:aws:sts::000000000000:assumed-role/depot/s".into(),
            assumed_role_id: "ASIA1:s".into(),
        };
        let doc = assume_role_with_web_identity_response(&c, "RID");
        assert!(doc.contains(
            "<Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken><Expiration>2023-11-14T22:13:20"
        ));
        assert!(doc.contains("<ResponseMetadata><RequestId>RID</RequestId></ResponseMetadata>"));
    }
}
