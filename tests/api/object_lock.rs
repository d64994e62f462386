//! Object lock through the SDK: a bucket created with object lock (versioning on for
//! good), its configuration and default retention, retention and legal hold set by
//! headers and by Put/GetObjectRetention and Put/GetObjectLegalHold, and the promise
//! itself: nobody, root included, removes a locked version before its date (COMPLIANCE),
//! without bypass (GOVERNANCE) or while it is held; DeleteObject without a version id
//! still adds a delete marker; DeleteObjects refuses the locked keys one by one;
//! DeleteBucket fails while versions remain; lifecycle rules skip locked versions; the
//! bytes stay readable throughout.

use std::time::Duration;

use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{
    BucketVersioningStatus, DefaultRetention, Delete, ExpirationStatus, LifecycleRule, LifecycleRuleFilter, NoncurrentVersionExpiration, ObjectIdentifier,
    ObjectLockConfiguration, ObjectLockEnabled, ObjectLockLegalHold, ObjectLockLegalHoldStatus, ObjectLockMode, ObjectLockRetention, ObjectLockRetentionMode,
    ObjectLockRule, VersioningConfiguration,
};
use depot::lifecycle::Worker;

use crate::common::{content_md5, s3_error, TestApp};

/// Seconds since the Unix epoch, now.
fn now_secs() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64
}

fn in_days(days: i64) -> DateTime {
    DateTime::from_secs(now_secs() + days * 86_400)
}

async fn locked_bucket(app: &TestApp, name: &str) {
    app.client.create_bucket().bucket(name).object_lock_enabled_for_bucket(true).send().await.expect("CreateBucket with object lock");
}

/// PUTs `key` with a retention of `mode` for `days`; returns its version id.
async fn put_locked(app: &TestApp, bucket: &str, key: &str, body: &[u8], mode: ObjectLockMode, days: i64) -> String {
    let out = app
        .client
        .put_object()
        .bucket(bucket)
        .key(key)
        .object_lock_mode(mode)
        .object_lock_retain_until_date(in_days(days))
        .body(ByteStream::from(body.to_vec()))
        .send()
        .await
        .expect("PUT with a retention");
    out.version_id().expect("a version id").to_owned()
}

async fn read_version(app: &TestApp, bucket: &str, key: &str, version_id: &str) -> Vec<u8> {
    let out = app.client.get_object().bucket(bucket).key(key).version_id(version_id).send().await.expect("GET the version");
    out.body.collect().await.expect("body").into_bytes().to_vec()
}

