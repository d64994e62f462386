//! Server access logging through the SDK: Put/GetBucketLogging (the empty status, a
//! missing or foreign target refused, logging turned off again), and delivery: every
//! request to a logged bucket (a success, a 404, another user's 403) becomes one line in
//! AWS's format in a log object under the target prefix, with the simple and the
//! partitioned key formats, written by the server's writer on its own, when asked, and
//! at shutdown; a bucket without logging leaves nothing behind; `TargetGrants` applied
//! to the log objects.

use aws_sdk_s3::operation::RequestId;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLoggingStatus, BucketLogsPermission, Grantee, LoggingEnabled, PartitionDateSource, PartitionedPrefix, Permission, TargetGrant, TargetObjectKeyFormat,
    Type,
};
use aws_sdk_s3::Client;

use crate::common::{s3_error, wait_until, TestApp};

async fn enable_logging(client: &Client, source: &str, target: &str, prefix: &str, format: Option<TargetObjectKeyFormat>) {
    let enabled = LoggingEnabled::builder().target_bucket(target).target_prefix(prefix).set_target_object_key_format(format).build().expect("LoggingEnabled");
    client
        .put_bucket_logging()
        .bucket(source)
        .bucket_logging_status(BucketLoggingStatus::builder().logging_enabled(enabled).build())
        .send()
        .await
        .expect("PutBucketLogging");
}

/// The log objects under `prefix` in `bucket`: (key, text).
async fn log_objects(app: &TestApp, bucket: &str, prefix: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for key in app.keys(bucket).await.into_iter().filter(|k| k.starts_with(prefix)) {
        let text = String::from_utf8(app.get(bucket, &key).await).expect("a log object is text");
        out.push((key, text));
    }
    out
}

#[tokio::test]
async fn the_logging_status_is_set_read_and_refused_as_s3_does() {
    let app = TestApp::start().await;
    app.bucket("source").await;
    app.bucket("logs").await;
    let status = app.client.get_bucket_logging().bucket("source").send().await.expect("GetBucketLogging");
    assert!(status.logging_enabled().is_none(), "off until turned on");

    // A target that does not exist, or belongs to another user: refused, nothing stored.
    let (key, secret) = app.create_user("bob").await;
    let bob = app.client_for(&key, &secret, None);
    bob.create_bucket().bucket("bobs-logs").send().await.unwrap();
    for target in ["no-such-bucket", "bobs-logs"] {
        let enabled = LoggingEnabled::builder().target_bucket(target).target_prefix("x/").build().unwrap();
        let refused = app
            .client
            .put_bucket_logging()
            .bucket("source")
            .bucket_logging_status(BucketLoggingStatus::builder().logging_enabled(enabled).build())
            .send()
            .await;
        assert_eq!(s3_error(refused), (400, "InvalidTargetBucketForLogging".to_owned()), "{target}");
    }
    assert!(app.client.get_bucket_logging().bucket("source").send().await.unwrap().logging_enabled().is_none());

    let partitioned =
        TargetObjectKeyFormat::builder().partitioned_prefix(PartitionedPrefix::builder().partition_date_source(PartitionDateSource::EventTime).build()).build();
    enable_logging(&app.client, "source", "logs", "access/", Some(partitioned)).await;
    let status = app.client.get_bucket_logging().bucket("source").send().await.unwrap();
    let enabled = status.logging_enabled().expect("on");
    assert_eq!((enabled.target_bucket(), enabled.target_prefix()), ("logs", "access/"));
    let date_source = enabled.target_object_key_format().and_then(|f| f.partitioned_prefix()).and_then(|p| p.partition_date_source());
    assert_eq!(date_source, Some(&PartitionDateSource::EventTime));

    // A target with a default object lock retention would lock every log object.
    app.client.create_bucket().bucket("locked-logs").object_lock_enabled_for_bucket(true).send().await.unwrap();
    let retention = aws_sdk_s3::types::ObjectLockConfiguration::builder()
        .object_lock_enabled(aws_sdk_s3::types::ObjectLockEnabled::Enabled)
        .rule(
            aws_sdk_s3::types::ObjectLockRule::builder()
                .default_retention(aws_sdk_s3::types::DefaultRetention::builder().mode(aws_sdk_s3::types::ObjectLockRetentionMode::Governance).days(1).build())
                .build(),
        )
        .build();
    app.client.put_object_lock_configuration().bucket("locked-logs").object_lock_configuration(retention).send().await.unwrap();
    let enabled = LoggingEnabled::builder().target_bucket("locked-logs").target_prefix("x/").build().unwrap();
    let refused =
        app.client.put_bucket_logging().bucket("source").bucket_logging_status(BucketLoggingStatus::builder().logging_enabled(enabled).build()).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidTargetBucketForLogging".to_owned()));

    // A prefix that would make log keys longer than S3 allows.
    let enabled = LoggingEnabled::builder().target_bucket("logs").target_prefix("p".repeat(600)).build().unwrap();
    let refused =
        app.client.put_bucket_logging().bucket("source").bucket_logging_status(BucketLoggingStatus::builder().logging_enabled(enabled).build()).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidArgument".to_owned()));

    // Another user may not read or change it.
    assert_eq!(s3_error(bob.get_bucket_logging().bucket("source").send().await).0, 403);
    // An empty status turns it off.
    app.client.put_bucket_logging().bucket("source").bucket_logging_status(BucketLoggingStatus::builder().build()).send().await.expect("turn off");
    assert!(app.client.get_bucket_logging().bucket("source").send().await.unwrap().logging_enabled().is_none());
    app.shutdown().await;
}

