//! The search and statistics APIs, in embedded mode and through Kafka: finding objects
//! by tag, description and name once the indexer caught up; who sees what; paging and
//! sorting; statistics equal to the catalog's own counts after a mixed workload.

use std::time::Duration;

use aws_sdk_s3::types::{CompletedMultipartUpload, ObjectCannedAcl};
use serde_json::Value;

use crate::common::TestApp;
use crate::events_support::{api_get, api_get_as, app_in, catalog_counts, enable_versioning, eventually, keys, stats_counts, wait_indexed, Mode};

async fn put_described(app: &TestApp, bucket: &str, key: &str, body: &[u8], description: &str, tagging: &str, content_type: &str) {
    app.client
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type(content_type)
        .metadata("description", description)
        .tagging(tagging)
        .body(body.to_vec().into())
        .send()
        .await
        .unwrap();
}

/// Searches until the result has `want` keys (the index is eventually consistent).
async fn search_until(app: &TestApp, query: &str, want: &[&str]) -> Value {
    let path = format!("/_depot/search?{query}");
    eventually(&format!("search {query} to find {want:?}"), Duration::from_secs(60), || async {
        let (status, body) = api_get(app, &path).await;
        assert_eq!(status, 200, "{body}");
        (keys(&body) == want).then_some(body)
    })
    .await
}

async fn search_finds_by_tag_description_and_name(mode: Mode) {
    let (app, broker) = app_in(mode).await;
    app.bucket("photos").await;
    app.bucket("docs").await;
    put_described(&app, "photos", "2024/Beach-Sunset.JPG", b"jpeg bytes", "Sunset at the beach", "trip=spain&year=2024", "image/jpeg").await;
    put_described(&app, "photos", "2024/mountain.png", b"png", "Snowy mountain", "trip=alps&year=2024", "image/png").await;
    put_described(&app, "docs", "reports/q1.pdf", &[b'p'; 300], "Quarterly report, beach resort budget", "team=finance&year=2024", "application/pdf").await;
    app.put("docs", "notes.txt", b"no metadata".to_vec()).await;

    let by_tag = search_until(&app, "tag=trip%3Dspain", &["2024/Beach-Sunset.JPG"]).await;
    let hit = &by_tag["results"][0];
    assert_eq!(hit["bucket"], "photos");
    assert_eq!(hit["size"], 10);
    assert_eq!(hit["content_type"], "image/jpeg");
    assert_eq!(hit["description"], "Sunset at the beach");
    assert_eq!(hit["tags"]["trip"], "spain");
    assert_eq!(hit["etag"].as_str().map(str::len), Some(32));
    assert_eq!(hit["version_id"], Value::Null);
    assert!(hit["last_modified"].as_str().unwrap().ends_with('Z'));
    assert_eq!(by_tag["next_cursor"], Value::Null);

    search_until(&app, "tag=year%3D2024&tag=trip%3Dalps", &["2024/mountain.png"]).await;
    search_until(&app, "tag=year=2024", &["2024/Beach-Sunset.JPG", "2024/mountain.png", "reports/q1.pdf"]).await;
    search_until(&app, "tag=team", &["reports/q1.pdf"]).await;
    search_until(&app, "description=BEACH", &["2024/Beach-Sunset.JPG", "reports/q1.pdf"]).await;
    search_until(&app, "name=sunset", &["2024/Beach-Sunset.JPG"]).await;
    search_until(&app, "name=beach&bucket=docs", &[]).await;
    search_until(&app, "prefix=2024/&content_type=image/*", &["2024/Beach-Sunset.JPG", "2024/mountain.png"]).await;
    search_until(&app, "content_type=application/pdf&min_size=100&max_size=300", &["reports/q1.pdf"]).await;
    search_until(&app, "min_size=301", &[]).await;
    search_until(&app, "modified_after=2000-01-01&modified_before=2100-01-01&bucket=docs", &["notes.txt", "reports/q1.pdf"]).await;

    // Changes reach the index: an overwrite drops the old tags, a delete removes the hit.
    app.put("photos", "2024/Beach-Sunset.JPG", b"retouched".to_vec()).await;
    search_until(&app, "tag=trip%3Dspain", &[]).await;
    app.client.delete_object().bucket("photos").key("2024/mountain.png").send().await.unwrap();
    search_until(&app, "bucket=photos", &["2024/Beach-Sunset.JPG"]).await;

    // A description a browser sent RFC 2047-encoded is found, and shown, as its text.
    app.bucket("menus").await;
    put_described(&app, "menus", "menu.txt", b"menu", "=?UTF-8?B?Q2Fmw6kgY3LDqG1l?=", "team=kitchen", "text/plain").await;
    let menu = search_until(&app, "description=caf%C3%A9%20CR%C3%88ME", &["menu.txt"]).await;
    assert_eq!(menu["results"][0]["description"], "Café crème");
    assert_eq!(
        app.client.head_object().bucket("menus").key("menu.txt").send().await.unwrap().metadata().unwrap()["description"],
        "=?UTF-8?B?Q2Fmw6kgY3LDqG1l?=",
        "stored as sent"
    );
    app.shutdown().await;
    drop(broker);
}

