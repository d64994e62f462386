//! The indexer's ordering rules, with events delivered out of order, as several relays
//! or a redelivery can: an older event never overwrites a newer state, removal is final,
//! a null-version overwrite leaves one null version, delete markers hide a key and
//! removing them brings it back, tags follow the newest state and go with their
//! version. Events are built as documents and applied through the same indexer the
//! transports use.

use depot::events::Event;
use depot::indexer::search::{search, SearchQuery};
use depot::indexer::{parse_event, Indexer};
use serde_json::{json, Value};
use sqlx::Row;

use crate::common::TestApp;

const BUCKET: &str = "synthetic";

struct Version<'a> {
    key: &'a str,
    /// The catalog row id: larger is newer for the key.
    seq: i64,
    version_id: Option<&'a str>,
    size: i64,
    marker: bool,
    tags: Value,
}

/// An object event at outbox position `position`.
fn event(event_name: &str, position: i64, v: &Version<'_>) -> Event {
    let kind = if event_name.starts_with("ObjectRemoved") {
        "OBJECT_DELETED"
    } else if event_name.contains("Tagging") {
        "OBJECT_UPDATED"
    } else {
        "OBJECT_CREATED"
    };
    let doc = json!({
        "eventId": uuid::Uuid::new_v4().to_string(), "schemaVersion": 1, "type": kind, "eventName": event_name,
        "time": "2024-05-01T00:00:00Z", "principal": "tester", "bucket": BUCKET, "bucketOwner": "tester",
        "region": "us-east-1", "requestId": "r", "sourceIp": "127.0.0.1",
        "object": {
            "key": v.key, "versionId": v.version_id, "versionSeq": v.seq, "isLatest": true, "isDeleteMarker": v.marker,
            "size": v.size, "eTag": "e", "contentType": "text/plain", "lastModified": 1, "owner": "tester",
            "userMetadata": {}, "tags": v.tags, "acl": null
        },
        "sequencer": Event::sequencer_for(position),
    });
    parse_event(doc.to_string().as_bytes()).expect("a valid event")
}

fn indexer(app: &TestApp) -> Indexer {
    Indexer::new(app.state().catalog.clone(), app.state().events.metrics.clone())
}

/// Applies each event in its own transaction, in the order given.
async fn apply_each(app: &TestApp, events: &[Event]) {
    for e in events {
        indexer(app).apply(std::slice::from_ref(e)).await.expect("apply");
    }
}

/// The live keys of the synthetic bucket with their size and tags.
async fn live(app: &TestApp) -> Vec<(String, i64, Value)> {
    let q = SearchQuery { bucket: Some(BUCKET.into()), ..SearchQuery::default() };
    let page = search(&app.state().catalog, &q).await.expect("search");
    page.hits.into_iter().map(|h| (h.key, h.size, Value::Object(h.tags))).collect()
}

/// (objects, bytes, versions, version_bytes) of the synthetic bucket.
async fn counts(app: &TestApp) -> (i64, i64, i64, i64) {
    let row = sqlx::query("SELECT objects, bytes, versions, version_bytes FROM index_bucket_stats WHERE bucket = $1")
        .bind(BUCKET)
        .fetch_optional(app.state().catalog.reader())
        .await
        .unwrap();
    row.map(|r| (r.get("objects"), r.get("bytes"), r.get("versions"), r.get("version_bytes"))).unwrap_or_default()
}

#[tokio::test]
async fn an_older_event_never_overwrites_a_newer_state() {
    let app = TestApp::start().await;
    let v = |tags: Value| Version { key: "k", seq: 10, version_id: None, size: 4, marker: false, tags };
    let created = event("ObjectCreated:Put", 100, &v(json!({"state": "old"})));
    let retagged = event("ObjectTagging:Put", 200, &v(json!({"state": "new"})));
    apply_each(&app, &[retagged, created]).await;
    assert_eq!(live(&app).await, vec![("k".to_owned(), 4, json!({"state": "new"}))]);
    assert_eq!(counts(&app).await, (1, 4, 1, 4));

    // Removal is final, even when the creation arrives after it.
    let other = Version { key: "late", seq: 11, version_id: None, size: 9, marker: false, tags: json!({}) };
    apply_each(&app, &[event("ObjectRemoved:Delete", 300, &other), event("ObjectCreated:Put", 150, &other)]).await;
    assert_eq!(live(&app).await.len(), 1, "the removed version stays removed");
    assert_eq!(counts(&app).await, (1, 4, 1, 4));
    app.shutdown().await;
}

