//! Bucket versioning with S3's semantics: version ids, delete markers, restores, the
//! suspended state's null version, ListObjectVersions order and markers, and bad input.

use aws_sdk_s3::types::{BucketVersioningStatus, Delete, MfaDelete, ObjectIdentifier, VersioningConfiguration};

use crate::common::{wait_until, TestApp};

async fn set_versioning(app: &TestApp, bucket: &str, status: BucketVersioningStatus) {
    let config = VersioningConfiguration::builder().status(status).build();
    app.client.put_bucket_versioning().bucket(bucket).versioning_configuration(config).send().await.expect("put versioning");
}

async fn put_versioned(app: &TestApp, bucket: &str, key: &str, body: &str) -> String {
    let out = app.client.put_object().bucket(bucket).key(key).body(body.as_bytes().to_vec().into()).send().await.expect("put");
    out.version_id().expect("a version id").to_owned()
}

async fn get_text(app: &TestApp, bucket: &str, key: &str, version: Option<&str>) -> String {
    let out = app.client.get_object().bucket(bucket).key(key).set_version_id(version.map(str::to_owned)).send().await.expect("get");
    String::from_utf8(out.body.collect().await.unwrap().into_bytes().to_vec()).unwrap()
}

#[tokio::test]
async fn never_versioned_bucket_has_no_status_and_no_version_ids() {
    let app = TestApp::start().await;
    app.bucket("plain").await;
    let status = app.client.get_bucket_versioning().bucket("plain").send().await.unwrap();
    assert_eq!(status.status(), None);
    let out = app.client.put_object().bucket("plain").key("k").body(b"x".to_vec().into()).send().await.unwrap();
    assert_eq!(out.version_id(), None);
    app.shutdown().await;
}

