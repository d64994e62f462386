//! STS `AssumeRoleWithWebIdentity`: login token in, temporary credentials out; the
//! credentials work with the SDK until they expire, and only with their own token.

use std::time::{Duration, SystemTime};

use crate::accounts::bad_tokens;
use crate::common::TestApp;
use crate::identity::{assume_role, assume_role_raw, element, snapshot, user, Signed};

async fn expire_key(app: &TestApp, access_key_id: &str) {
    sqlx::query("UPDATE access_keys SET expires_at = $1 WHERE access_key_id = $2")
        .bind(chrono::Utc::now().timestamp_millis() - 1000)
        .bind(access_key_id)
        .execute(app.state().catalog.reader())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_login_token_buys_temporary_credentials_that_work_with_the_sdk() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let form = format!("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fwriter&RoleSessionName=laptop&WebIdentityToken={}&DurationSeconds=1800", alice.token);
    let resp = assume_role_raw(&app, &form).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let xml = resp.text();
    assert!(xml.contains("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult>"), "{xml}");
    assert_eq!(element(&xml, "SubjectFromWebIdentityToken"), alice.id);
    assert_eq!(element(&xml, "Arn"), "arn:aws:sts::000000000000:assumed-role/writer/laptop");
    assert!(!element(&xml, "RequestId").is_empty());
    let expiration = chrono::DateTime::parse_from_rfc3339(&element(&xml, "Expiration")).unwrap().with_timezone(&chrono::Utc);
    let remaining = expiration - chrono::Utc::now();
    assert!(remaining > chrono::Duration::minutes(29) && remaining <= chrono::Duration::minutes(30), "{remaining}");

    let (key, secret, token) = (element(&xml, "AccessKeyId"), element(&xml, "SecretAccessKey"), element(&xml, "SessionToken"));
    let temp = app.client_for(&key, &secret, Some(&token));
    temp.create_bucket().bucket("alice-temp").send().await.expect("create with temporary credentials");
    temp.put_object().bucket("alice-temp").key("k").body(b"temporary".to_vec().into()).send().await.unwrap();
    let got = temp.get_object().bucket("alice-temp").key("k").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"temporary");
    let listed = temp.list_objects_v2().bucket("alice-temp").fetch_owner(true).send().await.unwrap();
    assert_eq!(listed.contents()[0].owner().and_then(|o| o.id()), Some(alice.id.as_str()), "objects belong to the user, not the session");
    let buckets = alice.client.list_buckets().send().await.unwrap();
    assert_eq!(buckets.buckets().len(), 1, "the bucket is Alice's");
    temp.delete_object().bucket("alice-temp").key("k").send().await.unwrap();
    temp.delete_bucket().bucket("alice-temp").send().await.unwrap();
    app.shutdown().await;
}

#[tokio::test]
async fn session_keys_work_only_with_their_own_token_and_expire() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    alice.client.create_bucket().bucket("alice-bkt").send().await.unwrap();
    let a = assume_role(&app, &alice.token).await;
    let b = assume_role(&app, &bob.token).await;
    let put = |key: &str| Signed::new(&app, "PUT", &format!("/alice-bkt/{key}")).body(b"x".to_vec());

    let ok = put("own").sign(&a.access_key, &a.secret, Some(&a.token)).send().await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    let before = snapshot(&app).await;
    for (what, key, secret, token) in [
        ("session key without its token", &a.access_key, &a.secret, None),
        ("session key with another session's token", &a.access_key, &a.secret, Some(b.token.as_str())),
        ("long-term key with a session token", &bob.access_key, &bob.secret, Some(a.token.as_str())),
        ("session key with a made-up token", &a.access_key, &a.secret, Some("DPSTforged")),
        ("another session's key with this token", &b.access_key, &b.secret, Some(a.token.as_str())),
    ] {
        let resp = put("denied").sign(key, secret, token).send().await;
        crate::identity::assert_denied(&app, &before, &resp, 400, Some("InvalidToken"), what).await;
    }
    // Presigned with the session token works; without it, it does not.
    let url =
        Signed::new(&app, "GET", "/alice-bkt/own").presign(&a.access_key, &a.secret, Some(&a.token), Duration::from_secs(300), SystemTime::now()).send().await;
    assert_eq!(url.status, 200, "{}", url.text());
    let no_token = Signed::new(&app, "GET", "/alice-bkt/own").presign(&a.access_key, &a.secret, None, Duration::from_secs(300), SystemTime::now()).send().await;
    assert_eq!(no_token.status, 400);

    expire_key(&app, &a.access_key).await;
    let before = snapshot(&app).await;
    let replay = put("own").sign(&a.access_key, &a.secret, Some(&a.token)).send().await;
    crate::identity::assert_denied(&app, &before, &replay, 400, Some("ExpiredToken"), "expired session").await;
    let sdk = app.client_for(&a.access_key, &a.secret, Some(&a.token));
    let err = sdk.list_buckets().send().await.expect_err("expired");
    assert_eq!(err.into_service_error().meta().code(), Some("ExpiredToken"));
    app.shutdown().await;
}

#[tokio::test]
async fn bad_calls_and_bad_tokens_get_sts_errors_and_no_credentials() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let before = snapshot(&app).await;
    let call = |token: &str| format!("Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleSessionName=sess&WebIdentityToken={token}");
    for (what, token) in bad_tokens(&app, &alice.token, &alice.id) {
        let resp = assume_role_raw(&app, &call(&token)).await;
        let expected = if what == "expired" { "ExpiredTokenException" } else { "InvalidIdentityToken" };
        assert_eq!(resp.status, 400, "{what}: {}", resp.text());
        let xml = resp.text();
        assert!(xml.contains("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"), "{xml}");
        assert_eq!(element(&xml, "Code"), expected, "{what}");
    }
    for (form, status, code) in [
        ("Action=AssumeRoleWithWebIdentity&Version=2011-06-15".to_owned(), 400, "MissingParameter"),
        ("Action=GetSessionToken&Version=2011-06-15".to_owned(), 400, "InvalidAction"),
        (format!("Action=AssumeRoleWithWebIdentity&WebIdentityToken={}&DurationSeconds=60", alice.token), 400, "ValidationError"),
        (format!("Action=AssumeRoleWithWebIdentity&WebIdentityToken={}&DurationSeconds=86400", alice.token), 400, "ValidationError"),
    ] {
        let resp = assume_role_raw(&app, &form).await;
        assert_eq!((resp.status, element(&resp.text(), "Code").as_str()), (status, code), "{form}");
    }
    assert_eq!(snapshot(&app).await, before, "no credentials were issued");

    // A disabled user's token buys nothing.
    let root = (&app.root.access_key_id, &app.root.secret_access_key);
    Signed::new(&app, "POST", "/_depot/admin/users/alice/disable").sign(root.0, root.1, None).send().await;
    let disabled = assume_role_raw(&app, &call(&alice.token)).await;
    assert_eq!((disabled.status, element(&disabled.text(), "Code").as_str()), (403, "AccessDenied"));
    app.shutdown().await;
}