#[tokio::test]
async fn every_request_to_a_logged_bucket_becomes_a_line_of_a_log_object() {
    let app = TestApp::start().await;
    app.bucket("source").await;
    app.bucket("logs").await;
    app.bucket("quiet").await;
    enable_logging(&app.client, "source", "logs", "src/", None).await;
    depot::access_log::flush(app.state()).await;

    let put = app.client.put_object().bucket("source").key("dir/a file.txt").body(ByteStream::from_static(b"hello log")).send().await.unwrap();
    let put_id = put.request_id().expect("request id").to_owned();
    let get = app.client.get_object().bucket("source").key("dir/a file.txt").send().await.unwrap();
    let get_id = get.request_id().expect("request id").to_owned();
    assert_eq!(s3_error(app.client.get_object().bucket("source").key("missing").send().await).0, 404);
    let (key, secret) = app.create_user("eve").await;
    let eve = app.client_for(&key, &secret, None);
    assert_eq!(s3_error(eve.get_object().bucket("source").key("dir/a file.txt").send().await).0, 403);
    app.put("quiet", "k", b"not logged".to_vec()).await;

    let report = depot::access_log::flush(app.state()).await;
    assert_eq!((report.objects, report.records, report.dropped), (1, 4, 0), "{report:?}");
    let objects = log_objects(&app, "logs", "src/").await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    let (log_key, text) = &objects[0];
    let name = log_key.strip_prefix("src/").expect("under the prefix");
    // YYYY-mm-DD-HH-MM-SS-UniqueString
    assert_eq!(name.len(), 19 + 1 + 16, "{log_key}");
    assert!(name[..19].chars().all(|c| c.is_ascii_digit() || c == '-'), "{log_key}");

    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    let owner = app.state().catalog.bucket("source").await.unwrap().unwrap().owner_id;
    for line in &lines {
        assert!(line.starts_with(&format!("{owner} source [")), "{line}");
        assert!(line.contains(" +0000] 127.0.0.1 "), "{line}");
    }
    let line_of = |id: &str| lines.iter().find(|l| l.contains(id)).copied().unwrap_or_else(|| panic!("no line for request {id}:\n{text}"));
    let put_line = line_of(&put_id);
    assert!(put_line.contains(" REST.PUT.OBJECT dir/a%20file.txt \"PUT /source/dir/a%20file.txt"), "{put_line}");
    assert!(put_line.contains("\" 200 - "), "{put_line}");
    assert!(put_line.contains(" SigV4 "), "{put_line}");
    let get_line = line_of(&get_id);
    assert!(get_line.contains(" REST.GET.OBJECT dir/a%20file.txt ") && get_line.contains("\" 200 - 9 9 "), "{get_line}");
    assert!(lines.iter().any(|l| l.contains(" REST.GET.OBJECT missing ") && l.contains(" 404 NoSuchKey ")), "{text}");
    assert!(lines.iter().any(|l| l.contains(" 403 AccessDenied ")), "another user's refused request is logged too:\n{text}");
    // The log object itself is not a logged request; nothing is left waiting.
    assert_eq!(depot::access_log::flush(app.state()).await.objects, 0);
    app.shutdown().await;
}

