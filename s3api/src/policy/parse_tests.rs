//! Tests of what the policy engine accepts: the parse errors and their messages, the
//! forms that parse, the named principals, AWS's "public" test and the action tables.
//! Pure: no I/O, no server.

use super::tests::{doc, parse, BUCKET, PUBLIC_READ};
use super::*;
use crate::S3ErrorCode;

fn parse_error(document: &str) -> String {
    match BucketPolicy::parse(document.as_bytes(), BUCKET) {
        Ok(_) => panic!("accepted: {document}"),
        Err(e) => {
            assert_eq!(e.code, S3ErrorCode::MalformedPolicy, "{document}");
            e.message.into_owned()
        }
    }
}

#[test]
fn parse_errors_name_the_problem() {
    const GOOD: &str = r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*""#;
    let stmt = |extra: &str| doc(&format!("{{{extra}}}"));
    let default = S3ErrorCode::MalformedPolicy.default_message();
    let big = doc(&format!(r#"{{"Sid":"{}",{GOOD}}}"#, "x".repeat(MAX_POLICY_BYTES)));
    let cases: Vec<(String, &str)> = vec![
        ("[]".into(), default),
        ("  nope".into(), default),
        ("{".into(), "This policy contains invalid Json"),
        (big, "Policy exceeds the maximum allowed document size."),
        (r#"{"Version":"2010-01-01","Statement":[]}"#.into(), "The policy must contain a valid version string"),
        (r#"{"Version":"2012-10-17"}"#.into(), "Missing required field Statement"),
        (r#"{"Statement":[]}"#.into(), "Could not parse the policy: Statement is not well formatted."),
        (r#"{"Statement":[1]}"#.into(), "Could not parse the policy: Statement is not well formatted."),
        (format!(r#"{{"Foo":1,"Statement":[{{{GOOD}}}]}}"#), "Unknown field Foo"),
        (stmt(&format!(r#""Bar":1,{GOOD}"#)), "Unknown field Bar"),
        (doc(&format!(r#"{{"Sid":"a",{GOOD}}},{{"Sid":"a",{GOOD}}}"#)), "Statement IDs (SID) in a single policy must be unique."),
        (stmt(r#""Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*""#), "Missing required field Effect"),
        (stmt(r#""Effect":"allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*""#), "Invalid effect: allow"),
        (stmt(r#""Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*""#), "Missing required field Principal"),
        (
            stmt(r#""Effect":"Allow","Principal":"*","NotPrincipal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*""#),
            "Statement cannot contain both Principal and NotPrincipal",
        ),
        (stmt(r#""Effect":"Allow","Principal":"*","Resource":"arn:aws:s3:::photos/*""#), "Missing required field Action"),
        (stmt(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject""#), "Missing required field Resource"),
        (
            stmt(r#""Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotAction":"s3:PutObject","Resource":"arn:aws:s3:::photos/*""#),
            "Statement cannot contain both Action and NotAction",
        ),
    ];
    for (document, message) in cases {
        assert_eq!(parse_error(&document), message, "{document}");
    }
}

#[test]
fn invalid_principals_actions_resources_conditions() {
    let with = |principal: &str, action: &str, resource: &str, condition: &str| {
        let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
        doc(&format!(r#"{{"Effect":"Allow","Principal":{principal},"Action":{action},"Resource":{resource}{condition}}}"#))
    };
    let (p, a, r) = (r#""*""#, r#""s3:GetObject""#, r#""arn:aws:s3:::photos/*""#);
    let cases: &[(String, &str)] = &[
        (with(r#""arn:aws:iam::000000000000:root""#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"Service":"s3.amazonaws.com"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"Federated":"cognito-identity.amazonaws.com"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"AWS":"111122223333"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"AWS":"arn:aws:iam::111122223333:root"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"AWS":"arn:aws:iam::000000000000:user/*"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"AWS":"arn:aws:iam::000000000000:role/admin"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"AWS":"not an id"}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{"AWS":[]}"#, a, r, ""), "Invalid principal in policy"),
        (with(r#"{}"#, a, r, ""), "Invalid principal in policy"),
        (with(p, r#""s3:Nope""#, r, ""), "Policy has invalid action"),
        (with(p, r#""s3:Foo*""#, r, ""), "Policy has invalid action"),
        (with(p, r#""iam:GetUser""#, r, ""), "Policy has invalid action"),
        (with(p, r#"["s3:GetObject", 3]"#, r, ""), "Policy has invalid action"),
        (with(p, a, r#""arn:aws:s3:::other/*""#, ""), "Policy has invalid resource"),
        (with(p, a, r#""arn:aws:s3:::photosx/*""#, ""), "Policy has invalid resource"),
        (with(p, a, r#""arn:aws:iam::000000000000:user/alice""#, ""), "Policy has invalid resource"),
        (with(p, a, r#""photos/*""#, ""), "Policy has invalid resource"),
        (with(p, a, r#""arn:aws:s3:::photos""#, ""), "Action does not apply to any resource(s) in statement"),
        (with(p, r#""s3:ListBucket""#, r, ""), "Action does not apply to any resource(s) in statement"),
        (
            with(p, r#""s3:ListAllMyBuckets""#, r#"["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]"#, ""),
            "Action does not apply to any resource(s) in statement",
        ),
        (with(p, a, r, r#"{"StringFoo":{"s3:prefix":"a"}}"#), "Invalid Condition type : StringFoo"),
        (with(p, a, r, r#"{"NullIfExists":{"s3:prefix":"true"}}"#), "Invalid Condition type : NullIfExists"),
        (with(p, a, r, r#"{"StringEquals":{"aws:Foo":"a"}}"#), "Policy has an invalid condition key"),
        (with(p, a, r, r#"{"StringEquals":{"s3:ExistingObjectTag/":"a"}}"#), "Policy has an invalid condition key"),
        (with(p, a, r, r#"{"NumericEquals":{"s3:max-keys":"ten"}}"#), "Invalid Condition value for NumericEquals on s3:max-keys: ten"),
        (with(p, a, r, r#"{"DateLessThan":{"aws:CurrentTime":"tomorrow"}}"#), "Invalid Condition value for DateLessThan on aws:currenttime: tomorrow"),
        (with(p, a, r, r#"{"IpAddress":{"aws:SourceIp":"300.1.1.1/8"}}"#), "Invalid Condition value for IpAddress on aws:sourceip: 300.1.1.1/8"),
        (with(p, a, r, r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/33"}}"#), "Invalid Condition value for IpAddress on aws:sourceip: 10.0.0.0/33"),
        (with(p, a, r, r#"{"Bool":{"aws:SecureTransport":"yes"}}"#), "Invalid Condition value for Bool on aws:securetransport: yes"),
        (with(p, a, r, r#"{"Null":{"s3:prefix":"maybe"}}"#), "Invalid Condition value for Null on s3:prefix: maybe"),
        (with(p, a, r, r#"{"StringEquals":{"s3:prefix":[]}}"#), "Invalid Condition value for StringEquals on s3:prefix"),
        (with(p, a, r, r#"{"StringEquals":{"s3:prefix":{"a":1}}}"#), "Invalid Condition value for StringEquals on s3:prefix"),
        (with(p, a, r, r#"["StringEquals"]"#), "Condition block must be a JSON object"),
    ];
    for (document, message) in cases {
        assert_eq!(parse_error(document), *message, "{document}");
    }
}

#[test]
fn valid_edge_forms_parse() {
    let ok = [
        // Wildcard buckets that can match this one, NotAction that leaves object actions.
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::*"}"#,
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::ph?tos/*"}"#,
        r#"{"Effect":"Allow","Principal":"*","NotAction":"s3:ListBucket","Resource":"arn:aws:s3:::photos/*"}"#,
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/home/${aws:username}/*"}"#,
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::photos"}"#,
        r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::000000000000:user/team/alice","*"],"CanonicalUser":"abc123"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
        r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*","Condition":{"forallvalues:stringlikeifexists":{"s3:RequestObjectTag/Team":"a*"}}}"#,
    ];
    for statement in ok {
        assert!(BucketPolicy::parse(doc(statement).as_bytes(), BUCKET).is_ok(), "{statement}");
    }
}

#[test]
fn named_principals_are_listed_once() {
    let policy = parse(
        r#"{"Effect":"Allow","Principal":{"AWS":["*","id-1","arn:aws:iam::000000000000:user/alice","000000000000"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"},
           {"Effect":"Deny","NotPrincipal":{"CanonicalUser":"id-1","AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
    );
    let mut named = policy.named_principals();
    named.sort_by_key(|p| format!("{p:?}"));
    assert_eq!(named, vec![NamedPrincipal::Account, NamedPrincipal::UserId("id-1".into()), NamedPrincipal::Username("alice".into())]);
    assert!(parse(PUBLIC_READ).named_principals().is_empty());
    assert_eq!(user_arn("alice"), "arn:aws:iam::000000000000:user/alice");
}

#[test]
fn public_policies() {
    let read = |principal: &str, condition: &str, effect: &str| {
        let condition = if condition.is_empty() { String::new() } else { format!(r#","Condition":{condition}"#) };
        format!(r#"{{"Effect":"{effect}",{principal},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"{condition}}}"#)
    };
    let star = r#""Principal":"*""#;
    let cases: &[(String, bool)] = &[
        (read(star, "", "Allow"), true),
        (read(r#""Principal":{"AWS":"*"}"#, "", "Allow"), true),
        (read(r#""Principal":{"AWS":["id-1","*"]}"#, "", "Allow"), true),
        (read(star, "", "Deny"), false),
        (read(r#""Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"}"#, "", "Allow"), false),
        (read(r#""Principal":{"AWS":"000000000000"}"#, "", "Allow"), false),
        (read(r#""NotPrincipal":{"AWS":"id-1"}"#, "", "Allow"), true),
        (read(star, r#"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, "Allow"), false),
        (read(star, r#"{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","0.0.0.0/0"]}}"#, "Allow"), true),
        (read(star, r#"{"IpAddress":{"aws:SourceIp":"::/0"}}"#, "Allow"), true),
        (read(star, r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, "Allow"), true),
        (read(star, r#"{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}"#, "Allow"), false),
        (read(star, r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/alice"}}"#, "Allow"), false),
        (read(star, r#"{"StringEquals":{"aws:SourceVpce":"vpce-1a2b"}}"#, "Allow"), false),
        (read(star, r#"{"StringEquals":{"aws:username":["alice","bob"]}}"#, "Allow"), false),
        (read(star, r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/*"}}"#, "Allow"), true),
        (read(star, r#"{"StringEqualsIfExists":{"aws:userid":"id-1"}}"#, "Allow"), true),
        (read(star, r#"{"StringNotEquals":{"aws:userid":"id-1"}}"#, "Allow"), true),
        (read(star, r#"{"StringEquals":{"s3:prefix":"public/"}}"#, "Allow"), true),
        (read(star, r#"{"Bool":{"aws:SecureTransport":"true"}}"#, "Allow"), true),
    ];
    for (statement, public) in cases {
        assert_eq!(parse(statement).is_public(), *public, "{statement}");
    }
    let mixed = parse(&format!("{},{}", read(r#""Principal":{"AWS":"id-1"}"#, "", "Allow"), read(star, "", "Allow")));
    assert!(mixed.is_public());
}

#[test]
fn actions_table() {
    let required = [
        "s3:ListBucket",
        "s3:ListBucketVersions",
        "s3:ListBucketMultipartUploads",
        "s3:ListAllMyBuckets",
        "s3:CreateBucket",
        "s3:DeleteBucket",
        "s3:GetBucketLocation",
        "s3:GetBucketVersioning",
        "s3:PutBucketVersioning",
        "s3:GetBucketTagging",
        "s3:PutBucketTagging",
        "s3:GetBucketAcl",
        "s3:PutBucketAcl",
        "s3:GetBucketPolicy",
        "s3:PutBucketPolicy",
        "s3:DeleteBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketCORS",
        "s3:PutBucketCORS",
        "s3:GetBucketPublicAccessBlock",
        "s3:PutBucketPublicAccessBlock",
        "s3:GetBucketOwnershipControls",
        "s3:PutBucketOwnershipControls",
        "s3:GetLifecycleConfiguration",
        "s3:PutLifecycleConfiguration",
        "s3:GetEncryptionConfiguration",
        "s3:PutEncryptionConfiguration",
        "s3:GetBucketObjectLockConfiguration",
        "s3:PutBucketObjectLockConfiguration",
        "s3:GetBucketLogging",
        "s3:PutBucketLogging",
        "s3:GetBucketNotification",
        "s3:PutBucketNotification",
        "s3:GetBucketWebsite",
        "s3:PutBucketWebsite",
        "s3:DeleteBucketWebsite",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:PutObject",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:GetObjectAcl",
        "s3:GetObjectVersionAcl",
        "s3:PutObjectAcl",
        "s3:PutObjectVersionAcl",
        "s3:GetObjectTagging",
        "s3:GetObjectVersionTagging",
        "s3:PutObjectTagging",
        "s3:PutObjectVersionTagging",
        "s3:DeleteObjectTagging",
        "s3:DeleteObjectVersionTagging",
        "s3:GetObjectAttributes",
        "s3:GetObjectVersionAttributes",
        "s3:ListMultipartUploadParts",
        "s3:AbortMultipartUpload",
        "s3:GetObjectRetention",
        "s3:PutObjectRetention",
        "s3:GetObjectLegalHold",
        "s3:PutObjectLegalHold",
        "s3:BypassGovernanceRetention",
        "s3:RestoreObject",
    ];
    for action in required {
        assert!(actions().any(|a| a == action), "{action} missing");
    }
    for action in OBJECT_ACTIONS.iter().chain(SERVICE_ACTIONS) {
        assert!(!BUCKET_ACTIONS.contains(action), "{action} is in two tables");
    }
    assert!(action_is_object_level("s3:GetObject"));
    assert!(action_is_object_level("S3:ABORTMULTIPARTUPLOAD"));
    assert!(!action_is_object_level("s3:ListBucket"));
    assert!(!action_is_object_level("s3:GetBucketTagging"));
    assert!(!action_is_object_level("s3:ListAllMyBuckets"));
}
