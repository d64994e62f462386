//! TLS: with `--tls-cert`/`--tls-key` the server speaks HTTPS only (a CA made in the
//! test signs its certificate), a bucket policy's `aws:SecureTransport` sees the real
//! transport, a new certificate written over the files is picked up without a restart
//! while a download started before it runs to its end, and files that are not a
//! certificate and key stop the server from starting with a message naming the file.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::time::{Duration, Instant};

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair, SanType};

use crate::common::TestApp;

/// A CA, and a server certificate for 127.0.0.1 and localhost it signed: (CA PEM,
/// certificate PEM, key PEM).
fn certificates() -> (String, String, String) {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_key = KeyPair::generate().unwrap();
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.subject_alt_names.push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let key = KeyPair::generate().unwrap();
    let cert = params.signed_by(&key, &ca, &ca_key).unwrap();
    (ca.pem(), cert.pem(), key.serialize_pem())
}

/// Writes a certificate and key where the server reads them, each in one rename so the
/// server never reads half a file.
fn install(dir: &Path, cert: &str, key: &str) {
    for (name, text) in [("server.key", key), ("server.crt", cert)] {
        let temp = dir.join(format!("{name}.tmp"));
        std::fs::write(&temp, text).unwrap();
        std::fs::rename(&temp, dir.join(name)).unwrap();
    }
}

async fn tls_app(dir: &Path) -> TestApp {
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    TestApp::start_with(move |c| {
        c.tls_cert = Some(cert);
        c.tls_key = Some(key);
    })
    .await
}