#[tokio::test]
async fn full_versioning_life_cycle() {
    let app = TestApp::start().await;
    app.bucket("life").await;
    set_versioning(&app, "life", BucketVersioningStatus::Enabled).await;
    let status = app.client.get_bucket_versioning().bucket("life").send().await.unwrap();
    assert_eq!(status.status(), Some(&BucketVersioningStatus::Enabled));

    // Overwrite three times: three versions, newest latest.
    let v1 = put_versioned(&app, "life", "doc", "one").await;
    let v2 = put_versioned(&app, "life", "doc", "two").await;
    let v3 = put_versioned(&app, "life", "doc", "three").await;
    assert!(v1 != v2 && v2 != v3);
    assert_eq!(get_text(&app, "life", "doc", None).await, "three");
    assert_eq!(get_text(&app, "life", "doc", Some(&v1)).await, "one");
    let head = app.client.head_object().bucket("life").key("doc").version_id(&v2).send().await.unwrap();
    assert_eq!(head.version_id(), Some(v2.as_str()));
    assert_eq!(head.content_length(), Some(3));

    // Versions are listed newest first, the newest marked latest.
    let listed = app.client.list_object_versions().bucket("life").send().await.unwrap();
    let ids: Vec<&str> = listed.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids, vec![v3.as_str(), v2.as_str(), v1.as_str()]);
    let latest: Vec<bool> = listed.versions().iter().map(|v| v.is_latest().unwrap()).collect();
    assert_eq!(latest, vec![true, false, false]);

    // Delete without a version id: a delete marker; GET is a 404 that says so.
    let deleted = app.client.delete_object().bucket("life").key("doc").send().await.unwrap();
    assert_eq!(deleted.delete_marker(), Some(true));
    let marker = deleted.version_id().expect("marker version").to_owned();
    let raw = app.raw("GET", "/life/doc").sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(raw.status, 404);
    assert_eq!(raw.header("x-amz-delete-marker"), Some("true"));
    assert_eq!(raw.header("x-amz-version-id"), Some(marker.as_str()));
    // The object no longer lists, but its versions do, with the marker latest.
    let objects = app.client.list_objects_v2().bucket("life").send().await.unwrap();
    assert_eq!(objects.key_count(), Some(0));
    let listed = app.client.list_object_versions().bucket("life").send().await.unwrap();
    assert_eq!(listed.delete_markers().len(), 1);
    assert_eq!(listed.delete_markers()[0].version_id(), Some(marker.as_str()));
    assert_eq!(listed.delete_markers()[0].is_latest(), Some(true));
    assert_eq!(listed.versions().len(), 3);
    // Asking for the marker by id is a 405.
    let raw = app.raw("GET", &format!("/life/doc?versionId={marker}")).sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(raw.status, 405);
    assert_eq!(raw.header("x-amz-delete-marker"), Some("true"));

    // Deleting the delete marker restores the object.
    let restored = app.client.delete_object().bucket("life").key("doc").version_id(&marker).send().await.unwrap();
    assert_eq!(restored.delete_marker(), Some(true));
    assert_eq!(get_text(&app, "life", "doc", None).await, "three");

    // Deleting a version for good; the previous one becomes latest.
    app.client.delete_object().bucket("life").key("doc").version_id(&v3).send().await.unwrap();
    assert_eq!(get_text(&app, "life", "doc", None).await, "two");

    // Suspend: writes go to the null version, overwriting it.
    set_versioning(&app, "life", BucketVersioningStatus::Suspended).await;
    let out = app.client.put_object().bucket("life").key("doc").body(b"null-1".to_vec().into()).send().await.unwrap();
    assert_eq!(out.version_id(), Some("null"));
    let out = app.client.put_object().bucket("life").key("doc").body(b"null-2".to_vec().into()).send().await.unwrap();
    assert_eq!(out.version_id(), Some("null"));
    assert_eq!(get_text(&app, "life", "doc", Some("null")).await, "null-2");
    let listed = app.client.list_object_versions().bucket("life").send().await.unwrap();
    let ids: Vec<&str> = listed.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids, vec!["null", v2.as_str(), v1.as_str()], "one null version, older versions kept");
    // A delete in the suspended state makes the null version a delete marker.
    let deleted = app.client.delete_object().bucket("life").key("doc").send().await.unwrap();
    assert_eq!((deleted.delete_marker(), deleted.version_id()), (Some(true), Some("null")));
    let listed = app.client.list_object_versions().bucket("life").send().await.unwrap();
    assert_eq!(listed.versions().len(), 2);
    assert_eq!(listed.delete_markers().len(), 1);

    // The bucket cannot be deleted while versions or markers remain.
    let err = app.client.delete_bucket().bucket("life").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("BucketNotEmpty"));
    app.shutdown().await;
}

#[tokio::test]
async fn versions_that_do_not_exist() {
    let app = TestApp::start().await;
    app.bucket("nov").await;
    set_versioning(&app, "nov", BucketVersioningStatus::Enabled).await;
    let v1 = put_versioned(&app, "nov", "k", "data").await;
    let missing = "0123456789abcdef0123456789abcdef";
    let err = app.client.get_object().bucket("nov").key("k").version_id(missing).send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchVersion"));
    let err = app.client.get_object().bucket("nov").key("k").version_id("not-a-version").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("InvalidArgument"));
    let err = app.client.head_object().bucket("nov").key("k").version_id(missing).send().await.unwrap_err();
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404));
    // Deleting a version that does not exist changes nothing.
    app.client.delete_object().bucket("nov").key("k").version_id(missing).send().await.unwrap();
    let err = app
        .client
        .put_object_tagging()
        .bucket("nov")
        .key("k")
        .version_id(missing)
        .tagging(aws_sdk_s3::types::Tagging::builder().tag_set(aws_sdk_s3::types::Tag::builder().key("a").value("b").build().unwrap()).build().unwrap())
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("NoSuchVersion"));
    assert_eq!(get_text(&app, "nov", "k", Some(&v1)).await, "data");
    let listed = app.client.list_object_versions().bucket("nov").send().await.unwrap();
    assert_eq!(listed.versions().len(), 1);
    app.shutdown().await;
}

