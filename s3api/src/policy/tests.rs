//! Table tests of the policy engine: statements × requests → decisions, parse errors and
//! their messages, and the "public" test. Pure: no I/O, no server.

use super::*;
use crate::S3ErrorCode;

const BUCKET: &str = "photos";

/// A policy document holding `statements` (a JSON statement or comma-separated list).
fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

fn parse(statements: &str) -> BucketPolicy {
    match BucketPolicy::parse(doc(statements).as_bytes(), BUCKET) {
        Ok(p) => p,
        Err(e) => panic!("{statements}: {e}"),
    }
}

/// `who`: "anon", "alice" or "bob"; `key`: "" for the bucket itself.
fn decide(policy: &BucketPolicy, who: &str, action: &str, key: &str, context: &[(&str, &str)]) -> Decision {
    let caller = match who {
        "anon" => Caller::Anonymous,
        "alice" => Caller::User { user_id: "id-alice", username: "alice" },
        "bob" => Caller::User { user_id: "id-bob", username: "bob" },
        other => panic!("unknown caller {other}"),
    };
    let resource = if key.is_empty() { format!("arn:aws:s3:::{BUCKET}") } else { format!("arn:aws:s3:::{BUCKET}/{key}") };
    let mut ctx = ConditionContext::new();
    for (k, v) in context {
        ctx.add(k, *v);
    }
    policy.evaluate(&PolicyRequest { caller, action, resource: &resource, context: &ctx })
}

use Decision::{Allow, Deny, NotApplicable as NA};

/// One request and its expected decision: (caller, action, key, context, expected).
type Check = (&'static str, &'static str, &'static str, &'static [(&'static str, &'static str)], Decision);

/// Each policy (statements) with the requests it is checked against.
fn run_table(cases: &[(&str, &[Check])]) {
    for (statements, checks) in cases {
        let policy = parse(statements);
        for (who, action, key, context, expected) in *checks {
            let got = decide(&policy, who, action, key, context);
            assert_eq!(got, *expected, "{statements}\n  {who} {action} {key:?} {context:?}");
        }
    }
}