#[tokio::test]
async fn a_bucket_logging_to_itself_logs_requests_not_deliveries() {
    let app = TestApp::start().await;
    app.bucket("selfie").await;
    enable_logging(&app.client, "selfie", "selfie", "logs/", None).await;
    app.put("selfie", "data", b"x".to_vec()).await;
    // A request with a bad signature is refused before the bucket is read: logged too.
    let forged = app.client_for(&app.root.access_key_id, "not-the-secret-key-0000000000000000000000", None);
    assert_eq!(s3_error(forged.get_object().bucket("selfie").key("data").send().await).0, 403);
    for _ in 0..3 {
        depot::access_log::flush(app.state()).await;
    }
    // One delivery; the deliveries themselves add no records (no endless loop).
    let objects = log_objects(&app, "selfie", "logs/").await;
    assert_eq!(objects.len(), 1, "{objects:?}");
    let text = &objects[0].1;
    assert!(text.contains(" REST.PUT.OBJECT data ") && text.contains(" 403 SignatureDoesNotMatch "), "{text}");
    app.shutdown().await;
}

#[tokio::test]
async fn partitioned_keys_and_delivery_by_the_writer_and_at_shutdown() {
    let mut app = TestApp::start_with(|c| c.access_log_flush_secs = 1).await;
    app.bucket("source").await;
    app.bucket("logs").await;
    let partitioned = TargetObjectKeyFormat::builder()
        .partitioned_prefix(PartitionedPrefix::builder().partition_date_source(PartitionDateSource::DeliveryTime).build())
        .build();
    enable_logging(&app.client, "source", "logs", "p/", Some(partitioned)).await;
    app.put("source", "one", b"1".to_vec()).await;
    // The writer delivers by itself.
    wait_until("the writer delivers a log object", || async { !log_objects(&app, "logs", "p/").await.is_empty() }).await;
    let objects = log_objects(&app, "logs", "p/").await;
    // The delivery's date (a run across midnight UTC may see either day).
    let days: Vec<String> = [chrono::Utc::now() - chrono::Duration::minutes(5), chrono::Utc::now()]
        .iter()
        .map(|t| format!("p/000000000000/us-east-1/source/{}/", t.format("%Y/%m/%d")))
        .collect();
    assert!(objects.iter().all(|(k, _)| days.iter().any(|d| k.starts_with(d.as_str()))), "{objects:?} (expected under {days:?})");

    // What is left at shutdown is delivered before the server stops.
    app.restart_with(|c| c.access_log_flush_secs = 3600).await;
    let before = log_objects(&app, "logs", "p/").await.len();
    app.put("source", "two", b"2".to_vec()).await;
    app.restart().await;
    let after = log_objects(&app, "logs", "p/").await;
    assert_eq!(after.len(), before + 1, "{after:?}");
    assert!(after.iter().any(|(_, text)| text.contains(" REST.PUT.OBJECT two ")), "{after:?}");
    app.shutdown().await;
}