#[tokio::test]
async fn search_finds_objects_by_tag_description_and_name_embedded() {
    search_finds_by_tag_description_and_name(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_finds_objects_by_tag_description_and_name_kafka() {
    search_finds_by_tag_description_and_name(Mode::Kafka).await;
}

#[tokio::test]
async fn search_pages_with_a_cursor_in_every_sort() {
    let app = TestApp::start().await;
    app.bucket("many").await;
    for i in 0..25usize {
        app.put("many", &format!("item-{i:02}"), vec![b'z'; (i * 7) % 25]).await;
    }
    wait_indexed(&app).await;
    for (query, expect_sorted) in [("sort=key", true), ("sort=key&order=desc", false), ("sort=size&order=desc", false), ("sort=last_modified", false)] {
        let mut seen: Vec<Value> = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let path = match &cursor {
                Some(c) => format!("/_depot/search?bucket=many&limit=10&{query}&cursor={c}"),
                None => format!("/_depot/search?bucket=many&limit=10&{query}"),
            };
            let (status, page) = api_get(&app, &path).await;
            assert_eq!(status, 200, "{page}");
            let results = page["results"].as_array().unwrap();
            assert!(results.len() <= 10);
            seen.extend(results.iter().cloned());
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let names: Vec<&str> = seen.iter().map(|r| r["key"].as_str().unwrap()).collect();
        let mut unique = names.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 25, "{query}: every object once: {names:?}");
        if expect_sorted {
            assert_eq!(names, unique, "{query}");
        }
        if query.starts_with("sort=size") {
            let sizes: Vec<i64> = seen.iter().map(|r| r["size"].as_i64().unwrap()).collect();
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{query}: {sizes:?}");
        }
    }
    app.shutdown().await;
}

#[tokio::test]
async fn search_and_stats_reject_bad_requests_with_json_errors() {
    let app = TestApp::start().await;
    let resp = app.raw("GET", "/_depot/search?name=x").send().await;
    assert_eq!(resp.status, 401);
    let body: Value = serde_json::from_slice(&resp.body).unwrap();
    assert!(body["error"]["code"].is_string() && body["error"]["message"].is_string(), "{body}");
    assert_eq!(app.raw("GET", "/_depot/stats").send().await.status, 401);
    assert_eq!(app.raw("GET", "/_depot/search").header("authorization", "Bearer not-a-token").send().await.status, 401);
    assert_eq!(api_get_as(&app, "/_depot/search", "NOSUCHKEY", "nosuchsecret").await.0, 401);
    for bad in ["limit=0", "min_size=abc", "sort=owner", "order=up", "cursor=%21%21", "modified_after=yesterday"] {
        let (status, body) = api_get(&app, &format!("/_depot/search?{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "InvalidArgument");
    }
    let (status, body) = api_get(&app, "/_depot/search?bucket=nosuchbucket").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(app.raw("POST", "/_depot/search").send().await.status, 405);
    app.shutdown().await;
}

/// A user with an access key, made in the catalog (accounts have no API yet here).
async fn user_with_key(app: &TestApp, name: &str) -> (String, String) {
    let catalog = &app.state().catalog;
    let id = format!("user-{name}");
    let user = depot::catalog::User { id: id.clone(), username: name.into(), password_hash: None, is_root: false, disabled: false, created_at: 0 };
    let mut tx = catalog.begin().await.unwrap();
    tx.create_user(&user).await.unwrap();
    tx.commit().await.unwrap();
    let (key, secret) = (format!("AKTEST{:014}", name.len()), format!("secret-of-{name}-0000000000000000000000"));
    sqlx::query("INSERT INTO access_keys (access_key_id, secret_key, user_id, kind, created_at) VALUES ($1, $2, $3, 'user', 0)")
        .bind(&key)
        .bind(&secret)
        .bind(&id)
        .execute(catalog.reader())
        .await
        .unwrap();
    (key, secret)
}

#[tokio::test]
async fn search_and_stats_show_only_what_the_caller_may_read() {
    let app = TestApp::start().await;
    let (key, secret) = user_with_key(&app, "alice").await;
    let alice = app.client_for(&key, &secret, None);
    alice.create_bucket().bucket("alice-own").send().await.unwrap();
    alice.put_object().bucket("alice-own").key("mine.txt").body(b"alice".to_vec().into()).send().await.unwrap();
    app.bucket("root-private").await;
    app.put("root-private", "secret.txt", b"root only".to_vec()).await;
    app.client.create_bucket().bucket("root-public").acl(aws_sdk_s3::types::BucketCannedAcl::PublicRead).send().await.unwrap();
    app.client.put_object().bucket("root-public").key("shared.txt").acl(ObjectCannedAcl::PublicRead).body(b"everyone".to_vec().into()).send().await.unwrap();
    wait_indexed(&app).await;

    let (status, page) = api_get_as(&app, "/_depot/search", &key, &secret).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(keys(&page), vec!["mine.txt", "shared.txt"], "own bucket and a READ grant, not root's private bucket");
    let (status, body) = api_get_as(&app, "/_depot/search?bucket=root-private", &key, &secret).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "AccessDenied");
    assert_eq!(keys(&api_get(&app, "/_depot/search").await.1), vec!["mine.txt", "secret.txt", "shared.txt"], "root sees everything");

    let (status, stats) = api_get_as(&app, "/_depot/stats", &key, &secret).await;
    assert_eq!(status, 200);
    assert_eq!(stats["bucket_count"], 1, "a user's statistics cover the buckets they own: {stats}");
    assert_eq!(stats["total_objects"], 1);
    assert_eq!(stats["total_bytes"], 5);
    let (_, all) = api_get(&app, "/_depot/stats").await;
    assert_eq!(all["bucket_count"], 3);
    assert_eq!(all["total_objects"], 3);
    app.shutdown().await;
}

/// Puts, overwrites, deletes, a multipart upload in progress and a completed one, a
/// versioned bucket with delete markers and removed versions, then compares
/// `/_depot/stats` with counts computed from the catalog's own tables.
async fn statistics_match_the_catalog(mode: Mode) {
    let (app, broker) = app_in(mode).await;
    app.bucket("plain").await;
    app.bucket("versioned").await;
    app.bucket("empty").await;
    for i in 0..6 {
        app.put("plain", &format!("f{i}"), vec![b'a'; 100 + i]).await;
    }
    app.put("plain", "f0", vec![b'b'; 10]).await;
    app.put("plain", "f1", vec![b'c'; 1000]).await;
    app.client.delete_object().bucket("plain").key("f2").send().await.unwrap();
    app.client.delete_object().bucket("plain").key("never-existed").send().await.unwrap();

    let upload = app.client.create_multipart_upload().bucket("plain").key("big").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap();
    app.client.upload_part().bucket("plain").key("big").upload_id(upload_id).part_number(1).body(vec![b'm'; 4096].into()).send().await.unwrap();
    app.client.upload_part().bucket("plain").key("big").upload_id(upload_id).part_number(2).body(vec![b'm'; 1024].into()).send().await.unwrap();
    let done = app.client.create_multipart_upload().bucket("plain").key("assembled").send().await.unwrap();
    let part = app
        .client
        .upload_part()
        .bucket("plain")
        .key("assembled")
        .upload_id(done.upload_id().unwrap())
        .part_number(1)
        .body(vec![b'q'; 777].into())
        .send()
        .await
        .unwrap();
    app.client
        .complete_multipart_upload()
        .bucket("plain")
        .key("assembled")
        .upload_id(done.upload_id().unwrap())
        .multipart_upload(
            CompletedMultipartUpload::builder().parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build()).build(),
        )
        .send()
        .await
        .unwrap();

    app.put("versioned", "null-first", vec![b'n'; 50]).await;
    app.put("versioned", "null-only", vec![b'o'; 4]).await;
    enable_versioning(&app, "versioned").await;
    let v1 = app.client.put_object().bucket("versioned").key("doc").body(vec![b'1'; 11].into()).send().await.unwrap();
    app.put("versioned", "doc", vec![b'2'; 22]).await;
    app.put("versioned", "doc", vec![b'3'; 33]).await;
    app.put("versioned", "null-first", vec![b'x'; 5]).await;
    app.put("versioned", "gone", vec![b'g'; 7]).await;
    let marker = app.client.delete_object().bucket("versioned").key("gone").send().await.unwrap();
    app.client.delete_object().bucket("versioned").key("doc").version_id(v1.version_id().unwrap()).send().await.unwrap();
    app.put("versioned", "revived", vec![b'r'; 9]).await;
    let marker2 = app.client.delete_object().bucket("versioned").key("revived").send().await.unwrap();
    app.client.delete_object().bucket("versioned").key("revived").version_id(marker2.version_id().unwrap()).send().await.unwrap();
    assert!(marker.delete_marker().unwrap_or(false));

    let expected = catalog_counts(&app).await;
    // f0 10 + f1 1000 + f3..f5 312 + assembled 777; the upload in progress holds 5120.
    assert_eq!(expected["plain"], (6, 2099, 6, 2099, 5120), "sanity of the workload");
    // Latest: doc 33, null-first 5, null-only 4, revived 9; stored: also doc 22,
    // null-first's null version 50, gone 7 and its delete marker.
    assert_eq!(expected["versioned"], (4, 51, 8, 130, 0), "sanity of the workload");
    // Wait for every event to be indexed, not for the statistics to match: the last
    // three writes ("revived" put, covered by a delete marker, the marker removed) bring
    // the counts back to what the put alone made them, so the statistics already match
    // while the indexer is still behind, and a search then finds the marker latest.
    wait_indexed(&app).await;
    let (status, stats) = api_get(&app, "/_depot/stats").await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats_counts(&stats), expected, "statistics once every event is indexed");
    let objects: i64 = expected.values().map(|c| c.0).sum();
    let bytes: i64 = expected.values().map(|c| c.1).sum();
    assert_eq!(stats["total_objects"], objects);
    assert_eq!(stats["total_bytes"], bytes);
    assert_eq!(stats["bucket_count"], 3);
    let top: Vec<&str> = stats["top_buckets"].as_array().unwrap().iter().map(|b| b["name"].as_str().unwrap()).collect();
    assert_eq!(top, vec!["plain", "versioned", "empty"]);
    assert_eq!(stats["top_buckets_by_bytes"][0]["name"], "plain");

    // The versioned bucket's search shows the latest versions only.
    let (_, page) = api_get(&app, "/_depot/search?bucket=versioned").await;
    assert_eq!(keys(&page), vec!["doc", "null-first", "null-only", "revived"]);
    assert_eq!(page["results"][0]["size"], 33);
    assert_eq!(page["results"][1]["version_id"].as_str().map(str::len), Some(32));
    assert_eq!(page["results"][2]["version_id"], "null", "the null version of a bucket versioned since");

    // Rebuilding from the catalog (`depot index rebuild`) gives the same statistics.
    let mut rebuild = std::process::Command::new(env!("CARGO_BIN_EXE_depot"));
    rebuild.args(["index", "rebuild", "--data-dir"]).arg(app.data_dir.path()).env_remove("DEPOT_DATABASE_URL");
    if let Some(url) = &app.state().config.database_url {
        rebuild.env("DEPOT_DATABASE_URL", url.expose());
    }
    let out = tokio::task::spawn_blocking(move || rebuild.output()).await.unwrap().unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && printed.contains("Index rebuilt: 3 buckets"), "{printed} {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(stats_counts(&api_get(&app, "/_depot/stats").await.1), expected, "rebuilt statistics");
    let (_, rebuilt) = api_get(&app, "/_depot/search?bucket=versioned").await;
    assert_eq!(rebuilt["results"], page["results"], "rebuilt search results");
    app.shutdown().await;
    drop(broker);
}

#[tokio::test]
async fn statistics_match_the_catalog_after_a_mixed_workload_embedded() {
    statistics_match_the_catalog(Mode::Embedded).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statistics_match_the_catalog_after_a_mixed_workload_kafka() {
    statistics_match_the_catalog(Mode::Kafka).await;
}
