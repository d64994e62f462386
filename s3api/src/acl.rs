//! Access control lists on the wire: the canned ACL of `x-amz-acl`, the
//! `x-amz-grant-*` headers and the `AccessControlPolicy` document, parsed into typed
//! grants.
//!
//! Owns the syntax only. Whether a grantee id names a real user, and what a grant
//! allows, are the server's questions; nothing here knows users or storage.

use http::HeaderMap;

use crate::error::{S3Error, S3ErrorCode, S3Result};
use crate::headers::header_str;
use crate::xml::request::{parse_as, AccessControlPolicyRequest, GranteeEntry};

/// The S3 group of everyone, signed or not.
pub const ALL_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
/// The S3 group of every signed-in user.
pub const AUTHENTICATED_USERS_URI: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The canned ACLs S3 defines for `x-amz-acl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CannedAcl {
    Private,
    PublicRead,
    PublicReadWrite,
    AuthenticatedRead,
    BucketOwnerRead,
    BucketOwnerFullControl,
}

impl CannedAcl {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "private" => CannedAcl::Private,
            "public-read" => CannedAcl::PublicRead,
            "public-read-write" => CannedAcl::PublicReadWrite,
            "authenticated-read" => CannedAcl::AuthenticatedRead,
            "bucket-owner-read" => CannedAcl::BucketOwnerRead,
            "bucket-owner-full-control" => CannedAcl::BucketOwnerFullControl,
            _ => return None,
        })
    }
}

/// A permission an ACL grants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclPermission {
    Read,
    Write,
    ReadAcp,
    WriteAcp,
    FullControl,
}

impl AclPermission {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "READ" => AclPermission::Read,
            "WRITE" => AclPermission::Write,
            "READ_ACP" => AclPermission::ReadAcp,
            "WRITE_ACP" => AclPermission::WriteAcp,
            "FULL_CONTROL" => AclPermission::FullControl,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AclPermission::Read => "READ",
            AclPermission::Write => "WRITE",
            AclPermission::ReadAcp => "READ_ACP",
            AclPermission::WriteAcp => "WRITE_ACP",
            AclPermission::FullControl => "FULL_CONTROL",
        }
    }
}

/// The groups a grant can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AclGroup {
    AllUsers,
    AuthenticatedUsers,
}

impl AclGroup {
    /// The group a URI names; other S3 groups (LogDelivery) are not supported.
    pub fn from_uri(uri: &str) -> S3Result<Self> {
        match uri.trim() {
            ALL_USERS_URI => Ok(AclGroup::AllUsers),
            AUTHENTICATED_USERS_URI => Ok(AclGroup::AuthenticatedUsers),
            other => Err(invalid_argument(format!("Invalid group uri: {other}"))),
        }
    }

    pub fn uri(self) -> &'static str {
        match self {
            AclGroup::AllUsers => ALL_USERS_URI,
            AclGroup::AuthenticatedUsers => AUTHENTICATED_USERS_URI,
        }
    }
}

/// Who a grant is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclGrantee {
    /// A canonical user id.
    Id(String),
    Group(AclGroup),
    /// An e-mail address (`AmazonCustomerByEmail`); Depot cannot resolve these.
    Email(String),
}

/// One grant as the client wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclGrant {
    pub grantee: AclGrantee,
    pub permission: AclPermission,
}

/// What ACL headers ask for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AclHeaders {
    Canned(CannedAcl),
    Grants(Vec<AclGrant>),
}

/// An `AccessControlPolicy` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessControlPolicy {
    pub owner_id: Option<String>,
    pub grants: Vec<AclGrant>,
}

const GRANT_HEADERS: [(&str, AclPermission); 5] = [
    ("x-amz-grant-read", AclPermission::Read),
    ("x-amz-grant-write", AclPermission::Write),
    ("x-amz-grant-read-acp", AclPermission::ReadAcp),
    ("x-amz-grant-write-acp", AclPermission::WriteAcp),
    ("x-amz-grant-full-control", AclPermission::FullControl),
];

fn invalid_argument(message: String) -> S3Error {
    S3Error::with_message(S3ErrorCode::InvalidArgument, message)
}

/// Parses `x-amz-acl` and the `x-amz-grant-*` headers. `None` when the request has
/// neither; both at once is `InvalidRequest`, as S3 answers.
pub fn from_headers(headers: &HeaderMap) -> S3Result<Option<AclHeaders>> {
    let mut grants = Vec::new();
    for name in headers.keys() {
        let name = name.as_str();
        if !name.starts_with("x-amz-grant-") {
            continue;
        }
        let Some(&(_, permission)) = GRANT_HEADERS.iter().find(|(h, _)| *h == name) else {
            return Err(invalid_argument(format!("Unsupported grant header: {name}")).extra("ArgumentName", name));
        };
        for value in headers.get_all(name) {
            let value = value.to_str().map_err(|_| invalid_argument(format!("Invalid {name} header")))?;
            for grantee in parse_grantee_list(value)? {
                grants.push(AclGrant { grantee, permission });
            }
        }
    }
    let canned = match header_str(headers, "x-amz-acl") {
        None => None,
        Some(name) => Some(
            CannedAcl::parse(name.trim())
                .ok_or_else(|| invalid_argument(format!("Unknown canned ACL: {name}")).extra("ArgumentName", "x-amz-acl").extra("ArgumentValue", name))?,
        ),
    };
    match (canned, grants.is_empty()) {
        (Some(_), false) => Err(S3Error::with_message(S3ErrorCode::InvalidRequest, "Specifying both Canned ACLs and Header Grants is not allowed")),
        (Some(canned), true) => Ok(Some(AclHeaders::Canned(canned))),
        (None, false) => Ok(Some(AclHeaders::Grants(grants))),
        (None, true) => Ok(None),
    }
}

/// `id="…", uri="…", emailAddress="…"`, comma-separated.
fn parse_grantee_list(value: &str) -> S3Result<Vec<AclGrantee>> {
    let mut out = Vec::new();
    for item in value.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let (kind, raw) = item.split_once('=').ok_or_else(|| invalid_argument(format!("Invalid grantee: {item}")))?;
        let raw = raw.trim();
        let unquoted = raw.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(raw);
        if unquoted.is_empty() {
            return Err(invalid_argument(format!("Invalid grantee: {item}")));
        }
        let grantee = match kind.trim().to_ascii_lowercase().as_str() {
            "id" => AclGrantee::Id(unquoted.to_owned()),
            "uri" => AclGrantee::Group(AclGroup::from_uri(unquoted)?),
            "emailaddress" => AclGrantee::Email(unquoted.to_owned()),
            other => return Err(invalid_argument(format!("Invalid grantee type: {other}"))),
        };
        out.push(grantee);
    }
    if out.is_empty() {
        return Err(invalid_argument("A grant header names no grantee".to_owned()));
    }
    Ok(out)
}

/// Parses an `AccessControlPolicy` request body. Anything that is not a well-formed
/// policy is `MalformedACLError`; an unsupported group is `InvalidArgument`.
pub fn from_xml(body: &[u8]) -> S3Result<AccessControlPolicy> {
    let doc: AccessControlPolicyRequest = parse_as(body, S3ErrorCode::MalformedACLError)?;
    let malformed = |detail: &str| {
        S3Error::with_message(
            S3ErrorCode::MalformedACLError,
            format!("The XML you provided was not well-formed or did not validate against our published schema: {detail}"),
        )
    };
    let mut grants = Vec::with_capacity(doc.access_control_list.grants.len());
    for grant in doc.access_control_list.grants {
        let permission = AclPermission::parse(grant.permission.trim()).ok_or_else(|| malformed("unknown permission"))?;
        let grantee = grantee_from_xml(&grant.grantee).ok_or_else(|| malformed("a grantee needs an ID, a URI or an EmailAddress matching its xsi:type"))??;
        grants.push(AclGrant { grantee, permission });
    }
    Ok(AccessControlPolicy { owner_id: doc.owner.and_then(|o| o.id).map(|id| id.trim().to_owned()), grants })
}

/// The grantee of one `<Grantee>`; `None` when its type and fields do not match.
fn grantee_from_xml(g: &GranteeEntry) -> Option<S3Result<AclGrantee>> {
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let kind = g.xsi_type.as_deref().map(|t| t.rsplit(':').next().unwrap_or(t).trim().to_owned());
    match kind.as_deref() {
        Some("CanonicalUser") => text(&g.id).map(|id| Ok(AclGrantee::Id(id))),
        Some("Group") => text(&g.uri).map(|uri| AclGroup::from_uri(&uri).map(AclGrantee::Group)),
        Some("AmazonCustomerByEmail") => text(&g.email_address).map(|e| Ok(AclGrantee::Email(e))),
        Some(_) => None,
        None => match (text(&g.id), text(&g.uri), text(&g.email_address)) {
            (Some(id), None, None) => Some(Ok(AclGrantee::Id(id))),
            (None, Some(uri), None) => Some(AclGroup::from_uri(&uri).map(AclGrantee::Group)),
            (None, None, Some(e)) => Some(Ok(AclGrantee::Email(e))),
            _ => None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn canned_and_grant_headers() {
        assert_eq!(from_headers(&headers(&[])).unwrap(), None);
        assert_eq!(from_headers(&headers(&[("x-amz-acl", "public-read")])).unwrap(), Some(AclHeaders::Canned(CannedAcl::PublicRead)));
        assert_eq!(from_headers(&headers(&[("x-amz-acl", "nope")])).unwrap_err().code, S3ErrorCode::InvalidArgument);
        let parsed =
            from_headers(&headers(&[("x-amz-grant-read", &format!("id=\"abc\", uri=\"{ALL_USERS_URI}\"")), ("x-amz-grant-full-control", "id=def")])).unwrap();
        assert_eq!(
            parsed,
            Some(AclHeaders::Grants(vec![
                AclGrant { grantee: AclGrantee::Id("abc".into()), permission: AclPermission::Read },
                AclGrant { grantee: AclGrantee::Group(AclGroup::AllUsers), permission: AclPermission::Read },
                AclGrant { grantee: AclGrantee::Id("def".into()), permission: AclPermission::FullControl },
            ]))
        );
    }

    #[test]
    fn bad_grant_headers() {
        let both = headers(&[("x-amz-acl", "private"), ("x-amz-grant-read", "id=\"a\"")]);
        assert_eq!(from_headers(&both).unwrap_err().code, S3ErrorCode::InvalidRequest);
        for bad in ["", "id=\"\"", "foo=\"x\"", "uri=\"http://example.com/group\"", "noequals"] {
            assert_eq!(from_headers(&headers(&[("x-amz-grant-read", bad)])).unwrap_err().code, S3ErrorCode::InvalidArgument, "{bad}");
        }
        assert_eq!(from_headers(&headers(&[("x-amz-grant-everything", "id=a")])).unwrap_err().code, S3ErrorCode::InvalidArgument);
    }

    #[test]
    fn policy_document() {
        let doc = format!(
            r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>o1</ID></Owner><AccessControlList>
            <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>u2</ID></Grantee><Permission>WRITE_ACP</Permission></Grant>
            <Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"><URI>{AUTHENTICATED_USERS_URI}</URI></Grantee><Permission>READ</Permission></Grant>
            </AccessControlList></AccessControlPolicy>"#
        );
        let p = from_xml(doc.as_bytes()).unwrap();
        assert_eq!(p.owner_id.as_deref(), Some("o1"));
        assert_eq!(p.grants[0], AclGrant { grantee: AclGrantee::Id("u2".into()), permission: AclPermission::WriteAcp });
        assert_eq!(p.grants[1].grantee, AclGrantee::Group(AclGroup::AuthenticatedUsers));
    }

    #[test]
    fn malformed_policy_documents() {
        for bad in [
            "<AccessControlPolicy><AccessControlList><Grant>",
            "not xml",
            "<AccessControlPolicy><AccessControlList><Grant><Grantee><ID>a</ID></Grantee><Permission>EVERYTHING</Permission></Grant></AccessControlList></AccessControlPolicy>",
            "<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><URI>x</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>",
        ] {
            assert_eq!(from_xml(bad.as_bytes()).unwrap_err().code, S3ErrorCode::MalformedACLError, "{bad}");
        }
    }
}
