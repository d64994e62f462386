//! Who signed a POST form: the SigV4 fields (`x-amz-algorithm`, `x-amz-credential`,
//! `x-amz-date`, `x-amz-signature`) or the SigV2 pair (`AWSAccessKeyId`, `signature`), and
//! the check of that signature over the base64 policy text exactly as received.
//!
//! It never looks up secrets or tokens and never decodes the policy (a policy that was
//! tampered with fails here, as `SignatureDoesNotMatch`, before it is parsed).

use base64::Engine;
use chrono::{NaiveDate, NaiveDateTime};
use hmac::{Hmac, Mac};
use sha1::Sha1;

use super::{missing_field, PostForm};
use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::sigv4::canonical::{self, ALGORITHM};
use crate::sigv4::signatures_equal;

/// The SigV4 fields, lower-case and as S3 names them when one is missing, in the order S3
/// reports them.
const V4_FIELDS: [(&str, &str); 4] =
    [("x-amz-signature", "X-Amz-Signature"), ("x-amz-algorithm", "X-Amz-Algorithm"), ("x-amz-credential", "X-Amz-Credential"), ("x-amz-date", "X-Amz-Date")];

/// The SigV2 fields, likewise.
const V2_FIELDS: [(&str, &str); 2] = [("signature", "Signature"), ("awsaccesskeyid", "AWSAccessKeyId")];

/// How the form is signed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostAuth {
    /// No signature fields: the bucket's ACL or policy decides, and the policy (if any) is
    /// not checked.
    Anonymous,
    V4 {
        access_key_id: String,
        /// `yyyymmdd` of the credential scope.
        date: String,
        region: String,
        /// `x-amz-date` as sent (`yyyymmddThhmmssZ`).
        amz_date: String,
        /// Lower-case hex HMAC-SHA256.
        signature: String,
        session_token: Option<String>,
    },
    V2 {
        access_key_id: String,
        /// Base64 HMAC-SHA1.
        signature: String,
        session_token: Option<String>,
    },
}

impl PostAuth {
    /// The access key to look the secret up by; `None` for an anonymous form.
    pub fn access_key_id(&self) -> Option<&str> {
        match self {
            PostAuth::Anonymous => None,
            PostAuth::V4 { access_key_id, .. } | PostAuth::V2 { access_key_id, .. } => Some(access_key_id),
        }
    }

    /// The `x-amz-security-token` field of a signed form.
    pub fn session_token(&self) -> Option<&str> {
        match self {
            PostAuth::Anonymous => None,
            PostAuth::V4 { session_token, .. } | PostAuth::V2 { session_token, .. } => session_token.as_deref(),
        }
    }
}

fn argument(message: impl Into<std::borrow::Cow<'static, str>>, name: &'static str, value: &str) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message).extra("ArgumentName", name).extra("ArgumentValue", value.to_owned())
}

fn credential_error(message: String, credential: &str) -> S3Error {
    argument(message, "X-Amz-Credential", credential)
}

