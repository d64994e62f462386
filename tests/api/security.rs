//! The security suite: every operation family tried on someone else's data, as another
//! user and as anonymous, and with forged, expired, replayed and revoked credentials.
//! Every attempt must be denied, and no denied attempt may change anything stored
//! (users, keys, buckets, versions, ACLs, tags, uploads, parts, events, blob files).

use std::time::{Duration, SystemTime};

use aws_sdk_s3::primitives::ByteStream;
use s3api::Operation;

use crate::common::{RawResponse, TestApp};
use crate::identity::{api, assert_denied, snapshot, user, Signed, TestUser};

/// Who tries.
#[derive(Clone, Copy, Debug)]
enum Actor {
    OtherUser,
    Anonymous,
}

/// One attempt: method, path, headers, body.
struct Attempt {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(&'static str, String)>,
    body: Vec<u8>,
}

fn attempt(what: &'static str, method: &'static str, path: impl Into<String>) -> Attempt {
    Attempt { what, method, path: path.into(), headers: Vec::new(), body: Vec::new() }
}

impl Attempt {
    fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }
    fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = body.into();
        self
    }

    async fn send(&self, app: &TestApp, actor: Actor, bob: &TestUser) -> RawResponse {
        match actor {
            Actor::OtherUser => {
                let mut req = Signed::new(app, self.method, &self.path).body(self.body.clone());
                for (k, v) in &self.headers {
                    req = req.header(k, v);
                }
                req.sign(&bob.access_key, &bob.secret, None).send().await
            }
            Actor::Anonymous => {
                let mut req = app.raw(self.method, &self.path).body(self.body.clone());
                for (k, v) in &self.headers {
                    req = req.header(k, v);
                }
                req.send().await
            }
        }
    }
}

