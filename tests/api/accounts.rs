//! Accounts, login tokens, access keys, and root administration (JSON API and the
//! `depot admin` command).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::Parser;
use depot::auth::jwt::JwtKeys;
use serde_json::json;

use crate::common::TestApp;
use crate::identity::{api, create_key, login, register, snapshot, user, Signed, PASSWORD};

/// The server's JWT signing secret, from the data dir.
pub fn server_jwt_keys(app: &TestApp) -> JwtKeys {
    let hex_secret = std::fs::read_to_string(app.data_dir.path().join("jwt-secret")).expect("jwt-secret in the data dir");
    JwtKeys::new(&hex::decode(hex_secret.trim()).unwrap(), 3600)
}

/// Tokens that must be refused: (what, token).
pub fn bad_tokens(app: &TestApp, valid: &str, user_id: &str) -> Vec<(&'static str, String)> {
    let parts: Vec<&str> = valid.split('.').collect();
    let forged_payload =
        URL_SAFE_NO_PAD.encode(json!({"sub": user_id, "name": "mallory", "iss": "depot", "iat": 0, "exp": 4_000_000_000i64, "jti": "x"}).to_string());
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let mut flipped_signature = parts[2].to_owned();
    let last = flipped_signature.pop().unwrap();
    flipped_signature.push(if last == 'A' { 'B' } else { 'A' });
    let now = chrono::Utc::now();
    let (expired, _) = server_jwt_keys(app).issue(user_id, "x", now - chrono::Duration::hours(3)).unwrap();
    let (foreign, _) = JwtKeys::new(b"a different secret, thirty-two bytes or more", 3600).issue(user_id, "x", now).unwrap();
    vec![
        ("tampered payload", format!("{}.{forged_payload}.{}", parts[0], parts[2])),
        ("tampered signature", format!("{}.{}.{flipped_signature}", parts[0], parts[1])),
        ("alg none", format!("{none_header}.{forged_payload}.")),
        ("alg none, signature kept", format!("{none_header}.{}.{}", parts[1], parts[2])),
        ("expired", expired),
        ("other secret", foreign),
        ("garbage", "not-a-jwt".to_owned()),
    ]
}

