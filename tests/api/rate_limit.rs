//! Rate limits: S3 requests over the limit get 503 SlowDown with Retry-After, per access
//! key (anonymous: per client IP); JSON requests get 429; login and registration have
//! their own stricter per-IP limit. Failed and anonymous requests spend their IP's
//! budget, which is checked before any catalog lookup or signature check.

use depot::config::RateLimitSetting;

use crate::common::TestApp;
use crate::identity::{api, login, register, user, Signed, PASSWORD};

#[tokio::test]
async fn requests_over_the_limit_slow_down_per_key_and_per_ip() {
    let app = TestApp::start_with(|c| {
        c.rate_limit = RateLimitSetting(Some("5/minute".parse().unwrap()));
        c.rate_burst = Some(5);
    })
    .await;
    let bob = user(&app, "bob").await; // three JSON requests
    let root = (&app.root.access_key_id, &app.root.secret_access_key);
    for i in 0..5 {
        let resp = Signed::new(&app, "GET", "/").sign(root.0, root.1, None).send().await;
        assert_eq!(resp.status, 200, "request {i} within the burst");
    }
    let limited = Signed::new(&app, "GET", "/").sign(root.0, root.1, None).send().await;
    assert_eq!(limited.status, 503);
    assert_eq!(limited.error_code().as_deref(), Some("SlowDown"));
    let retry_after: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=12).contains(&retry_after), "{retry_after}");

    // Another key has its own bucket.
    let resp = Signed::new(&app, "GET", "/").sign(&bob.access_key, &bob.secret, None).send().await;
    assert_eq!(resp.status, 200, "bob is not limited by root's traffic");

    // Anonymous requests share the client IP's bucket.
    for _ in 0..5 {
        assert_eq!(app.raw("GET", "/").send().await.status, 403);
    }
    let anonymous = app.raw("GET", "/").send().await;
    assert_eq!((anonymous.status, anonymous.error_code().as_deref()), (503, Some("SlowDown")));

    // JSON: two more fit the burst, then 429 with a JSON error; health is never limited.
    for _ in 0..2 {
        assert_eq!(api(&app, "GET", "/_depot/auth/me", Some(&bob.token), None).await.status, 200);
    }
    let json_limited = api(&app, "GET", "/_depot/auth/me", Some(&bob.token), None).await;
    assert_eq!((json_limited.status, json_limited.error_code()), (429, "TooManyRequests"));
    assert!(json_limited.headers.get("retry-after").is_some());
    assert_eq!(app.raw("GET", "/_depot/health").send().await.status, 200);
    app.shutdown().await;
}

/// A flood of bad signatures from one IP is refused before anything costly runs: once
/// the IP's budget is spent, even an unknown access key (which would need a catalog
/// lookup to be told apart) and a forged signature get SlowDown, not
/// InvalidAccessKeyId or SignatureDoesNotMatch.
#[tokio::test]
async fn failed_signatures_spend_the_ip_budget_before_any_lookup() {
    let app = TestApp::start_with(|c| {
        c.rate_limit = RateLimitSetting(Some("3/minute".parse().unwrap()));
        c.rate_burst = Some(3);
    })
    .await;
    let root = (&app.root.access_key_id, &app.root.secret_access_key);
    for i in 0..3 {
        let resp = Signed::new(&app, "GET", "/").sign(root.0, "a forged secret", None).send().await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("SignatureDoesNotMatch")), "attempt {i}");
    }
    let unknown_key = Signed::new(&app, "GET", "/").sign("DPAKNOSUCHKEY0000000", "whatever", None).send().await;
    assert_eq!((unknown_key.status, unknown_key.error_code().as_deref()), (503, Some("SlowDown")));
    let forged = Signed::new(&app, "GET", "/").sign(root.0, "a forged secret", None).send().await;
    assert_eq!((forged.status, forged.error_code().as_deref()), (503, Some("SlowDown")));
    app.shutdown().await;
}

#[tokio::test]
async fn login_attempts_have_their_own_limit() {
    let app = TestApp::start().await;
    assert_eq!(register(&app, "alice", PASSWORD).await.status, 201);
    // The default allows 10 attempts a minute per IP: 1 registration + 9 guesses.
    for i in 0..9 {
        let resp = login(&app, "alice", &format!("guess number {i}")).await;
        assert_eq!(resp.status, 401, "guess {i}");
    }
    let limited = login(&app, "alice", PASSWORD).await;
    assert_eq!((limited.status, limited.error_code()), (429, "TooManyRequests"), "even the right password waits");
    assert!(limited.headers.get("retry-after").is_some());
    assert_eq!(register(&app, "bobby", PASSWORD).await.status, 429);
    // Other requests are not affected (general limiting is off by default).
    let s3 = app.client.list_buckets().send().await;
    assert!(s3.is_ok());
    app.shutdown().await;
}