/// `TargetGrants` become the ACL of every log object: a grantee reads the logs, nobody
/// else does; grants an ACL could not hold are refused when logging is turned on.
#[tokio::test]
async fn target_grants_let_their_grantees_read_the_log_objects() {
    let app = TestApp::start().await;
    app.bucket("source").await;
    app.bucket("logs").await;
    let (key, secret) = app.create_user("auditor").await;
    let auditor = app.client_for(&key, &secret, None);
    let auditor_id = auditor.list_buckets().send().await.unwrap().owner().and_then(|o| o.id()).expect("the auditor's id").to_owned();
    let (key, secret) = app.create_user("stranger").await;
    let stranger = app.client_for(&key, &secret, None);

    let grant = |grantee: Grantee| TargetGrant::builder().grantee(grantee).permission(BucketLogsPermission::Read).build();
    let status = |grants: Vec<TargetGrant>| {
        let enabled = LoggingEnabled::builder().target_bucket("logs").target_prefix("audit/").set_target_grants(Some(grants)).build().unwrap();
        BucketLoggingStatus::builder().logging_enabled(enabled).build()
    };
    // Grantees an ACL cannot hold: refused, and logging stays off.
    let by_email = Grantee::builder().r#type(Type::AmazonCustomerByEmail).email_address("auditor@example.com").build().unwrap();
    let refused = app.client.put_bucket_logging().bucket("source").bucket_logging_status(status(vec![grant(by_email)])).send().await;
    assert_eq!(s3_error(refused), (400, "UnresolvableGrantByEmailAddress".to_owned()));
    let nobody = Grantee::builder().r#type(Type::CanonicalUser).id("0123456789abcdef").build().unwrap();
    let refused = app.client.put_bucket_logging().bucket("source").bucket_logging_status(status(vec![grant(nobody)])).send().await;
    assert_eq!(s3_error(refused), (400, "InvalidArgument".to_owned()));
    assert!(app.client.get_bucket_logging().bucket("source").send().await.unwrap().logging_enabled().is_none());

    let to_auditor = Grantee::builder().r#type(Type::CanonicalUser).id(&auditor_id).build().unwrap();
    app.client.put_bucket_logging().bucket("source").bucket_logging_status(status(vec![grant(to_auditor)])).send().await.expect("PutBucketLogging");
    let enabled = app.client.get_bucket_logging().bucket("source").send().await.unwrap().logging_enabled().cloned().expect("on");
    assert_eq!(enabled.target_grants()[0].grantee().and_then(|g| g.id()), Some(auditor_id.as_str()));
    depot::access_log::flush(app.state()).await;
    app.put("source", "ledger.csv", b"1,2,3".to_vec()).await;
    depot::access_log::flush(app.state()).await;

    // Two log objects: the GetBucketLogging above, then the PutObject.
    let logs = log_objects(&app, "logs", "audit/").await;
    assert_eq!(logs.len(), 2, "{logs:?}");
    assert!(logs.iter().any(|(_, text)| text.contains(" REST.PUT.OBJECT ledger.csv ")), "{logs:?}");
    for (log_key, text) in &logs {
        let read = auditor.get_object().bucket("logs").key(log_key).send().await.expect("the grantee reads the log object");
        assert_eq!(read.body.collect().await.unwrap().into_bytes(), text.as_bytes());
        assert_eq!(s3_error(stranger.get_object().bucket("logs").key(log_key).send().await).0, 403, "no grant, no read");
        let acl = app.client.get_object_acl().bucket("logs").key(log_key).send().await.unwrap();
        let readers: Vec<_> =
            acl.grants().iter().filter(|g| g.permission() == Some(&Permission::Read)).filter_map(|g| g.grantee().and_then(|g| g.id())).collect();
        assert_eq!(readers, [auditor_id.as_str()]);
    }
    app.shutdown().await;
}