#[tokio::test]
async fn https_serves_s3_and_the_policy_sees_a_secure_transport() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates();
    install(dir.path(), &cert, &key);
    let app = tls_app(dir.path()).await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());

    assert_eq!(app.raw("PUT", "/secure").sign(&ak, &sk).send_tls(&ca).await.status, 200);
    let put = app.raw("PUT", "/secure/doc.txt").body("over TLS").sign(&ak, &sk).send_tls(&ca).await;
    assert_eq!(put.status, 200, "{}", put.text());
    let got = app.raw("GET", "/secure/doc.txt").sign(&ak, &sk).send_tls(&ca).await;
    assert_eq!((got.status, got.text().as_str()), (200, "over TLS"));

    // Anyone may read, but only over TLS: the anonymous HTTPS read passes the condition.
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::secure/*","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    assert_eq!(app.raw("PUT", "/secure?policy").body(policy).sign(&ak, &sk).send_tls(&ca).await.status, 204);
    let anonymous = app.raw("GET", "/secure/doc.txt").send_tls(&ca).await;
    assert_eq!((anonymous.status, anonymous.text().as_str()), (200, "over TLS"));

    // Plain HTTP gets no answer on the TLS port.
    let plain = reqwest::Client::builder().no_proxy().build().unwrap().get(format!("http://{}/secure/doc.txt", app.addr)).send().await;
    assert!(plain.is_err(), "plain HTTP must get no HTTP answer: {plain:?}");
    // A client that does not trust the CA refuses the server.
    let (other_ca, _, _) = certificates();
    let untrusted = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(other_ca.as_bytes()).unwrap())
        .build()
        .unwrap()
        .get(format!("https://{}/secure/doc.txt", app.addr))
        .send()
        .await;
    assert!(untrusted.is_err(), "a certificate from another CA is refused");
    app.shutdown().await;
}

#[tokio::test]
async fn a_new_certificate_is_picked_up_while_a_download_runs() {
    let dir = tempfile::tempdir().unwrap();
    let (old_ca, cert, key) = certificates();
    install(dir.path(), &cert, &key);
    let app = tls_app(dir.path()).await;
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    assert_eq!(app.raw("PUT", "/big").sign(&ak, &sk).send_tls(&old_ca).await.status, 200);
    let data: Vec<u8> = (0..24 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(app.raw("PUT", "/big/blob").body(data.clone()).sign(&ak, &sk).send_tls(&old_ca).await.status, 200);

    // A download that reads slowly, started with the old certificate.
    let client = reqwest::Client::builder()
        .no_proxy()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(old_ca.as_bytes()).unwrap())
        .build()
        .unwrap();
    let url = format!("https://{}/big/blob", app.addr);
    let signed = app.raw("GET", "/big/blob").sign(&ak, &sk);
    let mut request = client.get(&url);
    for name in ["authorization", "x-amz-date", "x-amz-content-sha256"] {
        if let Some(value) = signed.header_value(name) {
            request = request.header(name, value);
        }
    }
    let mut download = request.send().await.expect("the download starts");
    assert_eq!(download.status(), 200);
    let mut received = Vec::new();
    while received.len() < 1024 * 1024 {
        received.extend_from_slice(&download.chunk().await.unwrap().expect("more body"));
    }

    let (new_ca, new_cert, new_key) = certificates();
    install(dir.path(), &new_cert, &new_key);
    let started = Instant::now();
    loop {
        if app.raw("GET", "/big/blob?x-check=new").sign(&ak, &sk).send_tls_result(&new_ca).await.is_ok() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "the new certificate was not picked up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(app.raw("GET", "/big/blob").sign(&ak, &sk).send_tls_result(&old_ca).await.is_err(), "new connections get the new certificate");
    while let Some(chunk) = download.chunk().await.expect("the download goes on after the reload") {
        received.extend_from_slice(&chunk);
    }
    assert!(received == data, "the download is complete and exact ({} of {} bytes)", received.len(), data.len());
    app.shutdown().await;
}

#[tokio::test]
async fn files_that_are_not_a_certificate_and_key_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let (_, cert, _) = certificates();
    std::fs::write(dir.path().join("server.crt"), &cert).unwrap();
    std::fs::write(dir.path().join("server.key"), "not a key").unwrap();
    let mut config = depot::config::ServeConfig::with_data_dir(dir.path().join("data"));
    config.addr = "127.0.0.1:0".parse().unwrap();
    config.tls_cert = Some(dir.path().join("server.crt"));
    config.tls_key = Some(dir.path().join("server.key"));
    let failed = depot::server::start(config, None).await.err().expect("the server refuses to start");
    assert!(failed.to_string().contains("server.key"), "{failed}");
}

/// `depot admin --endpoint https://…` checks the server's certificate against the CA
/// bundle it is given, and refuses a server its trusted roots do not vouch for.
#[tokio::test]
async fn depot_admin_speaks_https_and_checks_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates();
    install(dir.path(), &cert, &key);
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &ca).unwrap();
    let (other_ca, _, _) = certificates();
    let other_ca_file = dir.path().join("other-ca.pem");
    std::fs::write(&other_ca_file, &other_ca).unwrap();
    let app = tls_app(dir.path()).await;
    let admin = |endpoint: String, ca_bundle: Option<&Path>, args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_depot"));
        command
            .arg("admin")
            .arg("--endpoint")
            .arg(endpoint)
            .args(args)
            .env("DEPOT_ROOT_ACCESS_KEY", &app.root.access_key_id)
            .env("DEPOT_ROOT_SECRET_KEY", &app.root.secret_access_key)
            .env_remove("DEPOT_CA_BUNDLE")
            .env("SSL_CERT_FILE", dir.path().join("no-such-bundle.pem"))
            .env("SSL_CERT_DIR", dir.path().join("no-such-dir"));
        if let Some(bundle) = ca_bundle {
            command.arg("--ca-bundle").arg(bundle);
        }
        // On a blocking thread: the server answers on this test's runtime.
        async move {
            let out = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
        }
    };
    let https = format!("https://{}", app.addr);
    let (ok, out, err) = admin(https.clone(), Some(&ca_file), &["users", "list", "--json"]).await;
    assert!(ok, "{out} {err}");
    let users: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(users["users"][0]["username"], "root", "{users}");
    let (ok, out, err) = admin(https.clone(), Some(&ca_file), &["gc", "pause", "--for-secs", "30"]).await;
    assert!(ok && out.starts_with("blob collection is paused until "), "{out} {err}");
    let (ok, out, err) = admin(https.clone(), Some(&ca_file), &["gc", "resume"]).await;
    assert!(ok && out == "blob collection runs\n", "{out} {err}");

    // A certificate from a CA it was not told to trust: refused, nothing sent.
    let (ok, _, err) = admin(https.clone(), Some(&other_ca_file), &["gc", "pause"]).await;
    assert!(!ok && err.contains("TLS") && err.contains("certificate"), "{err}");
    let (ok, _, err) = admin(https.clone(), None, &["gc", "pause"]).await;
    assert!(!ok && err.contains("TLS"), "no system root vouches for the test CA: {err}");
    let (ok, _, err) = admin(https, Some(&dir.path().join("server.key")), &["gc", "pause"]).await;
    assert!(!ok && err.contains("holds no certificate"), "{err}");
    let (ok, _, err) = admin(format!("ftp://{}", app.addr), Some(&ca_file), &["gc", "status"]).await;
    assert!(!ok && err.contains("http:// or https://"), "{err}");
    let status = app.raw("GET", "/_depot/admin/gc").sign(&app.root.access_key_id, &app.root.secret_access_key).send_tls(&ca).await;
    assert_eq!((status.status, status.text()), (200, r#"{"paused_until":null}"#.to_owned()), "the refused pauses never arrived");
    app.shutdown().await;
}