#[tokio::test]
async fn a_null_version_overwrite_leaves_one_version_in_any_order() {
    let app = TestApp::start().await;
    let first = Version { key: "a", seq: 20, version_id: None, size: 5, marker: false, tags: json!({"v": "1"}) };
    let second = Version { key: "a", seq: 25, version_id: None, size: 7, marker: false, tags: json!({"v": "2"}) };
    apply_each(&app, &[event("ObjectCreated:Put", 60, &second), event("ObjectCreated:Put", 50, &first)]).await;
    assert_eq!(live(&app).await, vec![("a".to_owned(), 7, json!({"v": "2"}))]);
    assert_eq!(counts(&app).await, (1, 7, 1, 7));

    let first = Version { key: "b", seq: 30, ..first };
    let second = Version { key: "b", seq: 35, ..second };
    apply_each(&app, &[event("ObjectCreated:Put", 70, &first), event("ObjectCreated:Put", 80, &second)]).await;
    assert_eq!(counts(&app).await, (2, 14, 2, 14), "in order, the same outcome");
    app.shutdown().await;
}

#[tokio::test]
async fn delete_markers_hide_a_key_and_removing_them_brings_it_back() {
    let app = TestApp::start().await;
    let object = Version { key: "doc", seq: 40, version_id: Some("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), size: 3, marker: false, tags: json!({}) };
    let marker = Version { key: "doc", seq: 41, version_id: Some("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), size: 0, marker: true, tags: json!({}) };
    apply_each(&app, &[event("ObjectCreated:Put", 90, &object), event("ObjectRemoved:DeleteMarkerCreated", 91, &marker)]).await;
    assert!(live(&app).await.is_empty(), "a delete marker hides the key");
    assert_eq!(counts(&app).await, (0, 0, 2, 3));
    apply_each(&app, &[event("ObjectRemoved:Delete", 92, &marker)]).await;
    assert_eq!(live(&app).await, vec![("doc".to_owned(), 3, json!({}))], "removing the marker brings the version back");
    assert_eq!(counts(&app).await, (1, 3, 1, 3));
    apply_each(&app, &[event("ObjectRemoved:Delete", 93, &object)]).await;
    assert_eq!(counts(&app).await, (0, 0, 0, 0));

    // A whole history applied as one batch, twice, ends the same.
    let v = |seq, size| Version { key: "hist", seq, version_id: Some("cccccccccccccccccccccccccccccccc"), size, marker: false, tags: json!({}) };
    let batch = vec![event("ObjectCreated:Put", 100, &v(50, 1)), event("ObjectCreated:Put", 101, &v(51, 2)), event("ObjectRemoved:Delete", 102, &v(51, 2))];
    indexer(&app).apply(&batch).await.unwrap();
    indexer(&app).apply(&batch).await.unwrap();
    assert_eq!(live(&app).await, vec![("hist".to_owned(), 1, json!({}))]);
    assert_eq!(counts(&app).await, (1, 1, 1, 1));
    app.shutdown().await;
}

/// The tag rows search reads, `(key, tag, value)` sorted.
async fn tag_rows(app: &TestApp) -> Vec<(String, String, String)> {
    let rows =
        sqlx::query("SELECT v.key, t.tag_key, t.tag_value FROM index_tags t JOIN index_versions v ON v.version_seq = t.version_seq ORDER BY v.key, t.tag_key")
            .fetch_all(app.state().catalog.reader())
            .await
            .unwrap();
    rows.iter().map(|r| (r.get("key"), r.get("tag_key"), r.get("tag_value"))).collect()
}

#[tokio::test]
async fn tags_follow_the_newest_state_and_go_with_the_version() {
    let app = TestApp::start().await;
    let v = |key, seq, tags: Value| Version { key, seq, version_id: None, size: 3, marker: false, tags };
    // In order and in one batch: created, then retagged (a version the index already
    // knows has its tags replaced, not added to), and a second key.
    let batch = [
        event("ObjectCreated:Put", 10, &v("t", 40, json!({"state": "old", "team": "a"}))),
        event("ObjectTagging:Put", 20, &v("t", 40, json!({"state": "new"}))),
        event("ObjectCreated:Put", 30, &v("u", 41, json!({"team": "b"}))),
    ];
    indexer(&app).apply(&batch).await.expect("apply");
    let pair = |k: &str, t: &str, value: &str| (k.to_owned(), t.to_owned(), value.to_owned());
    assert_eq!(tag_rows(&app).await, vec![pair("t", "state", "new"), pair("u", "team", "b")]);
    assert_eq!(counts(&app).await, (2, 6, 2, 6));

    // Removing a version takes its tags along; a redelivered event changes nothing.
    let removed = event("ObjectRemoved:Delete", 40, &v("t", 40, json!({})));
    apply_each(&app, &[removed.clone(), removed]).await;
    assert_eq!(tag_rows(&app).await, vec![pair("u", "team", "b")]);
    assert_eq!(live(&app).await, vec![("u".to_owned(), 3, json!({"team": "b"}))]);
    assert_eq!(counts(&app).await, (1, 3, 1, 3));
    app.shutdown().await;
}
