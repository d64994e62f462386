//! Lifecycle rules through the SDK: the configuration API (round trip, AWS's
//! validation errors, the required Content-MD5, nothing stored on a refusal), the
//! `x-amz-expiration` and `x-amz-abort-date` headers, and the worker applying the rules:
//! current versions expired (deleted, or a delete marker in a versioned bucket),
//! noncurrent versions removed with the newest kept, lone delete markers removed,
//! incomplete uploads aborted, filters by prefix, tag and size obeyed, every deletion
//! an `ObjectRemoved:*` event of the `lifecycle` principal, and blobs freed.
//!
//! Most tests run passes of their own worker on the server's catalog, with a day of an
//! hour and a clock they set (`pass_at`): what is due is decided by the time passed in,
//! never by how fast the machine is. The last test waits for the server's own worker,
//! with a 1-second day (`lifecycle_day_secs`, a test aid).

use std::time::Duration;

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    AbortIncompleteMultipartUpload, BucketLifecycleConfiguration, BucketVersioningStatus, ExpirationStatus, LifecycleExpiration, LifecycleRule,
    LifecycleRuleAndOperator, LifecycleRuleFilter, NoncurrentVersionExpiration, Tag, VersioningConfiguration,
};
use aws_sdk_s3::Client;
use depot::lifecycle::{PassReport, Worker};

use crate::common::{content_md5, outbox_events, s3_error, wait_until, TestApp};

/// The lifecycle day of the tests' own workers: an hour.
const DAY_MS: i64 = 3_600_000;

/// A server whose own worker waits an hour between passes (tests run passes of their
/// own).
async fn start() -> TestApp {
    TestApp::start_with(|c| c.lifecycle_interval_secs = 3600).await
}

fn worker(app: &TestApp) -> Worker {
    let state = app.state();
    Worker::new(state.catalog.clone(), state.gc.clone(), state.config.region.clone(), Duration::from_millis(DAY_MS as u64), Duration::from_secs(3600))
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_millis() as i64
}

/// One lifecycle pass over the server's catalog, as the server's worker runs it, at
/// `days` one-hour days from now.
async fn pass_in(app: &TestApp, days: f64) -> PassReport {
    let report = worker(app).pass_at(now_ms() + (days * DAY_MS as f64) as i64).await;
    assert_eq!(report.failed, 0, "{report:?}");
    report
}

/// One lifecycle pass now.
async fn pass(app: &TestApp) -> PassReport {
    pass_in(app, 0.0).await
}

fn rule(id: &str, filter: LifecycleRuleFilter) -> aws_sdk_s3::types::builders::LifecycleRuleBuilder {
    LifecycleRule::builder().id(id).filter(filter).status(ExpirationStatus::Enabled)
}

fn prefix(p: &str) -> LifecycleRuleFilter {
    LifecycleRuleFilter::builder().prefix(p).build()
}

async fn put_rules(client: &Client, bucket: &str, rules: Vec<LifecycleRule>) {
    let config = BucketLifecycleConfiguration::builder().set_rules(Some(rules)).build().expect("lifecycle configuration");
    client.put_bucket_lifecycle_configuration().bucket(bucket).lifecycle_configuration(config).send().await.expect("PutBucketLifecycleConfiguration");
}

/// A date at midnight UTC in the past: an `Expiration` `Date` rule is due at once.
fn past_midnight() -> DateTime {
    DateTime::from_secs(1_600_000_000 / 86_400 * 86_400)
}

/// `(key, version id, is delete marker)` of every version, in listing order.
async fn versions(app: &TestApp, bucket: &str) -> Vec<(String, String, bool)> {
    let out = app.client.list_object_versions().bucket(bucket).send().await.expect("ListObjectVersions");
    let mut all: Vec<(String, String, bool)> = out
        .versions()
        .iter()
        .map(|v| (v.key().unwrap_or("").to_owned(), v.version_id().unwrap_or("").to_owned(), false))
        .chain(out.delete_markers().iter().map(|m| (m.key().unwrap_or("").to_owned(), m.version_id().unwrap_or("").to_owned(), true)))
        .collect();
    all.sort();
    all
}

async fn enable_versioning(app: &TestApp, bucket: &str) {
    app.client
        .put_bucket_versioning()
        .bucket(bucket)
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).build())
        .send()
        .await
        .expect("enable versioning");
}