/// Alice's world: a bucket with objects and an upload in progress; Bob has his own
/// bucket, object and upload. Returns (alice, bob, alice's upload id, bob's upload id).
async fn setup(app: &TestApp) -> (TestUser, TestUser, String, String) {
    let alice = user(app, "alice").await;
    let bob = user(app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("alice-bkt").send().await.unwrap();
    a.put_object().bucket("alice-bkt").key("doc.txt").body(ByteStream::from_static(b"alice's secret")).send().await.unwrap();
    a.put_object().bucket("alice-bkt").key("dir/x").body(ByteStream::from_static(b"x")).send().await.unwrap();
    let upload = a.create_multipart_upload().bucket("alice-bkt").key("big").send().await.unwrap();
    let upload_id = upload.upload_id().unwrap().to_owned();
    a.upload_part().bucket("alice-bkt").key("big").upload_id(&upload_id).part_number(1).body(ByteStream::from_static(b"part one")).send().await.unwrap();
    let b = &bob.client;
    b.create_bucket().bucket("bob-bkt").send().await.unwrap();
    b.put_object().bucket("bob-bkt").key("bob.txt").body(ByteStream::from_static(b"bob's")).send().await.unwrap();
    let bob_upload = b.create_multipart_upload().bucket("bob-bkt").key("big").send().await.unwrap().upload_id().unwrap().to_owned();
    (alice, bob, upload_id, bob_upload)
}

/// A lifecycle rule that would expire every object of the bucket.
const EXPIRE_ALL: &str =
    "<LifecycleConfiguration><Rule><ID>all</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>";

/// A bucket default encryption (SSE-S3).
const SSE_S3_DEFAULT: &str = "<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>";

fn attempts(upload_id: &str, bob_upload: &str) -> Vec<Attempt> {
    let complete = format!("<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"{}\"</ETag></Part></CompleteMultipartUpload>", "0".repeat(32));
    let acl_doc = "<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"Group\"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>FULL_CONTROL</Permission></Grant></AccessControlList></AccessControlPolicy>";
    let tagging = "<Tagging><TagSet><Tag><Key>owner</Key><Value>mallory</Value></Tag></TagSet></Tagging>";
    let open_policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::alice-bkt","arn:aws:s3:::alice-bkt/*"]}]}"#;
    let cors = "<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>";
    let post_form = "--XX\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\ndoc.txt\r\n--XX\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n\r\nmallory was here\r\n--XX--\r\n";
    vec![
        // Bucket operations.
        attempt("HeadBucket", "HEAD", "/alice-bkt"),
        attempt("DeleteBucket", "DELETE", "/alice-bkt"),
        attempt("GetBucketLocation", "GET", "/alice-bkt?location"),
        attempt("GetBucketPolicy", "GET", "/alice-bkt?policy"),
        attempt("GetBucketPolicyStatus", "GET", "/alice-bkt?policyStatus"),
        attempt("GetBucketEncryption", "GET", "/alice-bkt?encryption"),
        attempt("GetBucketWebsite (never set)", "GET", "/alice-bkt?website"),
        attempt("PutBucketWebsite (not implemented)", "PUT", "/alice-bkt?website").body("<WebsiteConfiguration/>"),
        attempt("PutBucketEncryption", "PUT", "/alice-bkt?encryption").body(SSE_S3_DEFAULT),
        attempt("DeleteBucketEncryption", "DELETE", "/alice-bkt?encryption"),
        attempt("GetBucketLifecycleConfiguration", "GET", "/alice-bkt?lifecycle"),
        attempt("PutBucketLifecycleConfiguration (expire everything)", "PUT", "/alice-bkt?lifecycle").body(EXPIRE_ALL),
        attempt("DeleteBucketLifecycle", "DELETE", "/alice-bkt?lifecycle"),
        attempt("PutBucketPolicy (everything for everyone)", "PUT", "/alice-bkt?policy").body(open_policy),
        attempt("PutBucketCors", "PUT", "/alice-bkt?cors").body(cors),
        attempt("DeletePublicAccessBlock", "DELETE", "/alice-bkt?publicAccessBlock"),
        attempt("PutBucketOwnershipControls", "PUT", "/alice-bkt?ownershipControls")
            .body("<OwnershipControls><Rule><ObjectOwnership>ObjectWriter</ObjectOwnership></Rule></OwnershipControls>"),
        attempt("PostObject (browser upload)", "POST", "/alice-bkt").header("content-type", "multipart/form-data; boundary=XX").body(post_form),
        attempt("GetBucketAcl", "GET", "/alice-bkt?acl"),
        attempt("PutBucketAcl (canned)", "PUT", "/alice-bkt?acl").header("x-amz-acl", "public-read-write"),
        attempt("PutBucketAcl (document)", "PUT", "/alice-bkt?acl").body(acl_doc),
        attempt("GetBucketVersioning", "GET", "/alice-bkt?versioning"),
        attempt("PutBucketVersioning", "PUT", "/alice-bkt?versioning").body("<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>"),
        attempt("GetBucketTagging", "GET", "/alice-bkt?tagging"),
        attempt("PutBucketTagging", "PUT", "/alice-bkt?tagging").body(tagging),
        attempt("DeleteBucketTagging", "DELETE", "/alice-bkt?tagging"),
        // Listing.
        attempt("ListObjects", "GET", "/alice-bkt"),
        attempt("ListObjectsV2", "GET", "/alice-bkt?list-type=2&fetch-owner=true"),
        attempt("ListObjectVersions", "GET", "/alice-bkt?versions"),
        attempt("ListMultipartUploads", "GET", "/alice-bkt?uploads"),
        // Object reads.
        attempt("GetObject", "GET", "/alice-bkt/doc.txt"),
        attempt("GetObject (range)", "GET", "/alice-bkt/doc.txt").header("range", "bytes=0-3"),
        attempt("GetObject (missing key: 403, not 404)", "GET", "/alice-bkt/missing"),
        attempt("GetObject (version)", "GET", "/alice-bkt/doc.txt?versionId=null"),
        attempt("HeadObject", "HEAD", "/alice-bkt/doc.txt"),
        attempt("GetObjectAttributes", "GET", "/alice-bkt/doc.txt?attributes").header("x-amz-object-attributes", "ETag,ObjectSize"),
        attempt("GetObjectAcl", "GET", "/alice-bkt/doc.txt?acl"),
        attempt("GetObjectTagging", "GET", "/alice-bkt/doc.txt?tagging"),
        // Object writes.
        attempt("PutObject (overwrite)", "PUT", "/alice-bkt/doc.txt").body("mallory was here"),
        attempt("PutObject (new key)", "PUT", "/alice-bkt/new").body("mallory was here"),
        attempt("PutObject (public-read)", "PUT", "/alice-bkt/new").header("x-amz-acl", "public-read").body("x"),
        attempt("PutObjectAcl", "PUT", "/alice-bkt/doc.txt?acl").header("x-amz-acl", "public-read"),
        attempt("PutObjectAcl (document)", "PUT", "/alice-bkt/doc.txt?acl").body(acl_doc),
        attempt("PutObjectTagging", "PUT", "/alice-bkt/doc.txt?tagging").body(tagging),
        attempt("DeleteObjectTagging", "DELETE", "/alice-bkt/doc.txt?tagging"),
        attempt("GetObjectRetention", "GET", "/alice-bkt/doc.txt?retention"),
        attempt("GetObjectLegalHold", "GET", "/alice-bkt/doc.txt?legal-hold"),
        attempt("PutObjectRetention (a year of COMPLIANCE)", "PUT", "/alice-bkt/doc.txt?retention")
            .body("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2099-01-01T00:00:00Z</RetainUntilDate></Retention>"),
        attempt("PutObjectLegalHold", "PUT", "/alice-bkt/doc.txt?legal-hold").body("<LegalHold><Status>ON</Status></LegalHold>"),
        attempt("GetObjectLockConfiguration", "GET", "/alice-bkt?object-lock"),
        attempt("PutObjectLockConfiguration", "PUT", "/alice-bkt?object-lock")
            .body("<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled></ObjectLockConfiguration>"),
        // Copies: into someone else's bucket, and out of it.
        attempt("CopyObject into another's bucket", "PUT", "/alice-bkt/copied").header("x-amz-copy-source", "bob-bkt/bob.txt"),
        attempt("CopyObject out of another's bucket", "PUT", "/bob-bkt/stolen").header("x-amz-copy-source", "alice-bkt/doc.txt"),
        attempt("CopyObject onto itself (metadata replace)", "PUT", "/alice-bkt/doc.txt")
            .header("x-amz-copy-source", "alice-bkt/doc.txt")
            .header("x-amz-metadata-directive", "REPLACE"),
        // Deletes.
        attempt("DeleteObject", "DELETE", "/alice-bkt/doc.txt"),
        attempt("DeleteObject (version)", "DELETE", "/alice-bkt/doc.txt?versionId=null"),
        attempt("DeleteObjects", "POST", "/alice-bkt?delete").body("<Delete><Object><Key>doc.txt</Key></Object><Object><Key>dir/x</Key></Object></Delete>"),
        // Multipart.
        attempt("CreateMultipartUpload", "POST", "/alice-bkt/big2?uploads"),
        attempt("UploadPart into another's upload", "PUT", format!("/alice-bkt/big?partNumber=2&uploadId={upload_id}")).body("evil part"),
        attempt("ListParts", "GET", format!("/alice-bkt/big?uploadId={upload_id}")),
        attempt("CompleteMultipartUpload", "POST", format!("/alice-bkt/big?uploadId={upload_id}")).body(complete),
        attempt("AbortMultipartUpload", "DELETE", format!("/alice-bkt/big?uploadId={upload_id}")),
        attempt("UploadPartCopy out of another's bucket", "PUT", format!("/bob-bkt/big?partNumber=1&uploadId={bob_upload}"))
            .header("x-amz-copy-source", "alice-bkt/doc.txt"),
    ]
}

async fn try_everything(actor: Actor) {
    let app = TestApp::start().await;
    let (_alice, bob, upload_id, bob_upload) = setup(&app).await;
    let before = snapshot(&app).await;
    let mut denied = 0;
    for a in attempts(&upload_id, &bob_upload) {
        let what = format!("{} as {actor:?}", a.what);
        let resp = a.send(&app, actor, &bob).await;
        let code = (a.method != "HEAD").then_some("AccessDenied");
        assert_denied(&app, &before, &resp, 403, code, &what).await;
        denied += 1;
    }
    // Creating a taken bucket name: taken for Bob, forbidden for anonymous.
    let create = attempt("CreateBucket (taken name)", "PUT", "/alice-bkt").send(&app, actor, &bob).await;
    match actor {
        Actor::OtherUser => assert_denied(&app, &before, &create, 409, Some("BucketAlreadyExists"), "CreateBucket over Alice's").await,
        Actor::Anonymous => assert_denied(&app, &before, &create, 403, Some("AccessDenied"), "anonymous CreateBucket").await,
    }
    assert!(denied >= 30, "only {denied} attempts ran");
    // Alice's data is intact, byte for byte.
    assert_eq!(app.get("alice-bkt", "doc.txt").await, b"alice's secret");
    app.shutdown().await;
}

/// Where an operation stands in [`ACCESS_TABLE_VARIANTS`]. The match names every
/// variant: a new `Operation` does not compile here until it has an index, and the
/// table test below fails until an attempt covers it.
fn variant_index(op: &Operation) -> usize {
    match op {
        Operation::ListBuckets(_) => 0,
        Operation::StsAction => 1,
        Operation::CreateBucket { .. } => 2,
        Operation::HeadBucket { .. } => 3,
        Operation::DeleteBucket { .. } => 4,
        Operation::GetBucketLocation { .. } => 5,
        Operation::GetBucketVersioning { .. } => 6,
        Operation::PutBucketVersioning { .. } => 7,
        Operation::GetBucketTagging { .. } => 8,
        Operation::PutBucketTagging { .. } => 9,
        Operation::DeleteBucketTagging { .. } => 10,
        Operation::GetBucketAcl { .. } => 11,
        Operation::PutBucketAcl { .. } => 12,
        Operation::GetBucketUnsetConfig { .. } => 13,
        Operation::ListObjects { .. } => 14,
        Operation::ListObjectsV2 { .. } => 15,
        Operation::ListObjectVersions { .. } => 16,
        Operation::ListMultipartUploads { .. } => 17,
        Operation::DeleteObjects { .. } => 18,
        Operation::PutObject { .. } => 19,
        Operation::CopyObject { .. } => 20,
        Operation::GetObject { .. } => 21,
        Operation::HeadObject { .. } => 22,
        Operation::DeleteObject { .. } => 23,
        Operation::GetObjectTagging { .. } => 24,
        Operation::PutObjectTagging { .. } => 25,
        Operation::DeleteObjectTagging { .. } => 26,
        Operation::GetObjectAcl { .. } => 27,
        Operation::PutObjectAcl { .. } => 28,
        Operation::GetObjectAttributes { .. } => 29,
        Operation::CreateMultipartUpload { .. } => 30,
        Operation::UploadPart { .. } => 31,
        Operation::UploadPartCopy { .. } => 32,
        Operation::CompleteMultipartUpload { .. } => 33,
        Operation::AbortMultipartUpload { .. } => 34,
        Operation::ListParts { .. } => 35,
        Operation::NotImplemented { .. } => 36,
        Operation::GetBucketSetting { .. } => 37,
        Operation::PutBucketSetting { .. } => 38,
        Operation::DeleteBucketSetting { .. } => 39,
        Operation::GetBucketPolicyStatus { .. } => 40,
        Operation::PostObject { .. } => 41,
        Operation::Preflight { .. } => 42,
        Operation::GetObjectLock { .. } => 43,
        Operation::PutObjectLock { .. } => 44,
    }
}

/// How many `Operation` variants there are.
const ACCESS_TABLE_VARIANTS: usize = 45;

/// The operation an attempt is parsed into, as the server parses it.
fn operation_of(a: &Attempt) -> Operation {
    let uri: http::Uri = a.path.parse().expect("attempt path");
    let target = s3api::route::resolve(&uri, Some("127.0.0.1"), &[]).expect("attempt routes");
    let query = s3api::route::Query::parse(uri.query());
    let method: http::Method = a.method.parse().expect("method");
    Operation::parse(&method, &target, &query, a.headers.iter().any(|(k, _)| *k == "x-amz-copy-source")).expect("attempt parses")
}

/// The access table, run: every `Operation` variant, as another user and as anonymous,
/// against Alice's private bucket and object. Each is refused with `AccessDenied`
/// (HEAD: a bare 403) and nothing stored changes. ListBuckets, CreateBucket and STS,
/// which address no existing bucket, are covered by the tests beside this one.
#[tokio::test]
async fn the_access_table_denies_every_operation_to_others() {
    let app = TestApp::start().await;
    let (_alice, bob, upload_id, bob_upload) = setup(&app).await;
    let before = snapshot(&app).await;
    let mut covered = [false; ACCESS_TABLE_VARIANTS];
    for index in [variant_index(&Operation::ListBuckets(Default::default())), variant_index(&Operation::StsAction)] {
        covered[index] = true;
    }
    covered[variant_index(&Operation::CreateBucket { bucket: String::new() })] = true;
    // A CORS preflight is never signed and answers from the CORS rules (tests/api/cors.rs).
    covered[variant_index(&Operation::Preflight { bucket: String::new(), key: None })] = true;
    let all = attempts(&upload_id, &bob_upload);
    for a in &all {
        let op = operation_of(a);
        covered[variant_index(&op)] = true;
        for actor in [Actor::OtherUser, Actor::Anonymous] {
            let resp = a.send(&app, actor, &bob).await;
            let code = (a.method != "HEAD").then_some("AccessDenied");
            assert_denied(&app, &before, &resp, 403, code, &format!("{} ({}) as {actor:?}", a.what, op.name())).await;
        }
    }
    let missing: Vec<usize> = (0..ACCESS_TABLE_VARIANTS).filter(|i| !covered[*i]).collect();
    assert!(missing.is_empty(), "no attempt covers the operations at these indexes of variant_index: {missing:?}");
    app.shutdown().await;
}

#[tokio::test]
async fn another_user_is_denied_every_operation_on_alices_data() {
    try_everything(Actor::OtherUser).await;
}

#[tokio::test]
async fn anonymous_is_denied_every_operation_on_private_data() {
    try_everything(Actor::Anonymous).await;
}

#[tokio::test]
async fn each_user_sees_only_their_own_buckets_and_root_sees_all() {
    let app = TestApp::start().await;
    let (alice, bob, _, _) = setup(&app).await;
    let names = |out: aws_sdk_s3::operation::list_buckets::ListBucketsOutput| out.buckets().iter().map(|b| b.name().unwrap().to_owned()).collect::<Vec<_>>();
    let bobs = bob.client.list_buckets().send().await.unwrap();
    assert_eq!(bobs.owner().and_then(|o| o.id()), Some(bob.id.as_str()));
    assert_eq!(names(bobs), ["bob-bkt"]);
    assert_eq!(names(alice.client.list_buckets().send().await.unwrap()), ["alice-bkt"]);
    assert_eq!(names(app.client.list_buckets().send().await.unwrap()), ["alice-bkt", "bob-bkt"]);
    let listed = alice.client.list_objects_v2().bucket("alice-bkt").fetch_owner(true).send().await.unwrap();
    assert!(listed.contents().iter().all(|o| o.owner().and_then(|o| o.id()) == Some(alice.id.as_str())));
    assert!(listed.contents().iter().all(|o| o.owner().and_then(|o| o.display_name()) == Some("alice")));
    // Root may act on anyone's bucket.
    app.client.get_object().bucket("alice-bkt").key("doc.txt").send().await.expect("root reads everything");
    app.shutdown().await;
}

#[tokio::test]
async fn forged_tampered_replayed_and_expired_signatures_are_refused() {
    let app = TestApp::start().await;
    let (_alice, bob, _, _) = setup(&app).await;
    let before = snapshot(&app).await;
    let put = || Signed::new(&app, "PUT", "/bob-bkt/bob.txt").body(b"changed".to_vec());

    let resp = put().sign("DPAKNOSUCHKEY0000000", "whatever", None).send().await;
    assert_denied(&app, &before, &resp, 403, Some("InvalidAccessKeyId"), "unknown access key").await;
    let resp = put().sign(&bob.access_key, "not bob's secret", None).send().await;
    assert_denied(&app, &before, &resp, 403, Some("SignatureDoesNotMatch"), "wrong secret").await;
    let resp = put().sign(&bob.access_key, &bob.secret, None).tamper_path("/alice-bkt/doc.txt").send().await;
    assert_denied(&app, &before, &resp, 403, Some("SignatureDoesNotMatch"), "signed for one object, sent to another").await;
    let resp = put().sign(&bob.access_key, &bob.secret, None).tamper_body(b"tampered".to_vec()).send().await;
    assert_denied(&app, &before, &resp, 400, Some("XAmzContentSHA256Mismatch"), "body changed after signing").await;
    let resp = put().sign_at(&bob.access_key, &bob.secret, None, SystemTime::now() - Duration::from_secs(20 * 60)).send().await;
    assert_denied(&app, &before, &resp, 403, Some("RequestTimeTooSkewed"), "a signed request replayed 20 minutes later").await;
    let resp = app
        .raw("PUT", "/bob-bkt/bob.txt")
        .header(
            "authorization",
            &format!("AWS4-HMAC-SHA256 Credential={}/20200101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature={}", bob.access_key, "0".repeat(64)),
        )
        .body("x")
        .send()
        .await;
    assert_eq!(resp.status / 100, 4, "a made-up Authorization header: {}", resp.text());
    assert_eq!(snapshot(&app).await, before);

    // Presigned URLs: honoured until they expire, never after.
    let get =
        Signed::new(&app, "GET", "/bob-bkt/bob.txt").presign(&bob.access_key, &bob.secret, None, Duration::from_secs(600), SystemTime::now()).send().await;
    assert_eq!((get.status, get.body.as_slice()), (200, b"bob's".as_slice()));
    let expired_get = Signed::new(&app, "GET", "/bob-bkt/bob.txt")
        .presign(&bob.access_key, &bob.secret, None, Duration::from_secs(3600), SystemTime::now() - Duration::from_secs(7200))
        .send()
        .await;
    assert_eq!(expired_get.status, 403);
    assert!(expired_get.text().contains("Request has expired"), "{}", expired_get.text());
    let expired_put = Signed::new(&app, "PUT", "/bob-bkt/bob.txt").presign(
        &bob.access_key,
        &bob.secret,
        None,
        Duration::from_secs(60),
        SystemTime::now() - Duration::from_secs(120),
    );
    let resp = expired_put.body(b"replayed".to_vec()).send().await;
    assert_denied(&app, &before, &resp, 403, Some("AccessDenied"), "an expired presigned PUT").await;
    let tampered = Signed::new(&app, "GET", "/bob-bkt/bob.txt")
        .presign(&bob.access_key, &bob.secret, None, Duration::from_secs(600), SystemTime::now())
        .tamper_path("/alice-bkt/doc.txt");
    let resp = tampered.send().await;
    assert_eq!(resp.status, 403, "a presigned URL moved to another object");

    let put_url = Signed::new(&app, "PUT", "/bob-bkt/presigned.txt").presign(&bob.access_key, &bob.secret, None, Duration::from_secs(600), SystemTime::now());
    let resp = put_url.body(b"via presigned PUT".to_vec()).send().await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let got = bob.client.get_object().bucket("bob-bkt").key("presigned.txt").send().await.unwrap();
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"via presigned PUT");
    app.shutdown().await;
}

#[tokio::test]
async fn revoked_and_disabled_credentials_stop_working_at_once_including_presigned_urls() {
    let app = TestApp::start().await;
    let (_alice, bob, _, _) = setup(&app).await;
    let (key, secret) = crate::identity::create_key(&app, &bob.token).await;
    let presigned_get = Signed::new(&app, "GET", "/bob-bkt/bob.txt").presign(&key, &secret, None, Duration::from_secs(600), SystemTime::now());
    let get_url = presigned_get.url();
    let presigned_put = Signed::new(&app, "PUT", "/bob-bkt/bob.txt").presign(&key, &secret, None, Duration::from_secs(600), SystemTime::now());
    let fetch = |url: String| async move { reqwest::Client::builder().no_proxy().build().unwrap().get(url).send().await.unwrap().status().as_u16() };
    assert_eq!(fetch(get_url.clone()).await, 200);

    let revoked = api(&app, "DELETE", &format!("/_depot/auth/keys/{key}"), Some(&bob.token), None).await;
    assert_eq!(revoked.status, 204);
    let before = snapshot(&app).await;
    assert_eq!(fetch(get_url.clone()).await, 403, "a presigned URL of a revoked key");
    let resp = presigned_put.body(b"after revocation".to_vec()).send().await;
    assert_denied(&app, &before, &resp, 403, Some("InvalidAccessKeyId"), "presigned PUT by a revoked key").await;
    let resp = Signed::new(&app, "PUT", "/bob-bkt/bob.txt").body(b"x".to_vec()).sign(&key, &secret, None).send().await;
    assert_denied(&app, &before, &resp, 403, Some("InvalidAccessKeyId"), "header-signed request by a revoked key").await;

    // A disabled user's other keys stop too, presigned URLs included, until re-enabled.
    let url = Signed::new(&app, "GET", "/bob-bkt/bob.txt").presign(&bob.access_key, &bob.secret, None, Duration::from_secs(600), SystemTime::now()).url();
    let root = (&app.root.access_key_id, &app.root.secret_access_key);
    Signed::new(&app, "POST", "/_depot/admin/users/bob/disable").sign(root.0, root.1, None).send().await;
    assert_eq!(fetch(url.clone()).await, 403);
    Signed::new(&app, "POST", "/_depot/admin/users/bob/enable").sign(root.0, root.1, None).send().await;
    assert_eq!(fetch(url).await, 200);
    app.shutdown().await;
}
