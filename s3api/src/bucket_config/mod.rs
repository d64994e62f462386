//! Bucket configuration documents: CORS, the public access block, object ownership
//! controls and the policy status answer.
//!
//! Owns each document's wire form (request XML parsed and validated as S3 does, response
//! XML written with the S3 namespace), its stored form (JSON, for the catalog to keep as
//! text), and the pure rules that follow from it: how a browser's request matches the CORS
//! rules, and which ACLs count as public. It must not load or store anything, know buckets
//! or users, or decide whether a request is authorised: the server passes stored text and
//! header values in and sends what comes back.

pub mod cors;
pub mod ownership;
pub mod public_access;

#[cfg(test)]
mod tests;

pub use cors::{answer_preflight, preflight_request, CorsConfiguration, CorsRule};
pub use ownership::ObjectOwnership;
pub use public_access::{acl_headers_are_public, canned_acl_is_public, grants_are_public, PublicAccessBlock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::xml::XmlWriter;

/// The GetBucketPolicyStatus answer:
/// `<PolicyStatus xmlns="…"><IsPublic>true</IsPublic></PolicyStatus>`.
pub fn policy_status_xml(is_public: bool) -> String {
    let mut w = XmlWriter::new();
    w.open_root("PolicyStatus");
    w.bool_elem("IsPublic", is_public);
    w.close("PolicyStatus");
    w.finish()
}

/// The stored (JSON) form of a configuration. These types hold only strings, numbers,
/// booleans and lists, which serde_json always writes, so the empty-string fallback
/// (which `from_stored_json` would refuse) is never reached.
fn to_stored_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Reads a stored configuration back. A stored text that does not parse is the server's
/// fault, never the client's: a plain `InternalError`, the cause not sent.
fn from_stored_json<T: DeserializeOwned>(text: &str) -> S3Result<T> {
    serde_json::from_str(text).map_err(|_| S3Error::new(S3ErrorCode::InternalError))
}