#[tokio::test]
async fn the_configuration_round_trips_and_is_deleted() {
    let app = start().await;
    app.bucket("rules").await;
    assert_eq!(s3_error(app.client.get_bucket_lifecycle_configuration().bucket("rules").send().await), (404, "NoSuchLifecycleConfiguration".to_owned()));

    let tagged = LifecycleRuleFilter::builder()
        .and(
            LifecycleRuleAndOperator::builder()
                .prefix("tmp/")
                .tags(Tag::builder().key("class").value("scratch").build().unwrap())
                .object_size_greater_than(10)
                .build(),
        )
        .build();
    put_rules(
        &app.client,
        "rules",
        vec![
            rule("logs", prefix("logs/")).expiration(LifecycleExpiration::builder().days(30).build()).build().unwrap(),
            rule("scratch", tagged)
                .expiration(LifecycleExpiration::builder().days(1).build())
                .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(2).newer_noncurrent_versions(3).build())
                .build()
                .unwrap(),
            rule("uploads", prefix(""))
                .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(7).build())
                .build()
                .unwrap(),
        ],
    )
    .await;

    let got = app.client.get_bucket_lifecycle_configuration().bucket("rules").send().await.expect("GetBucketLifecycleConfiguration");
    let rules = got.rules();
    assert_eq!(rules.iter().map(|r| r.id().unwrap_or("")).collect::<Vec<_>>(), ["logs", "scratch", "uploads"]);
    assert_eq!(rules[0].filter().and_then(|f| f.prefix()), Some("logs/"));
    assert_eq!(rules[0].expiration().and_then(|e| e.days()), Some(30));
    let and = rules[1].filter().and_then(|f| f.and()).expect("the And filter");
    assert_eq!((and.prefix(), and.object_size_greater_than()), (Some("tmp/"), Some(10)));
    assert_eq!(and.tags().iter().map(|t| (t.key(), t.value())).collect::<Vec<_>>(), [("class", "scratch")]);
    let noncurrent = rules[1].noncurrent_version_expiration().expect("NoncurrentVersionExpiration");
    assert_eq!((noncurrent.noncurrent_days(), noncurrent.newer_noncurrent_versions()), (Some(2), Some(3)));
    assert_eq!(rules[2].abort_incomplete_multipart_upload().and_then(|a| a.days_after_initiation()), Some(7));
    assert!(rules.iter().all(|r| r.status() == &ExpirationStatus::Enabled));

    app.client.delete_bucket_lifecycle().bucket("rules").send().await.expect("DeleteBucketLifecycle");
    assert_eq!(s3_error(app.client.get_bucket_lifecycle_configuration().bucket("rules").send().await), (404, "NoSuchLifecycleConfiguration".to_owned()));
    app.shutdown().await;
}

#[tokio::test]
async fn a_refused_configuration_changes_nothing() {
    let app = start().await;
    app.bucket("rules").await;
    put_rules(&app.client, "rules", vec![rule("keep", prefix("a/")).expiration(LifecycleExpiration::builder().days(5).build()).build().unwrap()]).await;
    let stored = || async { app.send_signed(app.raw("GET", "/rules?lifecycle")).await.text() };
    let before = stored().await;
    assert!(before.contains("<ID>keep</ID>"), "{before}");

    let doc = |rules: &str| format!("<LifecycleConfiguration>{rules}</LifecycleConfiguration>");
    let expire = "<Expiration><Days>1</Days></Expiration>";
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("not XML", "<LifecycleConfiguration><Rule>".to_owned(), 400, "MalformedXML"),
        ("no rule", doc(""), 400, "MalformedXML"),
        ("Days 0", doc("<Rule><ID>z</ID><Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule>"), 400, "InvalidArgument"),
        (
            "a date not at midnight",
            doc("<Rule><ID>d</ID><Filter/><Status>Enabled</Status><Expiration><Date>2030-01-01T10:00:00Z</Date></Expiration></Rule>"),
            400,
            "InvalidArgument",
        ),
        ("a rule without action", doc("<Rule><ID>n</ID><Filter/><Status>Enabled</Status></Rule>"), 400, "InvalidRequest"),
        (
            "two rules with one ID",
            doc(&format!("<Rule><ID>x</ID><Filter/><Status>Enabled</Status>{expire}</Rule><Rule><ID>x</ID><Filter/><Status>Enabled</Status>{expire}</Rule>")),
            400,
            "InvalidArgument",
        ),
        (
            "a transition (Depot has one storage class)",
            doc("<Rule><ID>t</ID><Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition></Rule>"),
            400,
            "InvalidStorageClass",
        ),
    ];
    for (what, body, status, code) in &cases {
        let resp = app.send_signed(app.raw("PUT", "/rules?lifecycle").header("content-md5", &content_md5(body.as_bytes())).body(body.clone())).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (*status, Some(*code)), "{what}: {}", resp.text());
        assert_eq!(stored().await, before, "{what}: the stored rules are unchanged");
    }

    // AWS requires Content-MD5 (or a checksum) on this request, and checks it.
    let good = doc(&format!("<Rule><ID>new</ID><Filter/><Status>Enabled</Status>{expire}</Rule>"));
    let resp = app.send_signed(app.raw("PUT", "/rules?lifecycle").body(good.clone())).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidRequest")), "without Content-MD5: {}", resp.text());
    let resp = app.send_signed(app.raw("PUT", "/rules?lifecycle").header("content-md5", &content_md5(b"other bytes")).body(good.clone())).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("BadDigest")), "{}", resp.text());
    assert_eq!(stored().await, before);
    let resp = app.send_signed(app.raw("PUT", "/rules?lifecycle").header("content-md5", &content_md5(good.as_bytes())).body(good.clone())).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(stored().await.contains("<ID>new</ID>"));

    // Another user may neither read nor change the rules.
    let (key, secret) = app.create_user("mallory").await;
    let mallory = app.client_for(&key, &secret, None);
    assert_eq!(s3_error(mallory.get_bucket_lifecycle_configuration().bucket("rules").send().await), (403, "AccessDenied".to_owned()));
    assert_eq!(s3_error(mallory.delete_bucket_lifecycle().bucket("rules").send().await), (403, "AccessDenied".to_owned()));
    assert!(stored().await.contains("<ID>new</ID>"));
    app.shutdown().await;
}

