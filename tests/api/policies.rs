//! Bucket policies: the round trip and status, the errors a bad document gets (with
//! nothing stored changed), and what a policy lets callers do: anonymous reads, explicit
//! denies (the owner keeps the policy itself), IP and request-value conditions,
//! read-only users, existing-object tags and policy variables. The other bucket access
//! settings are `bucket_settings`; the helpers here serve both.

use std::fmt::Debug;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{BucketCannedAcl, Delete, ObjectCannedAcl, ObjectIdentifier};
use aws_sdk_s3::Client;
use serde_json::{json, Value};
use sqlx::Row;

use crate::common::{s3_error, TestApp};
use crate::identity::{snapshot, user};

/// A Depot user's ARN, as a policy names it.
pub(crate) fn arn(username: &str) -> String {
    format!("arn:aws:iam::000000000000:user/{username}")
}

/// The README's public-read policy for `bucket`.
pub(crate) fn public_read(bucket: &str) -> String {
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*"}}]}}"#
    )
}

/// A policy of one or more statements.
pub(crate) fn policy(statements: &[Value]) -> String {
    json!({ "Version": "2012-10-17", "Statement": statements }).to_string()
}

/// Everything stored (see `identity::snapshot`) plus every bucket's settings: policy,
/// public access block, ownership and ACL. Equal values mean nothing changed.
pub(crate) async fn everything(app: &TestApp) -> Vec<String> {
    let mut out = snapshot(app).await;
    let sql =
        "SELECT name, COALESCE(policy, '') AS p, COALESCE(public_access_block, '') AS b, COALESCE(object_ownership, '') AS o, acl FROM buckets ORDER BY name";
    for row in sqlx::query(sql).fetch_all(app.state().catalog.reader()).await.expect(sql) {
        out.push((0..5).map(|i| row.get::<String, _>(i)).collect::<Vec<_>>().join("|"));
    }
    out
}

/// The status, S3 error code and message of an SDK call that must fail.
pub(crate) fn failure<T: Debug, E: ProvideErrorMetadata + Debug>(result: Result<T, SdkError<E, HttpResponse>>) -> (u16, String, String) {
    let err = result.expect_err("the request should fail");
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or_else(|| panic!("no response: {err:?}"));
    (status, err.code().unwrap_or_default().to_owned(), err.message().unwrap_or_default().to_owned())
}

pub(crate) async fn put_policy(client: &Client, bucket: &str, text: &str) {
    client.put_bucket_policy().bucket(bucket).policy(text).send().await.unwrap_or_else(|e| panic!("put policy {text}: {e:?}"));
}

pub(crate) async fn put_text(client: &Client, bucket: &str, key: &str, body: &str) {
    client.put_object().bucket(bucket).key(key).body(body.as_bytes().to_vec().into()).send().await.expect("put object");
}

pub(crate) async fn get_text(client: &Client, bucket: &str, key: &str) -> String {
    let out = client.get_object().bucket(bucket).key(key).send().await.expect("get object");
    String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
}

/// An unsigned GET: (status, body).
pub(crate) async fn anonymous_get(app: &TestApp, path: &str) -> (u16, String) {
    let resp = app.raw("GET", path).send().await;
    (resp.status, resp.text())
}

/// The owner id of an object, as the bucket owner's GetObjectAcl shows it.
pub(crate) async fn object_owner(client: &Client, bucket: &str, key: &str) -> String {
    let acl = client.get_object_acl().bucket(bucket).key(key).send().await.expect("get object acl");
    acl.owner().and_then(|o| o.id()).unwrap().to_owned()
}

