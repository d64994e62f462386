//! Table tests of the policy engine: statements × requests → decisions, for every
//! element, operator family and context key. Parse errors, the "public" test and the
//! action tables are `parse_tests`. Pure: no I/O, no server.

use super::*;

pub(super) const BUCKET: &str = "photos";

/// A policy document holding `statements` (a JSON statement or comma-separated list).
pub(super) fn doc(statements: &str) -> String {
    format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#)
}

pub(super) fn parse(statements: &str) -> BucketPolicy {
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

pub(super) const PUBLIC_READ: &str = r#"{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::photos/*"}"#;
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