#[tokio::test]
async fn put_get_and_head_tell_when_an_object_expires() {
    let app = start().await;
    app.bucket("exp").await;
    put_rules(
        &app.client,
        "exp",
        vec![
            rule("logs rule", prefix("logs/")).expiration(LifecycleExpiration::builder().days(30).build()).build().unwrap(),
            rule("abort", prefix("big/"))
                .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(50_000).build())
                .build()
                .unwrap(),
        ],
    )
    .await;

    let put = app.client.put_object().bucket("exp").key("logs/a.txt").body(ByteStream::from_static(b"log line")).send().await.expect("PUT");
    let expiration = put.expiration().expect("x-amz-expiration on PUT").to_owned();
    assert!(expiration.starts_with("expiry-date=\"") && expiration.ends_with("\", rule-id=\"logs%20rule\""), "{expiration}");
    // 30 days after the write, rounded up to the next midnight UTC.
    let head = app.client.head_object().bucket("exp").key("logs/a.txt").send().await.expect("HEAD");
    assert_eq!(head.expiration(), Some(expiration.as_str()));
    let modified = head.last_modified().expect("Last-Modified").secs();
    let date = expiration.split('"').nth(1).expect("the date");
    let expires = chrono::DateTime::parse_from_rfc2822(date).expect("an HTTP date").timestamp();
    let due = modified + 30 * 86_400;
    // Last-Modified drops the milliseconds: a write in the first second of a day may round
    // up to the next midnight.
    let midnight = (due + 86_399) / 86_400 * 86_400;
    assert!(expires == midnight || (due % 86_400 == 0 && expires == midnight + 86_400), "{date} for an object written at {modified}");
    let get = app.client.get_object().bucket("exp").key("logs/a.txt").send().await.expect("GET");
    assert_eq!(get.expiration(), Some(expiration.as_str()));

    // No rule for this key: no header.
    let other = app.client.put_object().bucket("exp").key("docs/b.txt").body(ByteStream::from_static(b"doc")).send().await.expect("PUT");
    assert_eq!(other.expiration(), None);
    assert_eq!(app.client.head_object().bucket("exp").key("docs/b.txt").send().await.expect("HEAD").expiration(), None);

    // CreateMultipartUpload tells when an incomplete upload is aborted.
    let created = app.client.create_multipart_upload().bucket("exp").key("big/file").send().await.expect("CreateMultipartUpload");
    assert_eq!(created.abort_rule_id(), Some("abort"));
    assert!(created.abort_date().is_some());
    let parts = app.client.list_parts().bucket("exp").key("big/file").upload_id(created.upload_id().unwrap()).send().await.expect("ListParts");
    assert_eq!((parts.abort_rule_id(), parts.abort_date()), (Some("abort"), created.abort_date()), "ListParts tells the same");
    let elsewhere = app.client.create_multipart_upload().bucket("exp").key("small/file").send().await.expect("CreateMultipartUpload");
    assert_eq!((elsewhere.abort_rule_id(), elsewhere.abort_date()), (None, None));
    app.shutdown().await;
}