#[tokio::test]
async fn bad_versioning_configurations_change_nothing() {
    let app = TestApp::start().await;
    app.bucket("cfg").await;
    let mfa = VersioningConfiguration::builder().status(BucketVersioningStatus::Enabled).mfa_delete(MfaDelete::Enabled).build();
    let err = app.client.put_bucket_versioning().bucket("cfg").versioning_configuration(mfa).send().await.unwrap_err();
    let err = err.into_service_error();
    assert_eq!(err.meta().code(), Some("NotImplemented"));
    assert!(err.meta().message().unwrap_or_default().contains("MFA"));
    let bad = app
        .raw("PUT", "/cfg?versioning")
        .body("<VersioningConfiguration><Status>Sometimes</Status></VersioningConfiguration>")
        .sign(&app.root.access_key_id, &app.root.secret_access_key)
        .send()
        .await;
    assert_eq!(bad.error_code().as_deref(), Some("IllegalVersioningConfigurationException"));
    let malformed =
        app.raw("PUT", "/cfg?versioning").body("<VersioningConfiguration><Status>").sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(malformed.error_code().as_deref(), Some("MalformedXML"));
    let status = app.client.get_bucket_versioning().bucket("cfg").send().await.unwrap();
    assert_eq!(status.status(), None, "no bad request changed the state");
    app.shutdown().await;
}

#[tokio::test]
async fn list_object_versions_markers_prefixes_and_pages() {
    let app = TestApp::start().await;
    app.bucket("pages").await;
    set_versioning(&app, "pages", BucketVersioningStatus::Enabled).await;
    let mut expected = Vec::new();
    for key in ["a/1", "a/2", "b", "c"] {
        let mut ids = Vec::new();
        for n in 0..3 {
            ids.push(put_versioned(&app, "pages", key, &format!("{key}-{n}")).await);
        }
        ids.reverse();
        for id in ids {
            expected.push((key.to_owned(), id));
        }
    }
    app.client.delete_object().bucket("pages").key("b").send().await.unwrap();
    // Walk everything in pages of 2 (versions and markers interleaved by key).
    let mut seen = Vec::new();
    let (mut key_marker, mut version_marker) = (None::<String>, None::<String>);
    loop {
        let page = app
            .client
            .list_object_versions()
            .bucket("pages")
            .max_keys(2)
            .set_key_marker(key_marker.clone())
            .set_version_id_marker(version_marker.clone())
            .send()
            .await
            .unwrap();
        let mut entries: Vec<(String, String, bool)> =
            page.versions().iter().map(|v| (v.key().unwrap().to_owned(), v.version_id().unwrap().to_owned(), false)).collect();
        entries.extend(page.delete_markers().iter().map(|m| (m.key().unwrap().to_owned(), m.version_id().unwrap().to_owned(), true)));
        assert!(entries.len() <= 2);
        seen.extend(entries);
        if page.is_truncated() != Some(true) {
            break;
        }
        key_marker = page.next_key_marker().map(str::to_owned);
        version_marker = page.next_version_id_marker().map(str::to_owned);
    }
    let versions: Vec<(String, String)> = seen.iter().filter(|e| !e.2).map(|e| (e.0.clone(), e.1.clone())).collect();
    assert_eq!(versions, expected);
    assert_eq!(seen.iter().filter(|e| e.2).count(), 1);

    // Prefix and delimiter roll keys up.
    let rolled = app.client.list_object_versions().bucket("pages").delimiter("/").send().await.unwrap();
    let prefixes: Vec<&str> = rolled.common_prefixes().iter().map(|p| p.prefix().unwrap()).collect();
    assert_eq!(prefixes, vec!["a/"]);
    assert!(rolled.versions().iter().all(|v| !v.key().unwrap().starts_with("a/")));
    let under = app.client.list_object_versions().bucket("pages").prefix("a/").send().await.unwrap();
    assert_eq!(under.versions().len(), 6);
    app.shutdown().await;
}