#[tokio::test]
async fn a_bucket_with_object_lock_keeps_versioning_and_its_configuration() {
    let app = TestApp::start().await;
    locked_bucket(&app, "vault").await;
    let versioning = app.client.get_bucket_versioning().bucket("vault").send().await.unwrap();
    assert_eq!(versioning.status(), Some(&BucketVersioningStatus::Enabled));
    let config = app.client.get_object_lock_configuration().bucket("vault").send().await.expect("GetObjectLockConfiguration");
    let config = config.object_lock_configuration().expect("a configuration");
    assert_eq!(config.object_lock_enabled(), Some(&ObjectLockEnabled::Enabled));
    assert!(config.rule().is_none());

    // Versioning cannot be suspended.
    let suspend = app
        .client
        .put_bucket_versioning()
        .bucket("vault")
        .versioning_configuration(VersioningConfiguration::builder().status(BucketVersioningStatus::Suspended).build())
        .send()
        .await;
    assert_eq!(s3_error(suspend), (409, "InvalidBucketState".to_owned()));

    // A default retention.
    let default = ObjectLockConfiguration::builder()
        .object_lock_enabled(ObjectLockEnabled::Enabled)
        .rule(ObjectLockRule::builder().default_retention(DefaultRetention::builder().mode(ObjectLockRetentionMode::Governance).days(2).build()).build())
        .build();
    app.client.put_object_lock_configuration().bucket("vault").object_lock_configuration(default).send().await.expect("PutObjectLockConfiguration");
    let got = app.client.get_object_lock_configuration().bucket("vault").send().await.unwrap();
    let retention = got.object_lock_configuration().and_then(|c| c.rule()).and_then(|r| r.default_retention()).expect("the default retention");
    assert_eq!((retention.mode(), retention.days(), retention.years()), (Some(&ObjectLockRetentionMode::Governance), Some(2), None));

    // A new object without headers gets it.
    app.put("vault", "plain.txt", b"default retention".to_vec()).await;
    let held = app.client.get_object_retention().bucket("vault").key("plain.txt").send().await.expect("GetObjectRetention");
    let held = held.retention().expect("a retention");
    assert_eq!(held.mode(), Some(&ObjectLockRetentionMode::Governance));
    let until = held.retain_until_date().expect("a date").secs();
    assert!((now_secs() + 2 * 86_400 - 60..=now_secs() + 2 * 86_400 + 1).contains(&until), "{until}");

    // Refusals: a bad document (nothing stored changes), object lock on an unversioned
    // bucket, lock headers and retention calls on a bucket without object lock.
    let bad = "<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days><Years>1</Years></DefaultRetention></Rule></ObjectLockConfiguration>";
    let resp = app.send_signed(app.raw("PUT", "/vault?object-lock").header("content-md5", &content_md5(bad.as_bytes())).body(bad)).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("MalformedXML")), "{}", resp.text());
    let resp = app.send_signed(app.raw("GET", "/vault?object-lock")).await;
    assert!(resp.text().contains("<Days>2</Days>"), "{}", resp.text());
    app.bucket("plain-bucket").await;
    let enable = ObjectLockConfiguration::builder().object_lock_enabled(ObjectLockEnabled::Enabled).build();
    let refused = app.client.put_object_lock_configuration().bucket("plain-bucket").object_lock_configuration(enable).send().await;
    assert_eq!(s3_error(refused), (409, "InvalidBucketState".to_owned()));
    assert_eq!(
        s3_error(app.client.get_object_lock_configuration().bucket("plain-bucket").send().await),
        (404, "ObjectLockConfigurationNotFoundError".to_owned())
    );
    let with_headers = app
        .client
        .put_object()
        .bucket("plain-bucket")
        .key("k")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_days(1))
        .body(ByteStream::from_static(b"x"))
        .send()
        .await;
    assert_eq!(s3_error(with_headers), (400, "InvalidRequest".to_owned()));
    assert!(app.keys("plain-bucket").await.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn a_compliance_version_cannot_be_removed_by_anyone_before_its_date() {
    let app = TestApp::start().await;
    locked_bucket(&app, "vault").await;
    let v1 = put_locked(&app, "vault", "records/2026.csv", b"the ledger", ObjectLockMode::Compliance, 30).await;

    let head = app.client.head_object().bucket("vault").key("records/2026.csv").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert!(head.object_lock_retain_until_date().is_some());
    // No legal hold was ever set: no header, and none to get (as S3 answers).
    assert_eq!(head.object_lock_legal_hold_status(), None);
    let never_held = app.client.get_object_legal_hold().bucket("vault").key("records/2026.csv").version_id(&v1).send().await;
    assert_eq!(s3_error(never_held), (404, "NoSuchObjectLockConfiguration".to_owned()));

    // Root, with or without the bypass header: refused, and the bytes stay.
    let refused = app.client.delete_object().bucket("vault").key("records/2026.csv").version_id(&v1).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    let refused = app.client.delete_object().bucket("vault").key("records/2026.csv").version_id(&v1).bypass_governance_retention(true).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    let batch = app
        .client
        .delete_objects()
        .bucket("vault")
        .delete(Delete::builder().objects(ObjectIdentifier::builder().key("records/2026.csv").version_id(&v1).build().unwrap()).build().unwrap())
        .send()
        .await
        .expect("DeleteObjects answers per key");
    assert_eq!(batch.errors().iter().map(|e| e.code().unwrap_or("")).collect::<Vec<_>>(), ["AccessDenied"]);
    assert!(batch.deleted().is_empty());
    // On a bucket with object lock, DeleteObjects must carry Content-MD5 or a checksum.
    let doc = format!("<Delete><Object><Key>records/2026.csv</Key><VersionId>{v1}</VersionId></Object></Delete>");
    let resp = app.send_signed(app.raw("POST", "/vault?delete").body(doc)).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidRequest")), "{}", resp.text());

    // Shortening or removing the retention is refused; extending it is allowed.
    let shorter = ObjectLockRetention::builder().mode(ObjectLockRetentionMode::Compliance).retain_until_date(in_days(1)).build();
    let refused = app
        .client
        .put_object_retention()
        .bucket("vault")
        .key("records/2026.csv")
        .version_id(&v1)
        .retention(shorter)
        .bypass_governance_retention(true)
        .send()
        .await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    let to_governance = ObjectLockRetention::builder().mode(ObjectLockRetentionMode::Governance).retain_until_date(in_days(60)).build();
    let refused = app.client.put_object_retention().bucket("vault").key("records/2026.csv").version_id(&v1).retention(to_governance).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    let longer = ObjectLockRetention::builder().mode(ObjectLockRetentionMode::Compliance).retain_until_date(in_days(365)).build();
    app.client.put_object_retention().bucket("vault").key("records/2026.csv").version_id(&v1).retention(longer).send().await.expect("extending is allowed");
    let now = app.client.get_object_retention().bucket("vault").key("records/2026.csv").version_id(&v1).send().await.unwrap();
    assert!(now.retention().and_then(|r| r.retain_until_date()).expect("date").secs() > now_secs() + 300 * 86_400);

    // A delete without a version id adds a delete marker; the version stays.
    let marked = app.client.delete_object().bucket("vault").key("records/2026.csv").send().await.expect("DELETE adds a marker");
    assert_eq!(marked.delete_marker(), Some(true));
    assert_eq!(read_version(&app, "vault", "records/2026.csv", &v1).await, b"the ledger");
    // Removing the marker is allowed (it is not locked).
    let marker = marked.version_id().expect("the marker's version id").to_owned();
    app.client.delete_object().bucket("vault").key("records/2026.csv").version_id(&marker).send().await.expect("the marker may go");

    // The bucket cannot be deleted while the version remains.
    assert_eq!(s3_error(app.client.delete_bucket().bucket("vault").send().await), (409, "BucketNotEmpty".to_owned()));
    assert_eq!(app.get("vault", "records/2026.csv").await, b"the ledger");
    app.shutdown().await;
}

#[tokio::test]
async fn governance_yields_only_to_bypass_and_legal_hold_to_nothing() {
    let app = TestApp::start().await;
    locked_bucket(&app, "gov").await;
    let v1 = put_locked(&app, "gov", "doc", b"governed", ObjectLockMode::Governance, 30).await;
    let refused = app.client.delete_object().bucket("gov").key("doc").version_id(&v1).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    // Shortening without bypass: refused; with it: allowed.
    let shorter = || ObjectLockRetention::builder().mode(ObjectLockRetentionMode::Governance).retain_until_date(in_days(1)).build();
    let refused = app.client.put_object_retention().bucket("gov").key("doc").version_id(&v1).retention(shorter()).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    app.client
        .put_object_retention()
        .bucket("gov")
        .key("doc")
        .version_id(&v1)
        .retention(shorter())
        .bypass_governance_retention(true)
        .send()
        .await
        .expect("bypass");

    // A legal hold blocks even a bypass.
    let hold = |status| ObjectLockLegalHold::builder().status(status).build();
    app.client.put_object_legal_hold().bucket("gov").key("doc").version_id(&v1).legal_hold(hold(ObjectLockLegalHoldStatus::On)).send().await.expect("hold");
    let got = app.client.get_object_legal_hold().bucket("gov").key("doc").version_id(&v1).send().await.unwrap();
    assert_eq!(got.legal_hold().and_then(|h| h.status()), Some(&ObjectLockLegalHoldStatus::On));
    let refused = app.client.delete_object().bucket("gov").key("doc").version_id(&v1).bypass_governance_retention(true).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()));
    assert_eq!(read_version(&app, "gov", "doc", &v1).await, b"governed");

    // Released, the bypass deletes it.
    app.client.put_object_legal_hold().bucket("gov").key("doc").version_id(&v1).legal_hold(hold(ObjectLockLegalHoldStatus::Off)).send().await.expect("release");
    let got = app.client.get_object_legal_hold().bucket("gov").key("doc").version_id(&v1).send().await.unwrap();
    assert_eq!(got.legal_hold().and_then(|h| h.status()), Some(&ObjectLockLegalHoldStatus::Off), "a released hold reads OFF");
    let head = app.client.head_object().bucket("gov").key("doc").version_id(&v1).send().await.unwrap();
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::Off));
    app.client.delete_object().bucket("gov").key("doc").version_id(&v1).bypass_governance_retention(true).send().await.expect("bypass deletes");
    assert!(app.client.list_object_versions().bucket("gov").send().await.unwrap().versions().is_empty());

    // Another user the bucket policy lets write and delete versions, but not bypass
    // nor set retentions: a GOVERNANCE version stays, and lock headers are refused.
    let v2 = put_locked(&app, "gov", "doc2", b"second", ObjectLockMode::Governance, 30).await;
    let (key, secret) = app.create_user("mallory").await;
    let mallory = app.client_for(&key, &secret, None);
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/mallory"},"Action":["s3:PutObject","s3:GetObject","s3:DeleteObject","s3:DeleteObjectVersion"],"Resource":"arn:aws:s3:::gov/*"}]}"#;
    app.client.put_bucket_policy().bucket("gov").policy(policy).send().await.expect("policy");
    let refused = mallory.delete_object().bucket("gov").key("doc2").version_id(&v2).bypass_governance_retention(true).send().await;
    assert_eq!(s3_error(refused), (403, "AccessDenied".to_owned()), "no s3:BypassGovernanceRetention");
    // A reader without s3:GetObjectRetention / s3:GetObjectLegalHold sees no lock headers.
    app.client.put_object_legal_hold().bucket("gov").key("doc2").legal_hold(hold(ObjectLockLegalHoldStatus::Off)).send().await.expect("hold set OFF");
    let head = mallory.head_object().bucket("gov").key("doc2").send().await.expect("mallory may read");
    assert_eq!((head.object_lock_mode(), head.object_lock_legal_hold_status()), (None, None));
    let head = app.client.head_object().bucket("gov").key("doc2").send().await.unwrap();
    assert_eq!(
        (head.object_lock_mode(), head.object_lock_legal_hold_status()),
        (Some(&ObjectLockMode::Governance), Some(&ObjectLockLegalHoldStatus::Off)),
        "the owner sees them"
    );
    let refused = mallory.put_object_legal_hold().bucket("gov").key("doc2").legal_hold(hold(ObjectLockLegalHoldStatus::Off)).send().await;
    assert_eq!(s3_error(refused).0, 403);
    let forever = mallory
        .put_object()
        .bucket("gov")
        .key("mallorys")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_days(36_000))
        .body(ByteStream::from_static(b"undeletable?"))
        .send()
        .await;
    assert_eq!(s3_error(forever), (403, "AccessDenied".to_owned()), "write access alone must not lock a version");
    mallory.put_object().bucket("gov").key("mallorys").body(ByteStream::from_static(b"plain")).send().await.expect("a plain PUT is allowed");
    assert_eq!(read_version(&app, "gov", "doc2", &v2).await, b"second");

    // CopyObject takes lock headers too (no body, so no digest is asked for).
    let copied = app
        .client
        .copy_object()
        .bucket("gov")
        .key("copy")
        .copy_source("gov/doc2")
        .object_lock_mode(ObjectLockMode::Governance)
        .object_lock_retain_until_date(in_days(5))
        .send()
        .await
        .expect("CopyObject with a retention");
    let copy_version = copied.version_id().expect("version").to_owned();
    let retention = app.client.get_object_retention().bucket("gov").key("copy").version_id(&copy_version).send().await.unwrap();
    assert_eq!(retention.retention().and_then(|r| r.mode()), Some(&ObjectLockRetentionMode::Governance));

    // A retention date in the past is refused.
    let past = ObjectLockRetention::builder().mode(ObjectLockRetentionMode::Governance).retain_until_date(in_days(-1)).build();
    let refused = app.client.put_object_retention().bucket("gov").key("doc2").version_id(&v2).retention(past).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidArgument".to_owned()));
    app.shutdown().await;
}

#[tokio::test]
async fn multipart_uploads_carry_their_lock_and_lifecycle_skips_locked_versions() {
    let app = TestApp::start().await;
    locked_bucket(&app, "multi").await;
    let created = app
        .client
        .create_multipart_upload()
        .bucket("multi")
        .key("big")
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(in_days(10))
        .send()
        .await
        .expect("CreateMultipartUpload with a retention");
    let upload_id = created.upload_id().unwrap().to_owned();
    let part =
        app.client.upload_part().bucket("multi").key("big").upload_id(&upload_id).part_number(1).body(ByteStream::from(vec![5u8; 1000])).send().await.unwrap();
    let done = app
        .client
        .complete_multipart_upload()
        .bucket("multi")
        .key("big")
        .upload_id(&upload_id)
        .multipart_upload(
            aws_sdk_s3::types::CompletedMultipartUpload::builder()
                .parts(aws_sdk_s3::types::CompletedPart::builder().part_number(1).e_tag(part.e_tag().unwrap()).build())
                .build(),
        )
        .send()
        .await
        .expect("complete");
    let v1 = done.version_id().unwrap().to_owned();
    let head = app.client.head_object().bucket("multi").key("big").send().await.unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));

    // A newer version makes v1 noncurrent; a rule that removes noncurrent versions at once
    // still leaves it, locked, where it is. "plain" has an unlocked noncurrent version.
    app.put("multi", "big", b"newer".to_vec()).await;
    app.put("multi", "plain", b"first".to_vec()).await;
    app.put("multi", "plain", b"second".to_vec()).await;
    let rule = LifecycleRule::builder()
        .id("history")
        .filter(LifecycleRuleFilter::builder().prefix("").build())
        .status(ExpirationStatus::Enabled)
        .noncurrent_version_expiration(NoncurrentVersionExpiration::builder().noncurrent_days(1).build())
        .build()
        .unwrap();
    let rules = aws_sdk_s3::types::BucketLifecycleConfiguration::builder().rules(rule).build().unwrap();
    app.client.put_bucket_lifecycle_configuration().bucket("multi").lifecycle_configuration(rules).send().await.expect("lifecycle");
    let state = app.state();
    let mut worker = Worker::new(state.catalog.clone(), state.gc.clone(), state.config.region.clone(), Duration::from_secs(86_400), Duration::from_secs(3600));
    let report = worker.pass_at((now_secs() + 5 * 86_400) * 1000).await;
    // The unlocked noncurrent version of another key goes in the same pass; v1 is due
    // too but locked, so it is skipped.
    assert_eq!((report.noncurrent_deleted, report.skipped, report.failed), (1, 1, 0), "{report:?}");
    assert_eq!(read_version(&app, "multi", "big", &v1).await, vec![5u8; 1000]);
    let left: Vec<String> =
        app.client.list_object_versions().bucket("multi").send().await.unwrap().versions().iter().filter_map(|v| v.key().map(str::to_owned)).collect();
    assert_eq!(left, ["big", "big", "plain"], "v1 and its successor stay; plain keeps only its current version");
    app.shutdown().await;
}

#[tokio::test]
async fn the_collector_frees_other_blobs_but_never_a_locked_versions() {
    let app = TestApp::start().await;
    locked_bucket(&app, "blobs").await;
    // 100 KiB bodies: blob files of their own (small bodies live in the catalog row).
    let locked_body = vec![7u8; 100 * 1024];
    let locked = put_locked(&app, "blobs", "kept", &locked_body, ObjectLockMode::Compliance, 30).await;
    let free = app.client.put_object().bucket("blobs").key("free").body(ByteStream::from(vec![9u8; 100 * 1024])).send().await.unwrap();
    let free_version = free.version_id().unwrap().to_owned();
    assert_eq!(app.blob_files().len(), 2);

    // Every way to remove the locked version is refused, a delete marker hides it, and
    // the unlocked version is deleted for good.
    let refused = app.client.delete_object().bucket("blobs").key("kept").version_id(&locked).bypass_governance_retention(true).send().await;
    assert_eq!(s3_error(refused).0, 403);
    app.client.delete_object().bucket("blobs").key("kept").send().await.expect("a delete marker");
    app.client.delete_object().bucket("blobs").key("free").version_id(&free_version).send().await.expect("the unlocked version goes");

    // The collector frees the unlocked version's blob (the positive control) and leaves
    // the locked one's on disk, readable.
    crate::common::wait_until("the unlocked version's blob is freed", || async { app.blob_files().len() == 1 }).await;
    assert_eq!(read_version(&app, "blobs", "kept", &locked).await, locked_body);
    app.shutdown().await;
}