const PUBLIC_READ: &str = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#;
const ALL_AND_DENY_ALICE_DELETE: &str = r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"]},
    {"Sid":"NoDelete","Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},"Action":"s3:DeleteObject","Resource":"arn:aws:s3:::photos/*"}"#;

#[test]
fn effects_principals_actions_resources() {
    run_table(&[
        // Allow, and what it does not cover.
        (
            PUBLIC_READ,
            &[
                ("anon", "s3:GetObject", "a.jpg", &[], Allow),
                ("alice", "s3:GetObject", "a/b/c.jpg", &[], Allow),
                ("anon", "s3:PutObject", "a.jpg", &[], NA),
                ("anon", "s3:ListBucket", "", &[], NA),
            ],
        ),
        // Explicit deny wins over an allow.
        (
            ALL_AND_DENY_ALICE_DELETE,
            &[
                ("alice", "s3:DeleteObject", "x", &[], Deny),
                ("alice", "s3:GetObject", "x", &[], Allow),
                ("bob", "s3:DeleteObject", "x", &[], Allow),
                ("anon", "s3:ListBucket", "", &[], Allow),
            ],
        ),
        // Principals: user ARN, user id, canonical user, the account.
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("alice", "s3:GetObject", "k", &[], Allow), ("bob", "s3:GetObject", "k", &[], NA), ("anon", "s3:GetObject", "k", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":["id-alice"]},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("alice", "s3:GetObject", "k", &[], Allow)],
        ),
        (
            r#"{"Effect":"Allow","Principal":{"CanonicalUser":"id-bob"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("bob", "s3:GetObject", "k", &[], Allow), ("alice", "s3:GetObject", "k", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("bob", "s3:GetObject", "k", &[], Allow), ("anon", "s3:GetObject", "k", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("alice", "s3:GetObject", "k", &[], Allow), ("anon", "s3:GetObject", "k", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("anon", "s3:GetObject", "k", &[], Allow)],
        ),
        // NotPrincipal: everyone but alice is denied.
        (
            r#"{"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::000000000000:user/alice"},"Action":"s3:*","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("bob", "s3:GetObject", "k", &[], Deny), ("anon", "s3:GetObject", "k", &[], Deny), ("alice", "s3:GetObject", "k", &[], NA)],
        ),
        // NotAction.
        (
            r#"{"Effect":"Allow","Principal":"*","NotAction":"s3:DeleteObject","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("anon", "s3:GetObject", "k", &[], Allow), ("anon", "s3:DeleteObject", "k", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","NotAction":["s3:Delete*","s3:Put*"],"Resource":"arn:aws:s3:::photos/*"}"#,
            &[("anon", "s3:PutObjectTagging", "k", &[], NA)],
        ),
        // NotResource.
        (
            r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","NotResource":"arn:aws:s3:::photos/public/*"}"#,
            &[("bob", "s3:GetObject", "private/x", &[], Deny), ("bob", "s3:GetObject", "public/x", &[], NA)],
        ),
        // Wildcards and case in actions.
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:Get*","Resource":"arn:aws:s3:::photos/*"}"#,
            &[("anon", "s3:GetObjectTagging", "k", &[], Allow), ("anon", "s3:PutObject", "k", &[], NA)],
        ),
        (r#"{"Effect":"Allow","Principal":"*","Action":"s3:Get?bject","Resource":"arn:aws:s3:::photos/*"}"#, &[("anon", "s3:GetObject", "k", &[], Allow)]),
        (r#"{"Effect":"Allow","Principal":"*","Action":"S3:getobject","Resource":"arn:aws:s3:::photos/*"}"#, &[("anon", "s3:GetObject", "k", &[], Allow)]),
        (r#"{"Effect":"Allow","Principal":"*","Action":"*","Resource":"arn:aws:s3:::photos"}"#, &[("anon", "s3:ListBucket", "", &[], Allow)]),
        // Wildcards in resources; bucket ARN vs object ARN.
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/2024/*.jpg"}"#,
            &[("anon", "s3:GetObject", "2024/a/b.jpg", &[], Allow), ("anon", "s3:GetObject", "2024/b.png", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/??.txt"}"#,
            &[("anon", "s3:GetObject", "ab.txt", &[], Allow), ("anon", "s3:GetObject", "abc.txt", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::pho*"}"#,
            &[("anon", "s3:GetObject", "k", &[], Allow), ("anon", "s3:ListBucket", "", &[], Allow)],
        ),
        (r#"{"Effect":"Allow","Principal":"*","Action":"s3:ListBucket","Resource":"arn:aws:s3:::photos"}"#, &[("anon", "s3:ListBucket", "", &[], Allow)]),
        (
            r#"{"Effect":"Allow","Principal":"*","Action":["s3:ListBucket","s3:GetObject"],"Resource":"arn:aws:s3:::photos/*"}"#,
            &[("anon", "s3:ListBucket", "", &[], NA)],
        ),
        // Policy variables in resources.
        (
            r#"{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"s3:*","Resource":"arn:aws:s3:::photos/home/${aws:username}/*"}"#,
            &[("alice", "s3:PutObject", "home/alice/x", &[], Allow), ("alice", "s3:PutObject", "home/bob/x", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/home/${aws:username}/*"}"#,
            &[("anon", "s3:PutObject", "home//x", &[], NA)],
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/u/${aws:userid}"}"#,
            &[("bob", "s3:GetObject", "u/id-bob", &[], Allow)],
        ),
        (
            r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/lit${*}${?}${$}"}"#,
            &[("bob", "s3:GetObject", "lit*?$", &[], Allow)],
        ),
        (r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::photos/lit${*}"}"#, &[("bob", "s3:GetObject", "litx", &[], NA)]),
    ]);
}

/// A statement allowing everyone everything under `condition`.
macro_rules! allow_if {
    ($cond:literal) => {
        concat!(r#"{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"],"Condition":"#, $cond, "}")
    };
}

/// A statement denying everyone everything under `condition`.
macro_rules! deny_if {
    ($cond:literal) => {
        concat!(r#"{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::photos","arn:aws:s3:::photos/*"],"Condition":"#, $cond, "}")
    };
}

/// A request's caller and context, and the expected decision.
type CondCheck = (&'static str, &'static [(&'static str, &'static str)], Decision);

/// Each statement with the `s3:PutObject` requests it is checked against.
fn run_conditions(cases: &[(&str, &[CondCheck])]) {
    for (statement, checks) in cases {
        let policy = parse(statement);
        for (who, context, expected) in *checks {
            let got = decide(&policy, who, "s3:PutObject", "k", context);
            assert_eq!(got, *expected, "{statement}\n  {who} {context:?}");
        }
    }
}

#[test]
fn string_operators() {
    run_conditions(&[
        (
            allow_if!(r#"{"StringEquals":{"s3:prefix":"docs/"}}"#),
            &[("anon", &[("s3:prefix", "docs/")], Allow), ("anon", &[("s3:prefix", "Docs/")], NA), ("anon", &[], NA)],
        ),
        // Values of one key are ORed; `*` is literal for StringEquals.
        (allow_if!(r#"{"StringEquals":{"s3:prefix":["a/","b/"]}}"#), &[("anon", &[("s3:prefix", "b/")], Allow)]),
        (allow_if!(r#"{"StringEquals":{"s3:prefix":"a*"}}"#), &[("anon", &[("s3:prefix", "ab")], NA), ("anon", &[("s3:prefix", "a*")], Allow)]),
        // Condition keys are case-insensitive.
        (allow_if!(r#"{"StringEquals":{"S3:Prefix":"docs/"}}"#), &[("anon", &[("s3:prefix", "docs/")], Allow)]),
        (allow_if!(r#"{"StringEqualsIgnoreCase":{"s3:prefix":"DOCS/"}}"#), &[("anon", &[("s3:prefix", "docs/")], Allow)]),
        (allow_if!(r#"{"StringNotEqualsIgnoreCase":{"s3:prefix":"DOCS/"}}"#), &[("anon", &[("s3:prefix", "docs/")], NA)]),
        (
            allow_if!(r#"{"StringLike":{"s3:prefix":["docs/*","img/??/"]}}"#),
            &[("anon", &[("s3:prefix", "docs/2024/")], Allow), ("anon", &[("s3:prefix", "img/ab/")], Allow), ("anon", &[("s3:prefix", "img/abc/")], NA)],
        ),
        (
            allow_if!(r#"{"StringNotLike":{"s3:prefix":"secret/*"}}"#),
            &[("anon", &[("s3:prefix", "secret/x")], NA), ("anon", &[("s3:prefix", "public/")], Allow)],
        ),
        // Negated operators hold when the key is absent.
        (allow_if!(r#"{"StringNotLike":{"s3:prefix":"secret/*"}}"#), &[("anon", &[], Allow)]),
        (
            deny_if!(r#"{"StringNotEquals":{"s3:x-amz-acl":"private"}}"#),
            &[("bob", &[("s3:x-amz-acl", "public-read")], Deny), ("bob", &[("s3:x-amz-acl", "private")], NA), ("bob", &[], Deny)],
        ),
        // Policy variables in string conditions.
        (
            allow_if!(r#"{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}"#),
            &[
                ("alice", &[("s3:prefix", "home/alice/x")], Allow),
                ("bob", &[("s3:prefix", "home/alice/x")], NA),
                ("anon", &[("s3:prefix", "home/alice/x")], NA),
            ],
        ),
        (allow_if!(r#"{"StringEquals":{"s3:prefix":"${*}"}}"#), &[("anon", &[("s3:prefix", "*")], Allow)]),
        // Identity keys come from the caller; tag keys from the context.
        (allow_if!(r#"{"StringEquals":{"aws:username":"alice"}}"#), &[("alice", &[], Allow), ("bob", &[], NA), ("anon", &[("aws:username", "alice")], Allow)]),
        (allow_if!(r#"{"StringEquals":{"aws:PrincipalType":"Anonymous"}}"#), &[("anon", &[], Allow)]),
        (allow_if!(r#"{"StringEquals":{"aws:PrincipalAccount":"000000000000"}}"#), &[("bob", &[], Allow)]),
        (allow_if!(r#"{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}"#), &[("anon", &[("s3:ExistingObjectTag/class", "public")], Allow)]),
    ]);
}

#[test]
fn numeric_date_bool_ip_arn_operators() {
    run_conditions(&[
        (allow_if!(r#"{"NumericLessThanEquals":{"s3:max-keys":"100"}}"#), &[("anon", &[("s3:max-keys", "100")], Allow)]),
        (allow_if!(r#"{"NumericLessThanEquals":{"s3:max-keys":100}}"#), &[("anon", &[("s3:max-keys", "50")], Allow)]),
        (allow_if!(r#"{"NumericLessThanEquals":{"s3:max-keys":"100"}}"#), &[("anon", &[("s3:max-keys", "200")], NA), ("anon", &[("s3:max-keys", "lots")], NA)]),
        (allow_if!(r#"{"NumericLessThan":{"s3:max-keys":"100"}}"#), &[("anon", &[("s3:max-keys", "100")], NA)]),
        (allow_if!(r#"{"NumericGreaterThan":{"s3:max-keys":"10.5"}}"#), &[("anon", &[("s3:max-keys", "11")], Allow)]),
        (allow_if!(r#"{"NumericGreaterThanEquals":{"s3:max-keys":"10"}}"#), &[("anon", &[("s3:max-keys", "9")], NA)]),
        (allow_if!(r#"{"NumericEquals":{"s3:max-keys":["10","20"]}}"#), &[("anon", &[("s3:max-keys", "20")], Allow)]),
        (
            allow_if!(r#"{"NumericNotEquals":{"s3:max-keys":["10","20"]}}"#),
            &[("anon", &[("s3:max-keys", "20")], NA), ("anon", &[("s3:max-keys", "30")], Allow)],
        ),
        (
            allow_if!(r#"{"DateGreaterThan":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#),
            &[("anon", &[("aws:CurrentTime", "2026-06-01T12:00:00Z")], Allow), ("anon", &[("aws:CurrentTime", "2025-12-31T23:59:59Z")], NA), ("anon", &[], NA)],
        ),
        (allow_if!(r#"{"DateLessThan":{"aws:EpochTime":"1700000000"}}"#), &[("anon", &[("aws:EpochTime", "1600000000")], Allow)]),
        (allow_if!(r#"{"DateLessThanEquals":{"aws:CurrentTime":"2026-01-01"}}"#), &[("anon", &[("aws:CurrentTime", "1767225600")], Allow)]),
        (allow_if!(r#"{"DateEquals":{"aws:CurrentTime":"2026-01-01T01:00:00+01:00"}}"#), &[("anon", &[("aws:CurrentTime", "2026-01-01T00:00:00Z")], Allow)]),
        (allow_if!(r#"{"DateNotEquals":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#), &[("anon", &[("aws:CurrentTime", "2026-01-01T00:00:00Z")], NA)]),
        (
            allow_if!(r#"{"DateGreaterThanEquals":{"s3:object-lock-retain-until-date":"2030-01-01T00:00:00Z"}}"#),
            &[("anon", &[("s3:object-lock-retain-until-date", "2031-01-01T00:00:00.000Z")], Allow)],
        ),
        (deny_if!(r#"{"Bool":{"aws:SecureTransport":"false"}}"#), &[("bob", &[("aws:SecureTransport", "false")], Deny)]),
        (deny_if!(r#"{"Bool":{"aws:SecureTransport":false}}"#), &[("bob", &[("aws:SecureTransport", "FALSE")], Deny)]),
        (deny_if!(r#"{"Bool":{"aws:SecureTransport":"false"}}"#), &[("bob", &[("aws:SecureTransport", "true")], NA), ("bob", &[], NA)]),
        (
            allow_if!(r#"{"IpAddress":{"aws:SourceIp":["192.168.0.0/16","2001:db8::/32","10.1.2.3"]}}"#),
            &[
                ("anon", &[("aws:SourceIp", "192.168.3.4")], Allow),
                ("anon", &[("aws:SourceIp", "10.0.0.1")], NA),
                ("anon", &[("aws:SourceIp", "10.1.2.3")], Allow),
                ("anon", &[("aws:SourceIp", "2001:db8:1::5")], Allow),
                ("anon", &[("aws:SourceIp", "::ffff:192.168.9.9")], Allow),
                ("anon", &[("aws:SourceIp", "2001:db9::1")], NA),
            ],
        ),
        (allow_if!(r#"{"IpAddress":{"aws:SourceIp":"0.0.0.0/0"}}"#), &[("anon", &[("aws:SourceIp", "8.8.8.8")], Allow)]),
        (
            deny_if!(r#"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            &[("bob", &[("aws:SourceIp", "11.0.0.1")], Deny), ("bob", &[("aws:SourceIp", "10.9.0.1")], NA)],
        ),
        (allow_if!(r#"{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/alice"}}"#), &[("alice", &[], Allow), ("bob", &[], NA)]),
        (allow_if!(r#"{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:user/*"}}"#), &[("bob", &[], Allow), ("anon", &[], NA)]),
        (allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:*:*:*:x"}}"#), &[("anon", &[("aws:SourceArn", "arn:aws:sns:us-east-1:123:x")], Allow)]),
        // Wildcards stay inside one ARN part.
        (allow_if!(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:*:x"}}"#), &[("anon", &[("aws:SourceArn", "arn:aws:sns:us-east-1:123:x")], NA)]),
        (allow_if!(r#"{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/a*"}}"#), &[("alice", &[], NA), ("bob", &[], Allow)]),
        (allow_if!(r#"{"ArnNotEquals":{"aws:PrincipalArn":"arn:aws:iam::000000000000:user/alice"}}"#), &[("anon", &[], Allow)]),
    ]);
}

#[test]
fn if_exists_null_sets_and_combinations() {
    run_conditions(&[
        // …IfExists: true when the key is absent, else the operator.
        (
            allow_if!(r#"{"StringEqualsIfExists":{"s3:x-amz-acl":"private"}}"#),
            &[("anon", &[], Allow), ("anon", &[("s3:x-amz-acl", "private")], Allow), ("anon", &[("s3:x-amz-acl", "public-read")], NA)],
        ),
        (allow_if!(r#"{"NumericLessThanIfExists":{"s3:max-keys":"10"}}"#), &[("anon", &[], Allow)]),
        (allow_if!(r#"{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}"#), &[("anon", &[("aws:SourceIp", "11.0.0.1")], NA)]),
        // Null: true tests absence, false presence.
        (
            deny_if!(r#"{"Null":{"s3:x-amz-server-side-encryption":"true"}}"#),
            &[("bob", &[], Deny), ("bob", &[("s3:x-amz-server-side-encryption", "AES256")], NA)],
        ),
        (
            deny_if!(r#"{"Null":{"s3:x-amz-server-side-encryption":false}}"#),
            &[("bob", &[("s3:x-amz-server-side-encryption", "AES256")], Deny), ("bob", &[], NA)],
        ),
        // ForAnyValue: some request value matches; absent → false.
        (
            allow_if!(r#"{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}"#),
            &[
                ("anon", &[("s3:RequestObjectTagKeys", "c"), ("s3:RequestObjectTagKeys", "a")], Allow),
                ("anon", &[("s3:RequestObjectTagKeys", "c")], NA),
                ("anon", &[], NA),
            ],
        ),
        (
            allow_if!(r#"{"ForAnyValue:StringNotEquals":{"s3:RequestObjectTagKeys":"a"}}"#),
            &[("anon", &[("s3:RequestObjectTagKeys", "a"), ("s3:RequestObjectTagKeys", "c")], Allow), ("anon", &[("s3:RequestObjectTagKeys", "a")], NA)],
        ),
        // ForAllValues: every request value matches; absent → true.
        (
            allow_if!(r#"{"ForAllValues:StringEquals":{"s3:RequestObjectTagKeys":["a","b"]}}"#),
            &[
                ("anon", &[("s3:RequestObjectTagKeys", "a"), ("s3:RequestObjectTagKeys", "b")], Allow),
                ("anon", &[("s3:RequestObjectTagKeys", "a"), ("s3:RequestObjectTagKeys", "c")], NA),
                ("anon", &[], Allow),
            ],
        ),
        (
            allow_if!(r#"{"ForAllValues:StringLike":{"s3:RequestObjectTagKeys":"team-*"}}"#),
            &[("anon", &[("s3:RequestObjectTagKeys", "team-a"), ("s3:RequestObjectTagKeys", "team-b")], Allow)],
        ),
        (
            allow_if!(r#"{"ForAllValues:StringNotLike":{"s3:RequestObjectTagKeys":"secret*"}}"#),
            &[("anon", &[("s3:RequestObjectTagKeys", "a"), ("s3:RequestObjectTagKeys", "secret1")], NA)],
        ),
        // Keys within an operator, and operators, are ANDed.
        (
            allow_if!(r#"{"StringEquals":{"s3:prefix":"a/","s3:delimiter":"/"}}"#),
            &[("anon", &[("s3:prefix", "a/"), ("s3:delimiter", "/")], Allow), ("anon", &[("s3:prefix", "a/")], NA)],
        ),
        (
            allow_if!(r#"{"StringEquals":{"s3:prefix":"a/"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#),
            &[("anon", &[("s3:prefix", "a/"), ("aws:SourceIp", "10.0.0.1")], Allow), ("anon", &[("s3:prefix", "a/"), ("aws:SourceIp", "11.0.0.1")], NA)],
        ),
    ]);
}

#[test]
fn statement_forms() {
    // A single statement object, no Version, an Id, a Sid.
    let one = r#"{"Id":"p1","Statement":{"Sid":"Read","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}}"#;
    let policy = BucketPolicy::parse(one.as_bytes(), BUCKET).unwrap();
    assert_eq!(decide(&policy, "anon", "s3:GetObject", "k", &[]), Allow);
    let old = r#"  {"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}]}"#;
    assert!(BucketPolicy::parse(old.as_bytes(), BUCKET).is_ok());
}

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

#[test]
fn context_keys_are_case_insensitive() {
    let mut ctx = ConditionContext::new();
    ctx.set("AWS:SourceIp", "10.0.0.1");
    ctx.add("s3:requestobjecttagkeys", "a");
    ctx.add("S3:RequestObjectTagKeys", "b");
    assert_eq!(ctx.get("aws:sourceip"), Some(&["10.0.0.1".to_owned()][..]));
    assert_eq!(ctx.get("s3:RequestObjectTagKeys").map(<[String]>::len), Some(2));
    ctx.set("s3:RequestObjectTagKeys", "c");
    assert_eq!(ctx.get("s3:requestobjecttagkeys").map(<[String]>::len), Some(1));
    assert_eq!(ctx.get("s3:prefix"), None);
}

#[test]
fn tag_keys_in_condition_keys_keep_their_case() {
    let deny_secret = r#"{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*",
        "Condition":{"StringEquals":{"S3:ExistingObjectTag/class":"secret"}}}"#;
    run_table(&[(
        deny_secret,
        &[
            ("bob", "s3:GetObject", "k", &[("s3:ExistingObjectTag/class", "secret")], Deny),
            ("bob", "s3:GetObject", "k", &[("s3:existingobjecttag/class", "secret")], Deny),
            ("bob", "s3:GetObject", "k", &[("s3:ExistingObjectTag/Class", "secret")], NA),
            ("bob", "s3:GetObject", "k", &[("s3:ExistingObjectTag/class", "secret"), ("s3:ExistingObjectTag/Class", "public")], Deny),
        ],
    )]);
}