#[tokio::test]
async fn bucket_policy_round_trips_and_reports_its_status() {
    let app = TestApp::start().await;
    app.bucket("docs").await;
    let c = &app.client;
    assert_eq!(failure(c.get_bucket_policy().bucket("docs").send().await).1, "NoSuchBucketPolicy", "no policy yet");
    assert_eq!(s3_error(c.get_bucket_policy_status().bucket("docs").send().await), (404, "NoSuchBucketPolicy".to_owned()));

    // The document comes back as sent, whitespace and all.
    let text = "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n    {\"Sid\": \"PublicRead\", \"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"s3:GetObject\", \"Resource\": \"arn:aws:s3:::docs/*\"}\n  ]\n}";
    put_policy(c, "docs", text).await;
    let got = c.get_bucket_policy().bucket("docs").send().await.expect("get policy");
    assert_eq!(got.policy(), Some(text));
    let status = c.get_bucket_policy_status().bucket("docs").send().await.expect("policy status");
    assert_eq!(status.policy_status().and_then(|s| s.is_public()), Some(true), "Principal * without conditions is public");

    // A policy for one named user is not public.
    let bob = user(&app, "bob").await;
    let private = policy(&[json!({"Effect": "Allow", "Principal": {"AWS": arn("bob")}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"})]);
    put_policy(c, "docs", &private).await;
    assert_eq!(c.get_bucket_policy().bucket("docs").send().await.unwrap().policy(), Some(private.as_str()), "a put replaces the policy");
    let status = c.get_bucket_policy_status().bucket("docs").send().await.unwrap();
    assert_eq!(status.policy_status().and_then(|s| s.is_public()), Some(false));

    // Only the owner reads or changes the policy.
    assert_eq!(s3_error(bob.client.get_bucket_policy().bucket("docs").send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(s3_error(bob.client.delete_bucket_policy().bucket("docs").send().await), (403, "AccessDenied".to_owned()));

    c.delete_bucket_policy().bucket("docs").send().await.expect("delete policy");
    let (status, code, _) = failure(c.get_bucket_policy().bucket("docs").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucketPolicy"));
    c.delete_bucket_policy().bucket("docs").send().await.expect("deleting an absent policy succeeds, as in S3");
    app.shutdown().await;
}

#[tokio::test]
async fn malformed_policies_are_refused_with_the_problem_named() {
    let app = TestApp::start().await;
    app.bucket("docs").await;
    app.bucket("other").await;
    let _bob = user(&app, "bob").await;
    let c = &app.client;
    let good = public_read("docs");
    put_policy(c, "docs", &good).await;
    let before = everything(&app).await;
    let stmt = |extra: Value| {
        let mut s = json!({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::docs/*"});
        for (k, v) in extra.as_object().unwrap() {
            if v.is_null() {
                s.as_object_mut().unwrap().remove(k);
            } else {
                s[k] = v.clone();
            }
        }
        policy(&[s])
    };
    let cases: Vec<(&str, String, &str)> = vec![
        ("invalid JSON", r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","#.to_owned(), "This policy contains invalid Json"),
        ("unknown action", stmt(json!({"Action": "s3:GetObjekt"})), "Policy has invalid action"),
        ("another bucket's resource", stmt(json!({"Resource": "arn:aws:s3:::other/*"})), "Policy has invalid resource"),
        ("a user that does not exist", stmt(json!({"Principal": {"AWS": arn("nobody")}})), "Invalid principal in policy"),
        ("a user id that does not exist", stmt(json!({"Principal": {"CanonicalUser": "0123456789abcdef0123456789abcdef"}})), "Invalid principal in policy"),
        ("no Principal", stmt(json!({"Principal": null})), "Missing required field Principal"),
        ("no Effect", stmt(json!({"Effect": null})), "Missing required field Effect"),
        ("an object action on the bucket only", stmt(json!({"Resource": "arn:aws:s3:::docs"})), "Action does not apply to any resource(s) in statement"),
        ("a bucket action on objects only", stmt(json!({"Action": "s3:ListBucket"})), "Action does not apply to any resource(s) in statement"),
        ("no Statement", r#"{"Version":"2012-10-17"}"#.to_owned(), "Missing required field Statement"),
        ("an unknown version", r#"{"Version":"2020-01-01","Statement":[]}"#.to_owned(), "The policy must contain a valid version string"),
    ];
    for (what, text, message) in cases {
        let (status, code, got) = failure(c.put_bucket_policy().bucket("docs").policy(&text).send().await);
        assert_eq!((status, code.as_str()), (400, "MalformedPolicy"), "{what}: {text}");
        assert_eq!(got, message, "{what}: {text}");
        assert_eq!(everything(&app).await, before, "{what}: a refused policy changed stored data");
        assert_eq!(c.get_bucket_policy().bucket("docs").send().await.unwrap().policy(), Some(good.as_str()), "{what}: the stored policy is unchanged");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn a_public_read_policy_opens_object_reads_and_nothing_else() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let a = &alice.client;
    a.create_bucket().bucket("site").send().await.unwrap();
    put_text(a, "site", "index.html", "<h1>hello</h1>").await;
    put_text(a, "site", "dir/page.html", "page").await;
    assert_eq!(anonymous_get(&app, "/site/index.html").await.0, 403, "private before the policy");

    put_policy(a, "site", &public_read("site")).await;
    assert_eq!(anonymous_get(&app, "/site/index.html").await, (200, "<h1>hello</h1>".to_owned()));
    assert_eq!(anonymous_get(&app, "/site/dir/page.html").await, (200, "page".to_owned()));
    assert_eq!(app.raw("HEAD", "/site/index.html").send().await.status, 200, "HeadObject is s3:GetObject");
    let missing = app.raw("GET", "/site/missing.html").send().await;
    assert_eq!((missing.status, missing.error_code().as_deref()), (403, Some("AccessDenied")), "a missing key is not revealed without s3:ListBucket");

    let before = everything(&app).await;
    let listing = app.raw("GET", "/site?list-type=2").send().await;
    assert_eq!((listing.status, listing.error_code().as_deref()), (403, Some("AccessDenied")), "the policy does not allow listing");
    let put = app.raw("PUT", "/site/index.html").body(b"defaced".to_vec()).send().await;
    assert_eq!((put.status, put.error_code().as_deref()), (403, Some("AccessDenied")), "nor writing");
    let delete = app.raw("DELETE", "/site/index.html").send().await;
    assert_eq!((delete.status, delete.error_code().as_deref()), (403, Some("AccessDenied")), "nor deleting");
    let policy_read = app.raw("GET", "/site?policy").send().await;
    assert_eq!(policy_read.status, 403, "nor reading the policy");
    assert_eq!(everything(&app).await, before, "denied requests changed nothing");
    assert_eq!(get_text(a, "site", "index.html").await, "<h1>hello</h1>");

    a.delete_bucket_policy().bucket("site").send().await.unwrap();
    assert_eq!(anonymous_get(&app, "/site/index.html").await.0, 403, "private again without the policy");
    app.shutdown().await;
}

#[tokio::test]
async fn denying_plain_http_locks_out_everyone_but_the_owner_keeps_the_policy() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("tls").send().await.unwrap();
    put_text(a, "tls", "k", "value").await;
    let deny = policy(&[json!({
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::tls", "arn:aws:s3:::tls/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}
    })]);
    put_policy(a, "tls", &deny).await;

    // The server speaks plain http: every request matches the Deny, the owner's too.
    let before = everything(&app).await;
    assert_eq!(s3_error(a.get_object().bucket("tls").key("k").send().await), (403, "AccessDenied".to_owned()), "owner GetObject");
    assert_eq!(s3_error(a.list_objects_v2().bucket("tls").send().await), (403, "AccessDenied".to_owned()), "owner ListObjectsV2");
    let put = a.put_object().bucket("tls").key("k").body(b"overwritten".to_vec().into()).send().await;
    assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "owner PutObject");
    assert_eq!(s3_error(a.delete_bucket().bucket("tls").send().await), (403, "AccessDenied".to_owned()), "owner DeleteBucket");
    assert_eq!(s3_error(bob.client.get_object().bucket("tls").key("k").send().await), (403, "AccessDenied".to_owned()), "another user");
    assert_eq!(s3_error(bob.client.get_bucket_policy().bucket("tls").send().await), (403, "AccessDenied".to_owned()), "another user's GetBucketPolicy");
    assert_eq!(everything(&app).await, before, "denied requests changed nothing");

    // Lock-out protection: the owner still reads and removes the policy.
    assert_eq!(a.get_bucket_policy().bucket("tls").send().await.expect("owner GetBucketPolicy").policy(), Some(deny.as_str()));
    a.delete_bucket_policy().bucket("tls").send().await.expect("owner DeleteBucketPolicy");
    assert_eq!(get_text(a, "tls", "k").await, "value", "access works again");
    app.shutdown().await;
}

#[tokio::test]
async fn an_ip_allow_list_admits_only_matching_sources() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("ips").send().await.unwrap();
    put_text(a, "ips", "report", "numbers").await;
    let allow_from = |cidr: &str| {
        policy(&[json!({
            "Effect": "Allow",
            "Principal": {"AWS": arn("bob")},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::ips/*",
            "Condition": {"IpAddress": {"aws:SourceIp": cidr}}
        })])
    };
    put_policy(a, "ips", &allow_from("127.0.0.0/8")).await;
    assert_eq!(get_text(&bob.client, "ips", "report").await, "numbers", "127.0.0.1 is in 127.0.0.0/8");

    put_policy(a, "ips", &allow_from("10.0.0.0/8")).await;
    assert_eq!(s3_error(bob.client.get_object().bucket("ips").key("report").send().await), (403, "AccessDenied".to_owned()), "127.0.0.1 is not in 10.0.0.0/8");
    let not_ip = policy(&[json!({
        "Effect": "Allow",
        "Principal": {"AWS": arn("bob")},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::ips/*",
        "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
    })]);
    put_policy(a, "ips", &not_ip).await;
    assert_eq!(get_text(&bob.client, "ips", "report").await, "numbers", "NotIpAddress 10.0.0.0/8 admits 127.0.0.1");
    app.shutdown().await;
}

#[tokio::test]
async fn a_read_only_user_reads_and_lists_but_cannot_write_or_delete() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    let b = &bob.client;
    for (bucket, principal) in
        [("by-arn", json!({"AWS": arn("bob")})), ("by-id", json!({"AWS": bob.id})), ("by-canonical-id", json!({"CanonicalUser": bob.id}))]
    {
        a.create_bucket().bucket(bucket).send().await.unwrap();
        put_text(a, bucket, "data.csv", "1,2,3").await;
        put_policy(
            a,
            bucket,
            &policy(&[json!({
                "Sid": "ReadOnly",
                "Effect": "Allow",
                "Principal": principal,
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")]
            })]),
        )
        .await;

        let listed = b.list_objects_v2().bucket(bucket).send().await.unwrap_or_else(|e| panic!("{bucket}: bob lists: {e:?}"));
        assert_eq!(listed.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["data.csv"], "{bucket}");
        assert_eq!(get_text(b, bucket, "data.csv").await, "1,2,3", "{bucket}");
        let missing = b.get_object().bucket(bucket).key("missing.csv").send().await;
        assert_eq!(s3_error(missing), (404, "NoSuchKey".to_owned()), "{bucket}: s3:ListBucket lets bob learn that a key is missing");

        let before = everything(&app).await;
        let put = b.put_object().bucket(bucket).key("data.csv").body(b"9,9,9".to_vec().into()).send().await;
        assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "{bucket}: bob overwrites");
        let put = b.put_object().bucket(bucket).key("new.csv").body(b"9".to_vec().into()).send().await;
        assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "{bucket}: bob writes a new key");
        assert_eq!(s3_error(b.delete_object().bucket(bucket).key("data.csv").send().await), (403, "AccessDenied".to_owned()), "{bucket}: bob deletes");
        assert_eq!(s3_error(b.get_bucket_policy().bucket(bucket).send().await), (403, "AccessDenied".to_owned()), "{bucket}: bob reads the policy");
        let delete = Delete::builder()
            .objects(ObjectIdentifier::builder().key("data.csv").build().unwrap())
            .objects(ObjectIdentifier::builder().key("missing.csv").build().unwrap())
            .build()
            .unwrap();
        let out = b.delete_objects().bucket(bucket).delete(delete).send().await.expect("DeleteObjects answers 200 with per-key errors");
        assert!(out.deleted().is_empty(), "{bucket}: nothing deleted: {:?}", out.deleted());
        let mut errors: Vec<(&str, &str)> = out.errors().iter().map(|e| (e.key().unwrap(), e.code().unwrap())).collect();
        errors.sort();
        assert_eq!(errors, [("data.csv", "AccessDenied"), ("missing.csv", "AccessDenied")], "{bucket}");
        assert_eq!(everything(&app).await, before, "{bucket}: denied writes changed nothing");
        assert_eq!(get_text(a, bucket, "data.csv").await, "1,2,3", "{bucket}: the object is still there");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn an_explicit_deny_beats_public_acls() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("mixed").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    for key in ["open.txt", "secret/plan.txt"] {
        a.put_object().bucket("mixed").key(key).acl(ObjectCannedAcl::PublicRead).body(key.as_bytes().to_vec().into()).send().await.unwrap();
    }
    assert_eq!(anonymous_get(&app, "/mixed/secret/plan.txt").await.0, 200, "public by its ACL before the policy");

    let deny = policy(&[json!({"Sid": "NoSecrets", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::mixed/secret/*"})]);
    put_policy(a, "mixed", &deny).await;
    assert_eq!(anonymous_get(&app, "/mixed/open.txt").await, (200, "open.txt".to_owned()), "other keys stay public");
    assert_eq!(anonymous_get(&app, "/mixed?list-type=2").await.0, 200, "the bucket ACL still lets everyone list");
    let secret = app.raw("GET", "/mixed/secret/plan.txt").send().await;
    assert_eq!((secret.status, secret.error_code().as_deref()), (403, Some("AccessDenied")), "the Deny wins over the object's public-read ACL");
    assert_eq!(s3_error(bob.client.get_object().bucket("mixed").key("secret/plan.txt").send().await), (403, "AccessDenied".to_owned()), "a signed user too");
    assert_eq!(s3_error(a.get_object().bucket("mixed").key("secret/plan.txt").send().await), (403, "AccessDenied".to_owned()), "and the owner");
    assert_eq!(get_text(&bob.client, "mixed", "open.txt").await, "open.txt");
    app.shutdown().await;
}

#[tokio::test]
async fn conditions_test_request_values() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    let b = &bob.client;
    a.create_bucket().bucket("homes").send().await.unwrap();
    for key in ["home/bob/notes.txt", "home/alice/diary.txt", "top.txt"] {
        put_text(a, "homes", key, key).await;
    }
    put_policy(
        a,
        "homes",
        &policy(&[
            json!({
                "Sid": "ListOwnHome",
                "Effect": "Allow",
                "Principal": {"AWS": arn("bob")},
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::homes",
                "Condition": {"StringLike": {"s3:prefix": "home/bob/*"}}
            }),
            json!({
                "Sid": "UploadsMustGiveTheOwnerControl",
                "Effect": "Allow",
                "Principal": {"AWS": arn("bob")},
                "Action": "s3:PutObject",
                "Resource": "arn:aws:s3:::homes/home/bob/*",
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}
            }),
        ]),
    )
    .await;

    // s3:prefix
    let own = b.list_objects_v2().bucket("homes").prefix("home/bob/").send().await.expect("bob lists his home");
    assert_eq!(own.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["home/bob/notes.txt"]);
    b.list_objects().bucket("homes").prefix("home/bob/sub").send().await.expect("a longer prefix matches home/bob/* too (ListObjects v1)");
    assert_eq!(s3_error(b.list_objects_v2().bucket("homes").send().await), (403, "AccessDenied".to_owned()), "no prefix");
    assert_eq!(s3_error(b.list_objects_v2().bucket("homes").prefix("home/alice/").send().await), (403, "AccessDenied".to_owned()), "another home");
    assert_eq!(s3_error(b.list_objects_v2().bucket("homes").prefix("home/").send().await), (403, "AccessDenied".to_owned()), "a wider prefix");

    // s3:x-amz-acl
    let before = everything(&app).await;
    let plain = b.put_object().bucket("homes").key("home/bob/new.txt").body(b"no acl".to_vec().into()).send().await;
    assert_eq!(s3_error(plain), (403, "AccessDenied".to_owned()), "without x-amz-acl");
    let wrong = b.put_object().bucket("homes").key("home/bob/new.txt").acl(ObjectCannedAcl::Private).body(b"private".to_vec().into()).send().await;
    assert_eq!(s3_error(wrong), (403, "AccessDenied".to_owned()), "with another x-amz-acl");
    assert_eq!(everything(&app).await, before, "refused uploads stored nothing");
    b.put_object()
        .bucket("homes")
        .key("home/bob/new.txt")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"for alice".to_vec().into())
        .send()
        .await
        .expect("with x-amz-acl: bucket-owner-full-control");
    assert_eq!(get_text(a, "homes", "home/bob/new.txt").await, "for alice", "the owner reads it through her grant");
    let elsewhere = b.put_object().bucket("homes").key("top.txt").acl(ObjectCannedAcl::BucketOwnerFullControl).body(b"overwrite".to_vec().into()).send().await;
    assert_eq!(s3_error(elsewhere), (403, "AccessDenied".to_owned()), "the resource limits the keys");
    assert_eq!(get_text(a, "homes", "top.txt").await, "top.txt");
    app.shutdown().await;
}

#[tokio::test]
async fn existing_object_tags_decide_reads() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("tagged").send().await.unwrap();
    a.put_object().bucket("tagged").key("shared").tagging("classification=public").body(b"share me".to_vec().into()).send().await.unwrap();
    a.put_object().bucket("tagged").key("internal").tagging("classification=internal").body(b"keep".to_vec().into()).send().await.unwrap();
    put_policy(
        a,
        "tagged",
        &policy(&[json!({
            "Effect": "Allow",
            "Principal": {"AWS": arn("bob")},
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::tagged/*",
            "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "public"}}
        })]),
    )
    .await;
    assert_eq!(get_text(&bob.client, "tagged", "shared").await, "share me");
    assert_eq!(s3_error(bob.client.get_object().bucket("tagged").key("internal").send().await), (403, "AccessDenied".to_owned()));

    // Retagging changes the answer at once.
    let tagging = aws_sdk_s3::types::Tagging::builder()
        .tag_set(aws_sdk_s3::types::Tag::builder().key("classification").value("public").build().unwrap())
        .build()
        .unwrap();
    a.put_object_tagging().bucket("tagged").key("internal").tagging(tagging).send().await.unwrap();
    assert_eq!(get_text(&bob.client, "tagged", "internal").await, "keep");
    app.shutdown().await;
}

#[tokio::test]
async fn policy_variables_give_each_user_a_home() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let carol = user(&app, "carol").await;
    let a = &alice.client;
    a.create_bucket().bucket("homes").send().await.unwrap();
    put_text(a, "homes", "home/carol/notes", "carol's").await;
    let members = json!({"AWS": [arn("bob"), arn("carol")]});
    put_policy(
        a,
        "homes",
        &policy(&[
            json!({
                "Sid": "OwnHomeObjects",
                "Effect": "Allow",
                "Principal": members,
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws:s3:::homes/home/${aws:username}/*"
            }),
            json!({
                "Sid": "ListOwnHome",
                "Effect": "Allow",
                "Principal": members,
                "Action": "s3:ListBucket",
                "Resource": "arn:aws:s3:::homes",
                "Condition": {"StringLike": {"s3:prefix": "home/${aws:username}/*"}}
            }),
        ]),
    )
    .await;
    put_text(&bob.client, "homes", "home/bob/todo", "bob's").await;
    assert_eq!(get_text(&bob.client, "homes", "home/bob/todo").await, "bob's");
    let listed = bob.client.list_objects_v2().bucket("homes").prefix("home/bob/").send().await.expect("bob lists his home");
    assert_eq!(listed.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["home/bob/todo"]);
    assert_eq!(get_text(&carol.client, "homes", "home/carol/notes").await, "carol's");

    let before = everything(&app).await;
    assert_eq!(s3_error(bob.client.get_object().bucket("homes").key("home/carol/notes").send().await), (403, "AccessDenied".to_owned()), "another's home");
    let put = bob.client.put_object().bucket("homes").key("home/carol/notes").body(b"bob was here".to_vec().into()).send().await;
    assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "writing into another's home");
    assert_eq!(s3_error(bob.client.list_objects_v2().bucket("homes").prefix("home/carol/").send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(everything(&app).await, before);
    app.shutdown().await;
}

/// Whatever a policy allows, only the owner's account may read or change it: an
/// anonymous caller gets 405 MethodNotAllowed (as AWS answers) even under a policy that
/// opens `s3:*` to everyone, and the policy stays as it was.
#[tokio::test]
async fn an_open_policy_never_hands_the_policy_to_anonymous_callers() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    alice.client.create_bucket().bucket("open").send().await.unwrap();
    let open = policy(&[json!({"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::open", "arn:aws:s3:::open/*"]})]);
    put_policy(&alice.client, "open", &open).await;
    let before = everything(&app).await;
    for (method, body) in [("GET", ""), ("PUT", r#"{"Version":"2012-10-17","Statement":[]}"#), ("DELETE", "")] {
        let resp = app.raw(method, "/open?policy").body(body).send().await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (405, Some("MethodNotAllowed")), "anonymous {method} ?policy: {}", resp.text());
    }
    assert_eq!(app.raw("GET", "/open?policyStatus").send().await.status, 200, "the status is an ordinary read");
    assert_eq!(everything(&app).await, before);
    // Everything else the policy opens stays open.
    assert_eq!(app.raw("PUT", "/open/k").body("anonymous write").send().await.status, 200);
    assert_eq!(alice.client.get_bucket_policy().bucket("open").send().await.unwrap().policy(), Some(open.as_str()));
    app.shutdown().await;
}
