//! The pause of blob collection a backup takes: root pauses and resumes it through the
//! admin API (others are refused, bad lengths are 400, a shorter pause never shortens a
//! longer one), while it lasts a deleted object's blob stays on disk, and once resumed
//! the collector frees it. `depot admin gc` does the same directly on the catalog.

use std::time::Duration;

use crate::common::{blob_body, wait_until, TestApp};

async fn admin(app: &TestApp, method: &str, path: &str) -> (u16, serde_json::Value) {
    let (ak, sk) = (app.root.access_key_id.clone(), app.root.secret_access_key.clone());
    let resp = app.raw(method, path).sign(&ak, &sk).send().await;
    (resp.status, serde_json::from_slice(&resp.body).unwrap_or(serde_json::Value::Null))
}

#[tokio::test]
async fn a_pause_keeps_freed_blobs_until_it_is_resumed() {
    let app = TestApp::start().await;
    app.bucket("held").await;
    assert_eq!(admin(&app, "GET", "/_depot/admin/gc").await, (200, serde_json::json!({ "paused_until": null })));

    // The collector runs: a deleted object's blob goes.
    app.put("held", "before", blob_body(b"before")).await;
    assert_eq!(app.blob_files().len(), 1);
    app.client.delete_object().bucket("held").key("before").send().await.unwrap();
    wait_until("the collector frees the blob", || async { app.blob_files().is_empty() }).await;

    // Only root may pause, for 1 s to a week.
    let (user_key, user_secret) = app.create_user("alice").await;
    assert_eq!(app.raw("POST", "/_depot/admin/gc/pause").sign(&user_key, &user_secret).send().await.status, 403);
    assert_eq!(app.raw("POST", "/_depot/admin/gc/pause").send().await.status, 401);
    for bad in ["0", "604801", "soon", "-5"] {
        let (status, body) = admin(&app, "POST", &format!("/_depot/admin/gc/pause?for_secs={bad}")).await;
        assert_eq!((status, body["error"]["code"].as_str()), (400, Some("InvalidArgument")), "for_secs={bad}: {body}");
    }
    assert_eq!(admin(&app, "GET", "/_depot/admin/gc/pause").await.0, 405);
    assert_eq!(admin(&app, "GET", "/_depot/admin/gc").await.1["paused_until"], serde_json::Value::Null, "nothing refused paused it");

    let (status, paused) = admin(&app, "POST", "/_depot/admin/gc/pause?for_secs=600").await;
    assert_eq!(status, 200, "{paused}");
    let until = chrono::DateTime::parse_from_rfc3339(paused["paused_until"].as_str().expect("an RFC 3339 deadline")).unwrap();
    let left = until.signed_duration_since(chrono::Utc::now()).num_seconds();
    assert!((590..=600).contains(&left), "paused for 600 s, {left} s left");
    assert_eq!(admin(&app, "GET", "/_depot/admin/gc").await, (200, paused.clone()));
    // A second, shorter pause (another backup) leaves the longer one in force.
    assert_eq!(admin(&app, "POST", "/_depot/admin/gc/pause?for_secs=5").await, (200, paused.clone()));

    // While paused, a deleted object's blob stays (the collector wakes every 200 ms here).
    app.put("held", "during", blob_body(b"during")).await;
    let held = app.blob_files();
    assert_eq!(held.len(), 1);
    app.client.delete_object().bucket("held").key("during").send().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.blob_files(), held, "nothing is freed while collection is paused");

    // Resumed: it goes.
    assert_eq!(admin(&app, "POST", "/_depot/admin/gc/resume").await, (200, serde_json::json!({ "paused_until": null })));
    wait_until("the collector frees the blob after the pause", || async { app.blob_files().is_empty() }).await;
    app.shutdown().await;
}

#[tokio::test]
async fn depot_admin_gc_pauses_on_the_catalog_directly() {
    let app = TestApp::start().await;
    let run = |args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_depot"));
        command.arg("admin").args(args).arg("--data-dir").arg(app.data_dir.path()).env_remove("DEPOT_DATABASE_URL").env_remove("DEPOT_ENDPOINT");
        if app.is_postgres() {
            command.env("DEPOT_DATABASE_URL", app.database_url());
        }
        // On a blocking thread: the server runs on this test's runtime.
        async move {
            let out = tokio::task::spawn_blocking(move || command.output()).await.unwrap().unwrap();
            (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
        }
    };
    let (ok, out, err) = run(&["gc", "pause", "--for-secs", "120", "--json"]).await;
    assert!(ok, "{out} {err}");
    let printed: serde_json::Value = serde_json::from_str(&out).unwrap();
    // The running server sees the pause the command wrote.
    assert_eq!(admin(&app, "GET", "/_depot/admin/gc").await, (200, printed));
    let (ok, out, _) = run(&["gc", "status"]).await;
    assert!(ok && out.starts_with("blob collection is paused until "), "{out}");
    let (ok, _, err) = run(&["gc", "pause", "--for-secs", "0"]).await;
    assert!(!ok && err.contains("a pause lasts from 1 to 604800 seconds"), "{err}");
    let (ok, out, _) = run(&["gc", "resume"]).await;
    assert!(ok && out == "blob collection runs\n", "{out}");
    assert_eq!(admin(&app, "GET", "/_depot/admin/gc").await.1["paused_until"], serde_json::Value::Null);
    app.shutdown().await;
}
