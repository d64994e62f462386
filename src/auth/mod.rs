//! Who is asking: principals, the authentication gate every S3 request passes, root
//! credentials, accounts (passwords, login tokens, access and session keys, STS), rate
//! limits, ACLs and the pure authorization rules.
//!
//! [`authenticate`] is the only way a request becomes a [`Principal`]: it parses the
//! request's signature claim (header, presigned query, V2), looks the key up, checks
//! its state and verifies the signature ([`authenticate_form`] does the same for the
//! form fields of a browser POST upload). The pipeline then checks the operation's
//! bucket-level access ([`access::authorize`]); object-level checks ask
//! [`access::check`] where the version is known.
//!
//! Layer 8 of `crate::LAYERS`: may import the layers below it (catalog, config, error, …),
//! never HTTP types or handlers.

pub mod access;
pub mod accounts;
pub mod acl;
pub mod acl_rules;
pub mod jwt;
pub mod password;
pub mod rate_limit;
pub mod root;

use chrono::{DateTime, Utc};
use http::request::Parts;
use s3api::post::{self, PostAuth, PostForm, PostPolicy};
use s3api::sigv4::{self, ChunkSigner, PayloadMode};
use s3api::{S3Error, S3ErrorCode};

use crate::catalog::Catalog;
use crate::error::Error;

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserPrincipal {
    pub user_id: String,
    pub username: String,
    pub is_root: bool,
    pub access_key_id: String,
}

/// The identity a request acts as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    Anonymous,
    User(UserPrincipal),
}

impl Principal {
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Principal::User(u) => Some(&u.user_id),
            Principal::Anonymous => None,
        }
    }

    pub fn is_root(&self) -> bool {
        matches!(self, Principal::User(u) if u.is_root)
    }

    /// The principal id events and logs record.
    pub fn id_for_events(&self) -> String {
        self.user_id().unwrap_or("anonymous").to_owned()
    }
}

/// The outcome of authentication: who, and how the body is covered by the signature.
#[derive(Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub method: access::AuthMethod,
    pub payload: PayloadMode,
    pub chunk_signer: Option<ChunkSigner>,
}

/// What a request claims to be, read from its headers or query alone: no lookup, no
/// HMAC. The rate limiter looks at this before anything costly runs.
#[derive(Debug)]
pub enum Claim {
    Anonymous,
    Signed(sigv4::SignedRequest),
}

impl Claim {
    /// Reads the signature claim (header, presigned query, V2) of a request.
    pub fn of(parts: &Parts) -> Result<Claim, Error> {
        Ok(match sigv4::parse(parts)? {
            Some(signed) => Claim::Signed(signed),
            None => Claim::Anonymous,
        })
    }
}

/// Authenticates an S3 request from its claim. `vhost_bucket` is the bucket named by
/// the Host header.
pub async fn authenticate(
    catalog: &Catalog,
    parts: &Parts,
    claim: Claim,
    vhost_bucket: Option<&str>,
    region: &str,
    now: DateTime<Utc>,
) -> Result<Authenticated, Error> {
    let signed = match claim {
        Claim::Signed(signed) => signed,
        Claim::Anonymous => {
            let payload = sigv4::anonymous_payload_mode(&parts.headers)?;
            return Ok(Authenticated { principal: Principal::Anonymous, method: access::AuthMethod::Anonymous, payload, chunk_signer: None });
        }
    };
    let key = usable_key(catalog, signed.access_key_id(), signed.session_token(), now).await?;
    let verified = signed.verify(parts, vhost_bucket, region, &key.secret_key, now)?;
    Ok(Authenticated {
        method: access::AuthMethod::Signed(signed.kind()),
        principal: Principal::User(UserPrincipal { user_id: key.user_id, username: key.username, is_root: key.user_is_root, access_key_id: key.access_key_id }),
        payload: verified.payload,
        chunk_signer: verified.chunk_signer,
    })
}

/// Who signed a browser POST upload, and what its policy allows.
#[derive(Debug)]
pub struct FormAuth {
    pub principal: Principal,
    pub method: access::AuthMethod,
    /// The policy's `content-length-range`, which the file must keep to.
    pub length_range: Option<(u64, u64)>,
}

/// Authenticates a browser POST upload to `bucket` from the form fields before its
/// file: no signature fields is anonymous; otherwise the V4 or V2 signature over the
/// policy is checked with the key the form names, and the policy's expiration and
/// conditions against the fields.
pub async fn authenticate_form(catalog: &Catalog, form: &PostForm, bucket: &str, region: &str, now: DateTime<Utc>) -> Result<FormAuth, Error> {
    let claim = post::auth(form)?;
    let v4 = match &claim {
        PostAuth::Anonymous => return Ok(FormAuth { principal: Principal::Anonymous, method: access::AuthMethod::Anonymous, length_range: None }),
        PostAuth::V4 { .. } => true,
        PostAuth::V2 { .. } => false,
    };
    let key = usable_key(catalog, claim.access_key_id().unwrap_or_default(), claim.session_token(), now).await?;
    post::verify(&claim, form, &key.secret_key, region)?;
    let policy = PostPolicy::parse(form.get("policy").unwrap_or_default())?;
    policy.check(form, bucket, now)?;
    Ok(FormAuth {
        principal: Principal::User(UserPrincipal { user_id: key.user_id, username: key.username, is_root: key.user_is_root, access_key_id: key.access_key_id }),
        method: access::AuthMethod::PostForm { v4 },
        length_range: policy.content_length_range(),
    })
}

/// The access key a request claims, when it exists, is active, belongs to an enabled
/// user and, for a session key, comes with its unexpired token.
async fn usable_key(catalog: &Catalog, access_key_id: &str, session_token: Option<&str>, now: DateTime<Utc>) -> Result<crate::catalog::AccessKey, Error> {
    let key = catalog
        .access_key(access_key_id)
        .await?
        .filter(|k| k.revoked_at.is_none() && !k.user_disabled)
        .ok_or_else(|| S3Error::new(S3ErrorCode::InvalidAccessKeyId))?;
    if key.kind == "session" {
        let token = session_token
            .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidToken, "Temporary credentials require the session token (X-Amz-Security-Token)"))?;
        if !root::token_matches(token, key.session_token_hash.as_deref()) {
            return Err(S3Error::with_message(S3ErrorCode::InvalidToken, "The provided token is malformed or otherwise invalid.").into());
        }
        if key.expires_at.is_some_and(|t| t <= now.timestamp_millis()) {
            return Err(S3Error::new(S3ErrorCode::ExpiredToken).into());
        }
    } else if session_token.is_some() {
        return Err(S3Error::with_message(S3ErrorCode::InvalidToken, "A session token was sent with a long-term access key").into());
    }
    Ok(key)
}