#[tokio::test]
async fn delete_objects_with_version_ids() {
    let app = TestApp::start().await;
    app.bucket("multi").await;
    set_versioning(&app, "multi", BucketVersioningStatus::Enabled).await;
    let v1 = put_versioned(&app, "multi", "k", "1").await;
    let v2 = put_versioned(&app, "multi", "k", "2").await;
    let delete = Delete::builder()
        .objects(ObjectIdentifier::builder().key("k").version_id(&v1).build().unwrap())
        .objects(ObjectIdentifier::builder().key("other").build().unwrap())
        .build()
        .unwrap();
    let out = app.client.delete_objects().bucket("multi").delete(delete).send().await.unwrap();
    assert_eq!(out.deleted().len(), 2);
    let versioned = out.deleted().iter().find(|d| d.key() == Some("k")).unwrap();
    assert_eq!(versioned.version_id(), Some(v1.as_str()));
    let marker = out.deleted().iter().find(|d| d.key() == Some("other")).unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    assert!(marker.delete_marker_version_id().is_some());
    let listed = app.client.list_object_versions().bucket("multi").prefix("k").send().await.unwrap();
    let ids: Vec<&str> = listed.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids, vec![v2.as_str()]);
    app.shutdown().await;
}

#[tokio::test]
async fn old_versions_keep_their_blobs_until_deleted() {
    let app = TestApp::start().await;
    app.bucket("blobs").await;
    set_versioning(&app, "blobs", BucketVersioningStatus::Enabled).await;
    // Large enough to live in blob files rather than inline in the catalog.
    let (first, second) = ("1".repeat(20_000), "2".repeat(20_000));
    let v1 = put_versioned(&app, "blobs", "k", &first).await;
    let v2 = put_versioned(&app, "blobs", "k", &second).await;
    assert_eq!(app.blob_files().len(), 2);
    app.client.delete_object().bucket("blobs").key("k").send().await.unwrap();
    assert_eq!(app.blob_files().len(), 2, "a delete marker frees nothing");
    app.client.delete_object().bucket("blobs").key("k").version_id(&v1).send().await.unwrap();
    wait_until("1 blob files remain", || async { app.blob_files().len() == 1 }).await;
    assert_eq!(get_text(&app, "blobs", "k", Some(&v2)).await, second);
    app.shutdown().await;
}

#[tokio::test]
async fn metadata_replacement_on_a_versioned_bucket_makes_a_new_version() {
    let app = TestApp::start().await;
    app.bucket("meta").await;
    set_versioning(&app, "meta", BucketVersioningStatus::Enabled).await;
    let v1 = put_versioned(&app, "meta", "k", "body").await;
    let copied = app
        .client
        .copy_object()
        .bucket("meta")
        .key("k")
        .copy_source("meta/k")
        .metadata_directive(aws_sdk_s3::types::MetadataDirective::Replace)
        .metadata("description", "updated")
        .send()
        .await
        .unwrap();
    let v2 = copied.version_id().unwrap().to_owned();
    assert_ne!(v1, v2);
    let head = app.client.head_object().bucket("meta").key("k").send().await.unwrap();
    assert_eq!(head.metadata().and_then(|m| m.get("description")).map(String::as_str), Some("updated"));
    let old = app.client.head_object().bucket("meta").key("k").version_id(&v1).send().await.unwrap();
    assert_eq!(old.metadata().and_then(|m| m.get("description")), None);
    assert_eq!(get_text(&app, "meta", "k", None).await, "body");
    let events = crate::common::outbox_events(&app).await;
    assert!(events.iter().any(|e| e["type"] == "OBJECT_UPDATED" && e["eventName"] == "ObjectCreated:Copy"), "{events:?}");
    assert!(events.iter().any(|e| e["type"] == "BUCKET_UPDATED"));
    app.shutdown().await;
}