/// Reads the signature fields (names in any case). None of either set -> `Anonymous`
/// (with or without a policy: S3 treats an unsigned form as anonymous). Some of a set
/// without the rest, or signature fields without `policy` -> `InvalidArgument` "Bucket
/// POST must contain a field named 'X-Amz-Date'.  If it is specified, please check the
/// order of the fields." (S3's wording and names). A malformed SigV4 field ->
/// `InvalidArgument` naming it: an algorithm other than `AWS4-HMAC-SHA256`, an
/// `x-amz-date` not in the ISO 8601 long format, a credential that is not
/// `AKID/yyyymmdd/region/s3/aws4_request` or whose day is not `x-amz-date`'s.
pub fn auth(form: &PostForm) -> S3Result<PostAuth> {
    let session_token = form.get("x-amz-security-token").map(str::to_owned);
    let signed_with = |fields: &[(&str, &'static str)]| -> S3Result<bool> {
        if !fields.iter().any(|(name, _)| form.get(name).is_some()) {
            return Ok(false);
        }
        if let Some((_, shown)) = fields.iter().find(|(name, _)| form.get(name).is_none()) {
            return Err(missing_field(shown));
        }
        if form.get("policy").is_none() {
            return Err(missing_field("policy"));
        }
        Ok(true)
    };
    let field = |name: &str| form.get(name).unwrap_or_default().to_owned();
    if signed_with(&V4_FIELDS)? {
        let algorithm = field("x-amz-algorithm");
        if algorithm != ALGORITHM {
            return Err(argument("X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256\"", "X-Amz-Algorithm", &algorithm));
        }
        let amz_date = field("x-amz-date");
        if amz_date.len() != 16 || NaiveDateTime::parse_from_str(&amz_date, "%Y%m%dT%H%M%SZ").is_err() {
            return Err(argument("X-Amz-Date must be formated via ISO8601 Long format", "X-Amz-Date", &amz_date));
        }
        let credential = field("x-amz-credential");
        let (access_key_id, date, region) = parse_credential(&credential)?;
        if !amz_date.starts_with(date) {
            return Err(credential_error(
                format!("Invalid credential date \"{date}\". This date is not the same as X-Amz-Date: \"{}\".", &amz_date[..8]),
                &credential,
            ));
        }
        return Ok(PostAuth::V4 {
            access_key_id: access_key_id.to_owned(),
            date: date.to_owned(),
            region: region.to_owned(),
            amz_date,
            signature: field("x-amz-signature"),
            session_token,
        });
    }
    if signed_with(&V2_FIELDS)? {
        return Ok(PostAuth::V2 { access_key_id: field("awsaccesskeyid"), signature: field("signature"), session_token });
    }
    Ok(PostAuth::Anonymous)
}

/// `AKID/yyyymmdd/region/s3/aws4_request` -> (AKID, yyyymmdd, region).
fn parse_credential(credential: &str) -> S3Result<(&str, &str, &str)> {
    let mut parts = credential.rsplitn(5, '/');
    let (Some(terminator), Some(service), Some(region), Some(date), Some(access_key_id)) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(credential_error("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".".to_owned(), credential));
    };
    if access_key_id.is_empty() {
        return Err(credential_error("a non-empty Access Key (AKID) must be provided in the credential.".to_owned(), credential));
    }
    if parse_date(date).is_none() {
        return Err(credential_error(format!("incorrect date format \"{date}\". This date in the credential must be in the format \"yyyyMMdd\"."), credential));
    }
    if region.is_empty() {
        return Err(credential_error("the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".".to_owned(), credential));
    }
    if service != "s3" {
        return Err(credential_error(format!("incorrect service \"{service}\". This endpoint belongs to \"s3\"."), credential));
    }
    if terminator != "aws4_request" {
        return Err(credential_error(format!("incorrect terminal \"{terminator}\". This endpoint uses \"aws4_request\"."), credential));
    }
    Ok((access_key_id, date, region))
}

fn parse_date(date: &str) -> Option<NaiveDate> {
    (date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit())).then(|| NaiveDate::parse_from_str(date, "%Y%m%d").ok()).flatten()
}

/// Checks the signature over the `policy` field as received, with the secret of the
/// claimed access key: SigV4 `hex(HMAC-SHA256(signing_key(secret, date, region, "s3"),
/// policy))`, SigV2 `base64(HMAC-SHA1(secret, policy))`, compared in constant time.
/// A SigV4 credential scoped to another region than `server_region` -> `InvalidArgument`
/// "the region 'us-east-1' is wrong; expecting 'eu-west-1'" naming `X-Amz-Credential`,
/// with `Region` (S3's recorded answer); a mismatch -> `SignatureDoesNotMatch` with
/// `AWSAccessKeyId`, `StringToSign` (the policy), `SignatureProvided` and
/// `StringToSignBytes`. An anonymous form passes.
pub fn verify(auth: &PostAuth, form: &PostForm, secret_key: &str, server_region: &str) -> S3Result<()> {
    let policy = form.get("policy").unwrap_or_default();
    let (access_key_id, expected, provided) = match auth {
        PostAuth::Anonymous => return Ok(()),
        PostAuth::V4 { access_key_id, date, region, signature, .. } => {
            let credential = format!("{access_key_id}/{date}/{region}/s3/aws4_request");
            if region != server_region {
                return Err(
                    credential_error(format!("the region '{region}' is wrong; expecting '{server_region}'"), &credential).extra("Region", server_region)
                );
            }
            let day = parse_date(date).ok_or_else(|| credential_error(format!("incorrect date format \"{date}\"."), &credential))?;
            let key = canonical::signing_key(secret_key, day, region, "s3");
            (access_key_id, canonical::signature(&key, policy), signature)
        }
        PostAuth::V2 { access_key_id, signature, .. } => (access_key_id, sign_v2(secret_key, policy), signature),
    };
    if signatures_equal(&expected, provided) {
        return Ok(());
    }
    let bytes: Vec<String> = policy.bytes().map(|b| format!("{b:02x}")).collect();
    Err(S3Error::new(S3ErrorCode::SignatureDoesNotMatch)
        .extra("AWSAccessKeyId", access_key_id.clone())
        .extra("StringToSign", policy.to_owned())
        .extra("SignatureProvided", provided.clone())
        .extra("StringToSignBytes", bytes.join(" ")))
}

/// Base64 HMAC-SHA1 of the policy text (SigV2).
fn sign_v2(secret_key: &str, policy: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha1>::new_from_slice(secret_key.as_bytes()) else {
        // HMAC accepts keys of any length; this cannot happen.
        return String::new();
    };
    mac.update(policy.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
