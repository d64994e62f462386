//! The logs an operator ships: with `DEPOT_LOG_FORMAT=json` every line the real binary
//! writes is one JSON object, each request ends in one line carrying its id, operation,
//! bucket, key, principal, status and error code, and no credential of any kind ever
//! appears in them — a session that used the root key (SigV4 headers), a presigned URL,
//! a SigV2 request, a password login with its token, a user's access key, temporary
//! credentials with their session token, and a signed browser POST, logged at `debug`.
//! A SIGHUP (with nothing to reload: no TLS) leaves the server running.

use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::harness::{sdk_client_as, Depot, ACCESS_KEY, REGION, SECRET_KEY};

const PASSWORD: &str = "a long and secret passphrase 93";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_logs_carry_each_request_and_never_a_credential() {
    let _serial = crate::harness::one_at_a_time().await;
    let data_dir = tempfile::tempdir().expect("data dir");
    let mut depot = Depot::start(data_dir.path(), &[("DEPOT_LOG_FORMAT", "json"), ("DEPOT_LOG_LEVEL", "debug")]).await;
    let http = reqwest::Client::builder().no_proxy().build().expect("http client");
    let url = |path: &str| format!("{}{path}", depot.endpoint);
    let mut secrets = vec![SECRET_KEY.to_owned(), PASSWORD.to_owned()];

    // Root, SigV4 headers: a bucket, an object, a missing key.
    depot.client.create_bucket().bucket("logged").send().await.expect("create bucket");
    depot.client.put_object().bucket("logged").key("dir/a.txt").body(b"hello".to_vec().into()).send().await.expect("put");
    assert!(depot.client.get_object().bucket("logged").key("missing").send().await.is_err());

    // A presigned URL, and a SigV2 query-string request.
    let presigned =
        depot.client.get_object().bucket("logged").key("dir/a.txt").presigned(PresigningConfig::expires_in(Duration::from_secs(300)).unwrap()).await.unwrap();
    let signature = presigned.uri().split("X-Amz-Signature=").nth(1).unwrap_or_default().to_owned();
    secrets.push(signature);
    assert_eq!(http.get(presigned.uri()).send().await.unwrap().status(), 200);
    let expires = (chrono::Utc::now().timestamp() + 300).to_string();
    let v2 = base64::engine::general_purpose::STANDARD.encode(hmac_sha1(SECRET_KEY.as_bytes(), format!("GET\n\n\n{expires}\n/logged/dir/a.txt").as_bytes()));
    secrets.push(v2.clone());
    let query = format!("AWSAccessKeyId={ACCESS_KEY}&Expires={expires}&Signature={}", urlencode(&v2));
    assert_eq!(http.get(url(&format!("/logged/dir/a.txt?{query}"))).send().await.unwrap().status(), 200);

    // A user: password, login token, access key, temporary credentials.
    let register = serde_json::json!({ "username": "carol", "password": PASSWORD }).to_string();
    let post_json = |path: &str| http.post(url(path)).header("content-type", "application/json").body(register.clone());
    assert_eq!(post_json("/_depot/auth/register").send().await.unwrap().status(), 201);
    let login: Value = serde_json::from_str(&post_json("/_depot/auth/login").send().await.unwrap().text().await.unwrap()).expect("login answer");
    let token = login["token"].as_str().expect("login token").to_owned();
    secrets.push(token.clone());
    let key: Value =
        serde_json::from_str(&http.post(url("/_depot/auth/keys")).bearer_auth(&token).send().await.unwrap().text().await.unwrap()).expect("key answer");
    let (carol_key, carol_secret) = (key["access_key_id"].as_str().unwrap().to_owned(), key["secret_access_key"].as_str().unwrap().to_owned());
    secrets.push(carol_secret.clone());
    let carol = sdk_client_as(&depot.endpoint, &carol_key, &carol_secret, None);
    carol.create_bucket().bucket("carols").send().await.expect("carol's bucket");
    let sts = [("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("WebIdentityToken", token.as_str()), ("RoleSessionName", "logs")];
    let sts_form: Vec<String> = sts.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
    let answer =
        http.post(url("/")).header("content-type", "application/x-www-form-urlencoded").body(sts_form.join("&")).send().await.unwrap().text().await.unwrap();
    let element = |name: &str| answer.split(&format!("<{name}>")).nth(1).and_then(|s| s.split(&format!("</{name}>")).next()).map(str::to_owned).expect(name);
    let (session_key, session_secret, session_token) = (element("AccessKeyId"), element("SecretAccessKey"), element("SessionToken"));
    secrets.extend([session_secret.clone(), session_token.clone()]);
    let session = sdk_client_as(&depot.endpoint, &session_key, &session_secret, Some(&session_token));
    session.put_object().bucket("carols").key("from-session").body(b"temporary".to_vec().into()).send().await.expect("put with a session");

    // A browser POST signed with the root key.
    let date = chrono::Utc::now();
    let credential = format!("{ACCESS_KEY}/{}/{REGION}/s3/aws4_request", date.format("%Y%m%d"));
    let amz_date = date.format("%Y%m%dT%H%M%SZ").to_string();
    let policy = serde_json::json!({
        "expiration": (date + chrono::Duration::minutes(10)).format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "conditions": [{"bucket": "logged"}, {"key": "posted"}, {"x-amz-algorithm": "AWS4-HMAC-SHA256"}, {"x-amz-credential": credential}, {"x-amz-date": amz_date}],
    });
    let policy = base64::engine::general_purpose::STANDARD.encode(policy.to_string());
    let mut signing_key = hmac_sha256(format!("AWS4{SECRET_KEY}").as_bytes(), date.format("%Y%m%d").to_string().as_bytes());
    for part in [REGION, "s3", "aws4_request"] {
        signing_key = hmac_sha256(&signing_key, part.as_bytes());
    }
    let post_signature = hex::encode(hmac_sha256(&signing_key, policy.as_bytes()));
    secrets.push(post_signature.clone());
    let fields = [
        ("key", "posted"),
        ("x-amz-algorithm", "AWS4-HMAC-SHA256"),
        ("x-amz-credential", credential.as_str()),
        ("x-amz-date", amz_date.as_str()),
        ("policy", policy.as_str()),
        ("x-amz-signature", post_signature.as_str()),
    ];
    let mut body = String::new();
    for (name, value) in fields {
        body.push_str(&format!("--B\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"));
    }
    body.push_str("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.txt\"\r\n\r\nposted bytes\r\n--B--\r\n");
    let posted = http.post(url("/logged")).header("content-type", "multipart/form-data; boundary=B").body(body).send().await.unwrap();
    assert_eq!(posted.status(), 204);

    // SIGHUP (a service manager's reload) does not stop a server without TLS: it says
    // there is nothing to reload and goes on answering.
    depot.signal("HUP");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !depot.log_lines().iter().any(|l| l.contains("SIGHUP: nothing to reload")) {
        assert!(std::time::Instant::now() < deadline, "no SIGHUP line in the log:\n{}", depot.log_tail(20));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(depot.health().await.0, 200, "the server still answers after SIGHUP");

    depot.terminate();
    let lines = depot.log_lines();
    let mut done = Vec::new();
    for line in lines.iter().filter(|l| !l.trim().is_empty()) {
        for secret in &secrets {
            assert!(!line.contains(secret.as_str()), "a credential is in the log: {line}");
        }
        // The harness's own markers are not the server's lines; everything else is JSON,
        // the start-up lines included.
        if line.starts_with("=====") {
            continue;
        }
        let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        assert!(entry["timestamp"].is_string() && entry["level"].is_string(), "{line}");
        if entry["message"] == "done" {
            done.push(entry);
        }
    }
    let started = lines.iter().filter_map(|l| serde_json::from_str::<Value>(l).ok()).find(|e| e["message"] == "Depot listening").expect("the start-up line");
    assert!(started["listening"].as_str().is_some_and(|url| url.starts_with("http://127.0.0.1:")), "{started}");
    let span = |e: &Value, field: &str| e["span"][field].clone();
    let find = |operation: &str, status: u64| {
        done.iter()
            .find(|e| span(e, "operation") == operation && span(e, "status") == status)
            .unwrap_or_else(|| panic!("no {operation} {status} line in {done:#?}"))
    };
    let put = find("PutObject", 200);
    assert_eq!((span(put, "bucket"), span(put, "key")), (Value::from("logged"), Value::from("dir/a.txt")));
    assert!(span(put, "request_id").as_str().is_some_and(|id| id.len() == 16));
    assert!(span(put, "principal").is_string());
    assert_eq!(put["bytes_in"], 5);
    assert!(put["elapsed_ms"].is_number());
    let missing = find("GetObject", 404);
    assert_eq!(span(missing, "error_code"), "NoSuchKey");
    assert_eq!(span(find("PostObject", 204), "key"), Value::Null, "the POST names its key in the form, not the URL");
    let read = done.iter().find(|e| span(e, "operation") == "GetObject" && span(e, "status") == 200).expect("a GetObject 200");
    assert_eq!(read["bytes_out"], 5);
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}