#[tokio::test]
async fn expired_objects_are_deleted_by_prefix_tag_and_size() {
    let app = start().await;
    app.bucket("plain").await;
    for key in ["tmp/a", "tmp/b", "keep/c"] {
        app.put("plain", key, format!("body of {key}").into_bytes()).await;
    }
    // Tagged and big enough: expires. Untagged, or too small: stays.
    let tagged =
        |key: &str, len: usize, tagging: &str| app.client.put_object().bucket("plain").key(key).tagging(tagging).body(ByteStream::from(vec![b'x'; len])).send();
    // 100 KiB: a blob file of its own (small bodies live in the catalog row).
    tagged("data/big-scratch", 100 * 1024, "class=scratch").await.expect("PUT");
    tagged("data/small-scratch", 10, "class=scratch").await.expect("PUT");
    tagged("data/big-kept", 100 * 1024, "class=gold").await.expect("PUT");
    let blobs_before = app.blob_files().len();

    let big_scratch = LifecycleRuleFilter::builder()
        .and(
            LifecycleRuleAndOperator::builder()
                .prefix("data/")
                .tags(Tag::builder().key("class").value("scratch").build().unwrap())
                .object_size_greater_than(100)
                .build(),
        )
        .build();
    put_rules(
        &app.client,
        "plain",
        vec![
            rule("tmp", prefix("tmp/")).expiration(LifecycleExpiration::builder().date(past_midnight()).build()).build().unwrap(),
            rule("scratch", big_scratch).expiration(LifecycleExpiration::builder().date(past_midnight()).build()).build().unwrap(),
            rule("later", prefix("keep/")).expiration(LifecycleExpiration::builder().days(100_000).build()).build().unwrap(),
        ],
    )
    .await;

    let report = pass(&app).await;
    assert_eq!(report.expired, 3, "{report:?}");
    assert_eq!(app.keys("plain").await, ["data/big-kept", "data/small-scratch", "keep/c"]);
    assert!(versions(&app, "plain").await.iter().all(|(_, _, marker)| !marker), "an unversioned bucket gets no delete marker");
    assert_eq!(s3_error(app.client.get_object().bucket("plain").key("tmp/a").send().await), (404, "NoSuchKey".to_owned()));

    // The same events as a user's delete, from the lifecycle principal.
    let events = outbox_events(&app).await;
    let removed: Vec<&serde_json::Value> = events.iter().filter(|e| e["principal"] == "lifecycle").collect();
    let mut keys: Vec<&str> = removed.iter().map(|e| e["key"].as_str().unwrap_or("")).collect();
    keys.sort();
    assert_eq!(keys, ["data/big-scratch", "tmp/a", "tmp/b"], "{removed:?}");
    assert!(removed.iter().all(|e| e["eventName"] == "ObjectRemoved:Delete" && e["type"] == "OBJECT_DELETED"), "{removed:?}");

    // Nothing more is due; the expired objects' blobs are freed.
    assert_eq!(pass(&app).await.expired, 0);
    wait_until("the expired objects' blobs are freed", || async { app.blob_files().len() < blobs_before }).await;
    app.shutdown().await;
}

