//! Fault tests for the catalog and the disk, in process through the catalog's failpoints:
//! a commit whose answer is lost (as when PostgreSQL's connection drops at COMMIT), a
//! failed fsync of the SQLite WAL, and the free-space reserve. What a user relies on: a
//! failed write never leaves a row without its bytes (a later GET answers the bytes or
//! 404, never 500), writes after a failed fsync are refused with a clear error until a
//! restart, a full disk answers `507 InsufficientStorage` while reads and deletes work,
//! and health says why.

use std::collections::BTreeSet;
use std::fmt::Debug;

use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use sqlx::Row;

use crate::common::{blob_body, wait_until, TestApp};

/// Status, S3 error code and message of a call that must fail.
fn refusal<T: Debug, E: ProvideErrorMetadata + Debug>(result: Result<T, SdkError<E, HttpResponse>>) -> (u16, String, String) {
    let err = result.expect_err("the request should fail");
    let status = err.raw_response().map(|r| r.status().as_u16()).unwrap_or_else(|| panic!("no response: {err:?}"));
    (status, err.code().unwrap_or_default().to_owned(), err.message().unwrap_or_default().to_owned())
}

/// The object's bytes, or the status GET answered with (0: the body broke off).
async fn get(app: &TestApp, bucket: &str, key: &str) -> Result<Vec<u8>, u16> {
    match app.client.get_object().bucket(bucket).key(key).send().await {
        // A body that breaks off (its blob is missing) counts as status 0.
        Ok(out) => out.body.collect().await.map(|b| b.into_bytes().to_vec()).map_err(|_| 0),
        Err(e) => Err(e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0)),
    }
}

/// A write that failed may or may not be stored; if a GET finds it, its bytes are right.
async fn assert_bytes_or_absent(app: &TestApp, bucket: &str, key: &str, sent: &[u8]) -> bool {
    match get(app, bucket, key).await {
        Ok(bytes) => {
            assert!(bytes == sent, "{key}: a failed write is visible with other bytes");
            true
        }
        Err(404) => false,
        Err(status) => panic!("{key}: GET after a failed write answered {status}, not the bytes or 404"),
    }
}

/// Every blob a catalog row refers to is on disk.
async fn assert_referenced_blobs_exist(app: &TestApp) {
    let mut db = app.db().await;
    let rows = sqlx::query("SELECT blob_id FROM object_parts WHERE blob_id IS NOT NULL UNION SELECT blob_id FROM upload_parts")
        .fetch_all(&mut db)
        .await
        .expect("read blob references");
    let on_disk: BTreeSet<String> = app.blob_files().iter().filter_map(|p| p.file_name()?.to_str().map(str::to_owned)).collect();
    for row in rows {
        let blob_id: String = row.get("blob_id");
        assert!(on_disk.contains(&blob_id), "blob {blob_id} is referenced by the catalog but not on disk");
    }
}

async fn blob_gc_queue_len(app: &TestApp) -> i64 {
    let mut db = app.db().await;
    sqlx::query("SELECT COUNT(*) AS n FROM blob_gc").fetch_one(&mut db).await.expect("count the GC queue").get("n")
}

async fn health(app: &TestApp) -> (u16, serde_json::Value) {
    let resp = app.raw("GET", "/_depot/health").send().await;
    (resp.status, serde_json::from_slice(&resp.body).expect("health is JSON"))
}

/// Waits until background writers (outbox relay, indexer) have nothing left to commit,
/// so that a failpoint armed next meets the test's own write.
async fn settle(app: &TestApp) {
    wait_until("the outbox is relayed and indexed", || async { app.state().catalog.outbox_lag().await.is_ok_and(|lag| lag.unsent == 0 && lag.unindexed == 0) })
        .await;
}