#[tokio::test]
async fn register_login_and_me_follow_the_rules() {
    // More attempts than the default login limit allows.
    let app = TestApp::start_with(|c| c.login_rate_limit = "1000/minute".parse().unwrap()).await;
    let created = register(&app, "alice", PASSWORD).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["username"], "alice");
    let alice_id = created.body["id"].as_str().unwrap().to_owned();

    for (username, password, status, code) in [
        ("alice", PASSWORD, 409, "UsernameTaken"),
        ("Al", PASSWORD, 400, "InvalidUsername"),
        ("Alice", PASSWORD, 400, "InvalidUsername"),
        ("bob smith", PASSWORD, 400, "InvalidUsername"),
        ("root", PASSWORD, 400, "InvalidUsername"),
        ("anonymous", PASSWORD, 400, "InvalidUsername"),
        ("bobby", "short", 400, "InvalidPassword"),
    ] {
        let resp = register(&app, username, password).await;
        assert_eq!((resp.status, resp.error_code()), (status, code), "{username}: {:?}", resp.body);
        assert!(resp.body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let malformed = api(&app, "POST", "/_depot/auth/register", None, Some(json!({"username": "carol"}))).await;
    assert_eq!((malformed.status, malformed.error_code()), (400, "MalformedJSON"));
    let not_json = app.raw("POST", "/_depot/auth/register").body("{oops").send().await;
    assert_eq!(not_json.status, 400);
    let huge = app.raw("POST", "/_depot/auth/register").body(vec![b' '; 100 * 1024]).send().await;
    assert_eq!(huge.status, 413, "bodies are bounded");

    for (username, password) in [("alice", "wrong password"), ("nobody", PASSWORD), ("root", PASSWORD)] {
        let resp = login(&app, username, password).await;
        assert_eq!((resp.status, resp.error_code()), (401, "InvalidCredentials"), "{username}");
    }
    let logged_in = login(&app, "alice", PASSWORD).await;
    assert_eq!(logged_in.status, 200);
    let token = logged_in.body["token"].as_str().unwrap();
    let expires_at = chrono::DateTime::parse_from_rfc3339(logged_in.body["expires_at"].as_str().unwrap()).unwrap();
    let ttl = expires_at.with_timezone(&chrono::Utc) - chrono::Utc::now();
    assert!(ttl > chrono::Duration::minutes(50) && ttl <= chrono::Duration::minutes(61), "{ttl}");

    let me = api(&app, "GET", "/_depot/auth/me", Some(token), None).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["id"], alice_id.as_str());
    assert_eq!(me.body["username"], "alice");
    assert_eq!(me.body["is_root"], false);
    let anonymous = api(&app, "GET", "/_depot/auth/me", None, None).await;
    assert_eq!((anonymous.status, anonymous.error_code()), (401, "Unauthorized"));
    let wrong_method = api(&app, "GET", "/_depot/auth/login", None, None).await;
    assert_eq!(wrong_method.status, 405);
    assert_eq!(api(&app, "GET", "/_depot/auth/nothing", None, None).await.status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn tampered_unsigned_expired_and_foreign_tokens_get_401() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let before = snapshot(&app).await;
    for (what, token) in bad_tokens(&app, &alice.token, &bob.id) {
        for (method, path) in [("GET", "/_depot/auth/me"), ("GET", "/_depot/auth/keys"), ("POST", "/_depot/auth/keys")] {
            let resp = api(&app, method, path, Some(&token), None).await;
            assert_eq!(resp.status, 401, "{what} on {method} {path}: {:?}", resp.body);
            let expected = if what == "expired" { "ExpiredToken" } else { "InvalidToken" };
            assert_eq!(resp.error_code(), expected, "{what}");
        }
    }
    // Nothing was created or changed with the refused tokens.
    assert_eq!(snapshot(&app).await, before);
    let keys = api(&app, "GET", "/_depot/auth/keys", Some(&bob.token), None).await;
    assert_eq!(keys.body["keys"].as_array().unwrap().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn access_keys_are_created_listed_and_revoked_at_once() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let (second, second_secret) = create_key(&app, &alice.token).await;
    let listed = api(&app, "GET", "/_depot/auth/keys", Some(&alice.token), None).await;
    let keys = listed.body["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys.iter().all(|k| k.get("secret_access_key").is_none() && k["access_key_id"].is_string()));
    assert!(!listed.body.to_string().contains(&alice.secret), "a secret is never shown again");

    alice.client.list_buckets().send().await.expect("first key works");
    let second_client = app.client_for(&second, &second_secret, None);
    second_client.list_buckets().send().await.expect("second key works");

    // Bob cannot revoke Alice's key.
    let foreign = api(&app, "DELETE", &format!("/_depot/auth/keys/{second}"), Some(&bob.token), None).await;
    assert_eq!(foreign.status, 404);
    second_client.list_buckets().send().await.expect("still works");

    let revoked = api(&app, "DELETE", &format!("/_depot/auth/keys/{second}"), Some(&alice.token), None).await;
    assert_eq!(revoked.status, 204);
    let err = second_client.list_buckets().send().await.expect_err("revoked key refused at once");
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidAccessKeyId"));
    alice.client.list_buckets().send().await.expect("the other key still works");
    assert_eq!(api(&app, "DELETE", &format!("/_depot/auth/keys/{second}"), Some(&alice.token), None).await.status, 404);
    let listed = api(&app, "GET", "/_depot/auth/keys", Some(&alice.token), None).await;
    assert_eq!(listed.body["keys"].as_array().unwrap().len(), 1);
    assert_eq!(api(&app, "POST", "/_depot/auth/keys", None, None).await.status, 401);
    app.shutdown().await;
}

#[tokio::test]
async fn keys_me_and_admin_take_a_signed_header_but_not_presigned_urls_or_temporary_credentials() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let keys_of = |body: &[u8]| serde_json::from_slice::<serde_json::Value>(body).unwrap()["keys"].as_array().unwrap().len();
    // A long-term key signing the Authorization header (what the console does).
    let me = Signed::new(&app, "GET", "/_depot/auth/me").sign(&alice.access_key, &alice.secret, None).send().await;
    assert_eq!(me.status, 200, "{}", me.text());
    let listed = Signed::new(&app, "GET", "/_depot/auth/keys").sign(&alice.access_key, &alice.secret, None).send().await;
    assert_eq!((listed.status, keys_of(&listed.body)), (200, 1));
    // Temporary credentials could otherwise mint a permanent key.
    let session = crate::identity::assume_role(&app, &alice.token).await;
    let before = snapshot(&app).await;
    let minted = Signed::new(&app, "POST", "/_depot/auth/keys").sign(&session.access_key, &session.secret, Some(&session.token)).send().await;
    assert_eq!(minted.status, 403, "{}", minted.text());
    assert!(minted.text().contains("temporary credentials"), "{}", minted.text());
    // A presigned URL works for whoever holds it: not enough for keys, me or admin.
    let expires = std::time::Duration::from_secs(300);
    for (method, path) in [("POST", "/_depot/auth/keys"), ("GET", "/_depot/auth/keys"), ("GET", "/_depot/auth/me")] {
        let presigned = Signed::new(&app, method, path).presign(&alice.access_key, &alice.secret, None, expires, std::time::SystemTime::now()).send().await;
        assert_eq!(presigned.status, 403, "{method} {path}: {}", presigned.text());
    }
    let root = (&app.root.access_key_id, &app.root.secret_access_key);
    let presigned_admin =
        Signed::new(&app, "POST", "/_depot/admin/users/alice/disable").presign(root.0, root.1, None, expires, std::time::SystemTime::now()).send().await;
    assert_eq!(presigned_admin.status, 403);
    alice.client.list_buckets().send().await.expect("alice was not disabled");
    // Nothing was created or changed by the refused requests.
    assert_eq!(snapshot(&app).await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn root_administers_users_and_sees_all_buckets() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    alice.client.create_bucket().bucket("alice-data").send().await.unwrap();
    bob.client.create_bucket().bucket("bob-data").send().await.unwrap();
    let root = (&app.root.access_key_id, &app.root.secret_access_key);
    let admin = |method: &str, path: &str| Signed::new(&app, method, path);

    let users = admin("GET", "/_depot/admin/users").sign(root.0, root.1, None).send().await;
    assert_eq!(users.status, 200, "{}", users.text());
    let body: serde_json::Value = serde_json::from_slice(&users.body).unwrap();
    let names: Vec<&str> = body["users"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["alice", "bob", "root"]);

    // Only root.
    let as_alice = admin("GET", "/_depot/admin/users").sign(&alice.access_key, &alice.secret, None).send().await;
    assert_eq!(as_alice.status, 403);
    assert_eq!(api(&app, "GET", "/_depot/admin/users", Some(&alice.token), None).await.status, 403);
    // Without credentials, or with forged ones, the caller is not authenticated: 401.
    assert_eq!(api(&app, "GET", "/_depot/admin/users", None, None).await.status, 401);
    let forged = admin("GET", "/_depot/admin/users").sign(root.0, "not the root secret", None).send().await;
    assert_eq!(forged.status, 401);
    assert_eq!(api(&app, "POST", "/_depot/admin/users/bob/disable", Some(&alice.token), None).await.status, 403);
    bob.client.list_buckets().send().await.expect("bob still enabled");

    let buckets = admin("GET", "/_depot/admin/buckets").sign(root.0, root.1, None).send().await;
    let body: serde_json::Value = serde_json::from_slice(&buckets.body).unwrap();
    let owners: Vec<(&str, &str)> = body["buckets"].as_array().unwrap().iter().map(|b| (b["name"].as_str().unwrap(), b["owner"].as_str().unwrap())).collect();
    assert_eq!(owners, [("alice-data", "alice"), ("bob-data", "bob")]);
    let all = app.client.list_buckets().send().await.unwrap();
    assert_eq!(all.buckets().len(), 2, "root lists every bucket");

    let disabled = admin("POST", "/_depot/admin/users/bob/disable").sign(root.0, root.1, None).send().await;
    assert_eq!(disabled.status, 200, "{}", disabled.text());
    let err = bob.client.list_buckets().send().await.expect_err("disabled user's key refused at once");
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidAccessKeyId"));
    assert_eq!(login(&app, "bob", PASSWORD).await.error_code(), "AccountDisabled");
    assert_eq!(api(&app, "GET", "/_depot/auth/me", Some(&bob.token), None).await.status, 403);
    alice.client.list_buckets().send().await.expect("others unaffected");

    let enabled = admin("POST", "/_depot/admin/users/bob/enable").sign(root.0, root.1, None).send().await;
    assert_eq!(enabled.status, 200);
    bob.client.list_buckets().send().await.expect("enabled again");
    assert_eq!(admin("POST", "/_depot/admin/users/root/disable").sign(root.0, root.1, None).send().await.status, 400);
    assert_eq!(admin("POST", "/_depot/admin/users/nobody/disable").sign(root.0, root.1, None).send().await.status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn admin_command_works_through_the_server_and_on_the_catalog() {
    let app = TestApp::start().await;
    let bob = user(&app, "bob").await;
    let endpoint = app.endpoint.clone();
    let data_dir = app.data_dir.path().display().to_string();
    let database_url = app.state().config.database_url.as_ref().map(|s| s.expose().to_owned());
    let run = |args: Vec<String>| {
        let mut cli = depot::cli::Cli::try_parse_from(args).expect("arguments parse");
        cli.serve.database_url = database_url.clone().map(depot::config::Secret::new);
        cli.serve.root_access_key = Some(app.root.access_key_id.clone());
        cli.serve.root_secret_key = Some(depot::config::Secret::new(app.root.secret_access_key.clone()));
        let Some(depot::cli::Command::Admin(admin)) = cli.command else { panic!("not an admin command") };
        async move { depot::cli::admin::run(admin, &cli.serve).await }
    };
    let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();

    run(args(&["depot", "admin", "--endpoint", &endpoint, "users", "disable", "bob"])).await.expect("disable through the server");
    assert!(bob.client.list_buckets().send().await.is_err());
    run(args(&["depot", "admin", "--data-dir", &data_dir, "users", "enable", "bob"])).await.expect("enable on the catalog");
    bob.client.list_buckets().send().await.expect("enabled");
    run(args(&["depot", "admin", "--data-dir", &data_dir, "users", "list", "--json"])).await.expect("list on the catalog");
    run(args(&["depot", "admin", "--endpoint", &endpoint, "buckets", "list"])).await.expect("buckets through the server");
    let unknown = run(args(&["depot", "admin", "--endpoint", &endpoint, "users", "disable", "nobody"])).await;
    assert!(unknown.unwrap_err().to_string().contains("404"));
    app.shutdown().await;
}