#[tokio::test]
async fn versioned_buckets_keep_history_until_the_noncurrent_rules_remove_it() {
    let app = start().await;
    app.bucket("hist").await;
    enable_versioning(&app, "hist").await;
    for generation in 1..=4 {
        app.put("hist", "doc", format!("generation {generation}").into_bytes()).await;
    }
    put_rules(
        &app.client,
        "hist",
        vec![rule("history", prefix(""))
            .expiration(LifecycleExpiration::builder().date(past_midnight()).build())
            .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(2).newer_noncurrent_versions(1).build())
            .build()
            .unwrap()],
    )
    .await;

    // Expiring the current version of a versioned object adds a delete marker.
    let report = pass(&app).await;
    assert_eq!(report.expired, 1, "{report:?}");
    let listed = versions(&app, "hist").await;
    assert_eq!(listed.iter().filter(|v| v.2).count(), 1, "one delete marker: {listed:?}");
    assert_eq!(listed.len(), 5);
    assert_eq!(s3_error(app.client.get_object().bucket("hist").key("doc").send().await), (404, "NoSuchKey".to_owned()));
    let events = outbox_events(&app).await;
    assert!(events.iter().any(|e| e["principal"] == "lifecycle" && e["eventName"] == "ObjectRemoved:DeleteMarkerCreated"), "{events:?}");

    // Three days on (two after they became noncurrent, rounded up), all but the newest
    // noncurrent version go.
    let report = pass_in(&app, 3.0).await;
    assert_eq!(report.noncurrent_deleted, 3, "{report:?}");
    let left = versions(&app, "hist").await;
    assert_eq!(left.len(), 2, "the marker and the newest noncurrent version: {left:?}");
    let newest = app.client.list_object_versions().bucket("hist").send().await.unwrap();
    let kept = newest.versions().first().and_then(|v| v.version_id()).expect("a kept version").to_owned();
    let body = app.client.get_object().bucket("hist").key("doc").version_id(&kept).send().await.expect("GET the kept version");
    assert_eq!(body.body.collect().await.unwrap().into_bytes().as_ref(), b"generation 4");
    app.shutdown().await;
}

#[tokio::test]
async fn a_lone_delete_marker_is_removed_and_one_with_history_stays() {
    let app = start().await;
    app.bucket("markers").await;
    enable_versioning(&app, "markers").await;
    app.put("markers", "alone", b"v1".to_vec()).await;
    app.put("markers", "history", b"v1".to_vec()).await;
    for key in ["alone", "history"] {
        app.client.delete_object().bucket("markers").key(key).send().await.expect("DELETE");
    }
    // "alone" loses its only object version: its marker is alone.
    let alone_version =
        versions(&app, "markers").await.into_iter().find(|(k, _, marker)| k == "alone" && !marker).map(|(_, id, _)| id).expect("the version of alone");
    app.client.delete_object().bucket("markers").key("alone").version_id(&alone_version).send().await.expect("DELETE the version");

    put_rules(
        &app.client,
        "markers",
        vec![rule("markers", prefix("")).expiration(LifecycleExpiration::builder().expired_object_delete_marker(true).build()).build().unwrap()],
    )
    .await;
    let report = pass(&app).await;
    assert_eq!(report.markers_deleted, 1, "{report:?}");
    let left = versions(&app, "markers").await;
    let mut kinds: Vec<(&str, bool)> = left.iter().map(|(k, _, m)| (k.as_str(), *m)).collect();
    kinds.sort();
    assert_eq!(kinds, [("history", false), ("history", true)], "{left:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn incomplete_uploads_are_aborted_after_their_days() {
    let app = start().await;
    app.bucket("uploads").await;
    put_rules(
        &app.client,
        "uploads",
        vec![rule("abort", prefix("parts/"))
            .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(2).build())
            .build()
            .unwrap()],
    )
    .await;
    let mut ids = Vec::new();
    for key in ["parts/one", "other/two"] {
        let created = app.client.create_multipart_upload().bucket("uploads").key(key).send().await.expect("CreateMultipartUpload");
        let id = created.upload_id().expect("upload id").to_owned();
        app.client
            .upload_part()
            .bucket("uploads")
            .key(key)
            .upload_id(&id)
            .part_number(1)
            .body(ByteStream::from(vec![7u8; 5000]))
            .send()
            .await
            .expect("UploadPart");
        ids.push(id);
    }
    assert_eq!(pass_in(&app, 1.0).await.uploads_aborted, 0, "not two days old yet");
    let report = pass_in(&app, 3.0).await;
    assert_eq!(report.uploads_aborted, 1, "{report:?}");
    let listed = app.client.list_multipart_uploads().bucket("uploads").send().await.expect("ListMultipartUploads");
    assert_eq!(listed.uploads().iter().map(|u| u.key().unwrap_or("")).collect::<Vec<_>>(), ["other/two"]);
    assert_eq!(s3_error(app.client.list_parts().bucket("uploads").key("parts/one").upload_id(&ids[0]).send().await), (404, "NoSuchUpload".to_owned()));
    app.shutdown().await;
}