#[tokio::test]
async fn a_lost_commit_answer_keeps_the_blob_of_a_committed_put() {
    let app = TestApp::start().await;
    app.bucket("lost").await;
    let data = blob_body(b"committed-but-unconfirmed");
    app.state().catalog.lose_next_commit_ack(true);
    let (status, code, message) = refusal(app.client.put_object().bucket("lost").key("k").body(data.clone().into()).send().await);
    assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"), "{message}");
    assert!(message.contains("may or may not be stored"), "{message}");
    // The row is committed: the blob must stay, through the collector's pass too.
    assert_eq!(get(&app, "lost", "k").await, Ok(data.clone()));
    wait_until("the collector looked at the queued blob", || async { blob_gc_queue_len(&app).await == 0 }).await;
    assert_eq!(get(&app, "lost", "k").await, Ok(data), "the collector kept the referenced blob");
    assert_referenced_blobs_exist(&app).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_lost_commit_answer_of_a_rolled_back_put_frees_its_blob() {
    let app = TestApp::start().await;
    app.bucket("lost").await;
    app.put("lost", "other", blob_body(b"other")).await;
    let blobs_before = app.blob_files().len();
    app.state().catalog.lose_next_commit_ack(false);
    let (status, code, _) = refusal(app.client.put_object().bucket("lost").key("k").body(blob_body(b"rolled-back").into()).send().await);
    assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"));
    assert_eq!(get(&app, "lost", "k").await, Err(404));
    wait_until("the collector freed the unreferenced blob", || async { app.blob_files().len() == blobs_before && blob_gc_queue_len(&app).await == 0 }).await;
    assert_eq!(get(&app, "lost", "other").await, Ok(blob_body(b"other")));
    app.shutdown().await;
}

#[tokio::test]
async fn a_failed_wal_fsync_turns_writes_off_until_a_restart() {
    let mut app = TestApp::start().await;
    app.bucket("wal").await;
    let before = blob_body(b"before");
    app.put("wal", "before", before.clone()).await;
    settle(&app).await;
    if !app.state().catalog.fail_next_wal_sync() {
        println!("SKIP: the catalog has no WAL to sync (PostgreSQL)");
        return app.shutdown().await;
    }
    let during = blob_body(b"during");
    let (status, code, message) = refusal(app.client.put_object().bucket("wal").key("during").body(during.clone().into()).send().await);
    assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"), "{message}");
    assert!(message.contains("failed fsync of the catalog"), "{message}");
    // SQLite committed before the fsync failed: the row may be there; then so is its blob.
    assert_bytes_or_absent(&app, "wal", "during", &during).await;
    assert_referenced_blobs_exist(&app).await;

    // Every later write fails at once, the same way; reads work.
    let refused = [
        refusal(app.client.put_object().bucket("wal").key("later").body(b"small".to_vec().into()).send().await),
        refusal(app.client.put_object().bucket("wal").key("later-blob").body(blob_body(b"later").into()).send().await),
        refusal(app.client.delete_object().bucket("wal").key("before").send().await),
        refusal(app.client.create_bucket().bucket("wal-2").send().await),
        refusal(app.client.create_multipart_upload().bucket("wal").key("mp").send().await),
    ];
    for (status, code, message) in refused {
        assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"), "{message}");
        assert!(message.contains("failed fsync of the catalog"), "{message}");
    }
    assert_eq!(get(&app, "wal", "before").await, Ok(before.clone()));
    let (status, body) = health(&app).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["status"], "error", "{body}");
    assert_eq!(body["checks"]["catalog"]["status"], "error", "{body}");
    assert!(body["checks"]["catalog"]["reason"].as_str().is_some_and(|r| r.contains("failed fsync")), "{body}");
    assert_referenced_blobs_exist(&app).await;

    // A restart recovers the catalog from disk, with writes on again.
    app.restart().await;
    assert_eq!(get(&app, "wal", "before").await, Ok(before));
    let during_kept = assert_bytes_or_absent(&app, "wal", "during", &during).await;
    println!("the PUT whose fsync failed is {}", if during_kept { "stored" } else { "absent" });
    app.put("wal", "after", blob_body(b"after")).await;
    assert_eq!(health(&app).await.0, 200);
    assert_referenced_blobs_exist(&app).await;
    app.shutdown().await;
}

#[tokio::test]
async fn a_failed_wal_fsync_during_upload_part_keeps_a_recorded_part() {
    let mut app = TestApp::start().await;
    app.bucket("wal").await;
    let upload = app.client.create_multipart_upload().bucket("wal").key("mp").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id").to_owned();
    let part = vec![b'p'; 5 * 1024 * 1024];
    settle(&app).await;
    if !app.state().catalog.fail_next_wal_sync() {
        println!("SKIP: the catalog has no WAL to sync (PostgreSQL)");
        return app.shutdown().await;
    }
    let (status, code, message) =
        refusal(app.client.upload_part().bucket("wal").key("mp").upload_id(&upload_id).part_number(1).body(part.clone().into()).send().await);
    assert_eq!((status, code.as_str()), (503, "ServiceUnavailable"), "{message}");
    assert_referenced_blobs_exist(&app).await;

    app.restart().await;
    assert_referenced_blobs_exist(&app).await;
    let parts = app.client.list_parts().bucket("wal").key("mp").upload_id(&upload_id).send().await.expect("list parts");
    let recorded: Vec<CompletedPart> =
        parts.parts().iter().map(|p| CompletedPart::builder().part_number(p.part_number().unwrap_or(0)).e_tag(p.e_tag().unwrap_or_default()).build()).collect();
    println!("parts recorded despite the failed fsync: {}", recorded.len());
    if recorded.is_empty() {
        // Not recorded: upload it again.
        app.client.upload_part().bucket("wal").key("mp").upload_id(&upload_id).part_number(1).body(part.clone().into()).send().await.expect("upload part");
    }
    let parts = app.client.list_parts().bucket("wal").key("mp").upload_id(&upload_id).send().await.expect("list parts");
    let completed: Vec<CompletedPart> =
        parts.parts().iter().map(|p| CompletedPart::builder().part_number(p.part_number().unwrap_or(0)).e_tag(p.e_tag().unwrap_or_default()).build()).collect();
    app.client
        .complete_multipart_upload()
        .bucket("wal")
        .key("mp")
        .upload_id(&upload_id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(completed)).build())
        .send()
        .await
        .expect("complete");
    assert_eq!(get(&app, "wal", "mp").await, Ok(part));
    app.shutdown().await;
}

#[tokio::test]
async fn at_the_free_space_reserve_writes_get_507_and_reads_and_deletes_work() {
    let mut app = TestApp::start().await;
    app.bucket("full").await;
    let keep = blob_body(b"keep");
    app.put("full", "keep", keep.clone()).await;
    app.put("full", "gone", blob_body(b"gone")).await;
    app.put("full", "gone-too", b"small".to_vec()).await;
    let upload = app.client.create_multipart_upload().bucket("full").key("mp").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id").to_owned();
    // A reserve no disk has: every write that grows storage is below it.
    app.restart_with(|c| c.min_free_bytes = u64::MAX).await;

    let c = &app.client;
    let refused = [
        ("PutObject", refusal(c.put_object().bucket("full").key("new").body(b"x".to_vec().into()).send().await)),
        ("CreateBucket", refusal(c.create_bucket().bucket("full-2").send().await)),
        ("CopyObject", refusal(c.copy_object().bucket("full").key("copy").copy_source("full/keep").send().await)),
        ("CreateMultipartUpload", refusal(c.create_multipart_upload().bucket("full").key("mp-2").send().await)),
        ("UploadPart", refusal(c.upload_part().bucket("full").key("mp").upload_id(&upload_id).part_number(1).body(b"p".to_vec().into()).send().await)),
        ("UploadPartCopy", refusal(c.upload_part_copy().bucket("full").key("mp").upload_id(&upload_id).part_number(2).copy_source("full/keep").send().await)),
        (
            "CompleteMultipartUpload",
            refusal(
                c.complete_multipart_upload()
                    .bucket("full")
                    .key("mp")
                    .upload_id(&upload_id)
                    .multipart_upload(CompletedMultipartUpload::builder().build())
                    .send()
                    .await,
            ),
        ),
    ];
    for (operation, (status, code, message)) in refused {
        assert_eq!((status, code.as_str()), (507, "InsufficientStorage"), "{operation}: {message}");
        assert!(message.contains("minimum free drive threshold"), "{operation}: {message}");
    }
    // Reads and deletes are never refused.
    assert_eq!(get(&app, "full", "keep").await, Ok(keep));
    app.client.list_objects_v2().bucket("full").send().await.expect("list");
    app.client.delete_object().bucket("full").key("gone").send().await.expect("delete at the reserve");
    let batch = aws_sdk_s3::types::Delete::builder()
        .objects(aws_sdk_s3::types::ObjectIdentifier::builder().key("gone-too").build().expect("identifier"))
        .build()
        .expect("delete");
    let out = app.client.delete_objects().bucket("full").delete(batch).send().await.expect("delete objects at the reserve");
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    app.client.abort_multipart_upload().bucket("full").key("mp").upload_id(&upload_id).send().await.expect("abort at the reserve");
    assert_eq!(get(&app, "full", "gone").await, Err(404));
    assert_eq!(get(&app, "full", "gone-too").await, Err(404));

    // Health says why, without failing (restarting would not help).
    let (status, body) = health(&app).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "degraded", "{body}");
    let storage = &body["checks"]["storage"];
    assert_eq!(storage["status"], "degraded", "{body}");
    assert_eq!(storage["min_free_bytes"], u64::MAX, "{body}");
    assert!(storage["free_bytes"].as_u64().is_some_and(|free| free > 0), "{body}");
    assert!(storage["reason"].as_str().is_some_and(|r| r.contains("below the reserve") && r.contains("507")), "{body}");

    // Space back (here: the reserve off): writes work, health is ok.
    app.restart_with(|c| c.min_free_bytes = 0).await;
    app.put("full", "new", b"x".to_vec()).await;
    let (status, body) = health(&app).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")), "{body}");
    app.shutdown().await;
}

#[tokio::test]
async fn the_reserve_is_checked_after_authorization() {
    let mut app = TestApp::start().await;
    app.bucket("full").await;
    app.restart_with(|c| c.min_free_bytes = u64::MAX).await;
    let resp = app.raw("PUT", "/full/anonymous").body(b"x".to_vec()).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("AccessDenied")), "an anonymous client learns nothing of the disk");
    app.shutdown().await;
}