#[tokio::test]
async fn a_scan_spread_over_many_passes_misses_nothing() {
    let app = start().await;
    app.bucket("paged").await;
    enable_versioning(&app, "paged").await;
    for key in ["k0", "k1", "k2", "k3", "k4"] {
        for generation in 1..=3 {
            app.put("paged", key, format!("{key} generation {generation}").into_bytes()).await;
        }
    }
    for key in ["u0", "u1", "u2"] {
        app.client.create_multipart_upload().bucket("paged").key(key).send().await.expect("CreateMultipartUpload");
    }
    put_rules(
        &app.client,
        "paged",
        vec![rule("history", prefix(""))
            .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(1).newer_noncurrent_versions(1).build())
            .abort_incomplete_multipart_upload(AbortIncompleteMultipartUpload::builder().days_after_initiation(1).build())
            .build()
            .unwrap()],
    )
    .await;
    // Three versions and one upload per pass, read two versions at a time: pages end in
    // the middle of keys, passes too.
    let mut small = worker(&app).with_limits(3, 2, 1);
    let later = now_ms() + 3 * DAY_MS;
    let mut total = PassReport::default();
    for _ in 0..8 {
        let r = small.pass_at(later).await;
        assert_eq!(r.failed, 0, "{r:?}");
        total.noncurrent_deleted += r.noncurrent_deleted;
        total.uploads_aborted += r.uploads_aborted;
        total.skipped += r.skipped;
    }
    assert_eq!((total.noncurrent_deleted, total.uploads_aborted, total.skipped), (5, 3, 0), "{total:?}");
    let left = versions(&app, "paged").await;
    for key in ["k0", "k1", "k2", "k3", "k4"] {
        assert_eq!(left.iter().filter(|(k, _, _)| k == key).count(), 2, "{key}: the current and the newest noncurrent version: {left:?}");
        let current = app.get("paged", key).await;
        assert_eq!(current, format!("{key} generation 3").into_bytes());
    }
    assert!(app.client.list_multipart_uploads().bucket("paged").send().await.unwrap().uploads().is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn the_server_applies_rules_by_itself() {
    let app = TestApp::start_with(|c| {
        c.lifecycle_day_secs = 1;
        c.lifecycle_interval_secs = 1;
    })
    .await;
    app.bucket("auto").await;
    app.put("auto", "old/a", b"expires".to_vec()).await;
    app.put("auto", "new/b", b"stays".to_vec()).await;
    put_rules(&app.client, "auto", vec![rule("old", prefix("old/")).expiration(LifecycleExpiration::builder().days(1).build()).build().unwrap()]).await;
    wait_until("the server's worker expires old/a", || async { app.keys("auto").await == ["new/b"] }).await;
    // Disabled, a rule does nothing.
    let off = LifecycleRule::builder()
        .id("old")
        .filter(prefix("old/"))
        .status(ExpirationStatus::Disabled)
        .expiration(LifecycleExpiration::builder().days(1).build())
        .build()
        .unwrap();
    put_rules(&app.client, "auto", vec![off]).await;
    app.put("auto", "old/c", b"kept while the rule is off".to_vec()).await;
    assert_eq!(pass_in(&app, 1000.0).await, PassReport { versions_seen: 2, ..PassReport::default() });
    assert_eq!(app.keys("auto").await, ["new/b", "old/c"]);
    app.shutdown().await;
}

#[tokio::test]
async fn two_workers_on_one_catalog_never_act_twice() {
    let app = start().await;
    app.bucket("shared").await;
    enable_versioning(&app, "shared").await;
    for i in 0..40 {
        app.put("shared", &format!("k{i:02}"), format!("body {i}").into_bytes()).await;
    }
    put_rules(&app.client, "shared", vec![rule("all", prefix("")).expiration(LifecycleExpiration::builder().date(past_midnight()).build()).build().unwrap()])
        .await;
    // Two nodes' workers (each its own connections to the catalog) passing at once: each
    // expiry is decided again under the key's lock, so every key gets one delete marker.
    let (mut a, mut b) = (worker(&app), worker(&app));
    let now = now_ms();
    let (ra, rb) = tokio::join!(a.pass_at(now), b.pass_at(now));
    assert_eq!((ra.failed, rb.failed), (0, 0), "{ra:?} {rb:?}");
    assert_eq!(ra.expired + rb.expired, 40, "{ra:?} {rb:?}");
    // What one did and the other had also found due, the other skipped (how many depends
    // on how the two interleave).
    assert!(ra.skipped + rb.skipped <= 40, "{ra:?} {rb:?}");
    let listed = versions(&app, "shared").await;
    assert_eq!(listed.iter().filter(|v| v.2).count(), 40, "one delete marker per key");
    assert_eq!(listed.len(), 80);
    app.shutdown().await;
}
