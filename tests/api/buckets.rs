//! Bucket operations: CreateBucket (naming rules, LocationConstraint, conflicts),
//! HeadBucket, ListBuckets, GetBucketLocation and DeleteBucket, with their error cases.

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};

use crate::common::{s3_error, TestApp};

fn location(region: &str) -> CreateBucketConfiguration {
    CreateBucketConfiguration::builder().location_constraint(BucketLocationConstraint::from(region)).build()
}

async fn bucket_names(app: &TestApp) -> Vec<String> {
    let out = app.client.list_buckets().send().await.expect("list buckets");
    out.buckets().iter().filter_map(|b| b.name().map(str::to_owned)).collect()
}

#[tokio::test]
async fn create_head_list_and_delete() {
    let app = TestApp::start().await;
    app.bucket("beta.bucket-1").await;
    app.bucket("alpha").await;

    let head = app.client.head_bucket().bucket("alpha").send().await.expect("head bucket");
    assert_eq!(head.bucket_region(), Some("us-east-1"));

    let listed = app.client.list_buckets().send().await.unwrap();
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["alpha", "beta.bucket-1"]);
    assert!(listed.buckets().iter().all(|b| b.creation_date().is_some()));
    assert!(listed.owner().and_then(|o| o.id()).is_some());

    app.client.delete_bucket().bucket("alpha").send().await.expect("delete bucket");
    assert_eq!(s3_error(app.client.head_bucket().bucket("alpha").send().await).0, 404);
    assert_eq!(bucket_names(&app).await, ["beta.bucket-1"]);

    // The name is free again.
    app.bucket("alpha").await;
    assert_eq!(bucket_names(&app).await, ["alpha", "beta.bucket-1"]);
    app.shutdown().await;
}

#[tokio::test]
async fn bucket_names_follow_s3_rules() {
    let app = TestApp::start().await;
    let longest = "a".repeat(63);
    for good in ["abc", "a-b.c1", "0bucket9", longest.as_str()] {
        app.client.create_bucket().bucket(good).send().await.unwrap_or_else(|e| panic!("{good}: {e:?}"));
    }
    let too_long = "a".repeat(64);
    let bad = ["ab", "ABC", "a_b", "-abc", "abc-", "a..b", "a.-b", "192.168.1.1", "xn--abc", "sthree-abc", "abc-s3alias", too_long.as_str()];
    for name in bad {
        let (status, code) = s3_error(app.client.create_bucket().bucket(name).send().await);
        assert_eq!((status, code.as_str()), (400, "InvalidBucketName"), "{name}");
    }
    let mut expected = vec!["0bucket9", "a-b.c1", "abc", longest.as_str()];
    expected.sort();
    assert_eq!(bucket_names(&app).await, expected, "no invalid bucket was created");
    app.shutdown().await;
}

#[tokio::test]
async fn location_constraint_must_name_the_server_region() {
    let app = TestApp::start().await;
    app.client.create_bucket().bucket("here").create_bucket_configuration(location("us-east-1")).send().await.expect("own region is accepted");
    let (status, code) = s3_error(app.client.create_bucket().bucket("there").create_bucket_configuration(location("eu-west-1")).send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidLocationConstraint"));
    assert_eq!(bucket_names(&app).await, ["here"]);

    // us-east-1 answers with an empty LocationConstraint, as S3 does.
    let loc = app.client.get_bucket_location().bucket("here").send().await.unwrap();
    assert!(loc.location_constraint().is_none_or(|l| l.as_str().is_empty()), "{loc:?}");
    let (status, code) = s3_error(app.client.get_bucket_location().bucket("missing").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    app.shutdown().await;
}

#[tokio::test]
async fn a_server_in_another_region_creates_buckets_there() {
    let app = TestApp::start_with(|c| c.region = "eu-central-1".into()).await;
    app.client.create_bucket().bucket("in-eu").create_bucket_configuration(location("eu-central-1")).send().await.expect("create in the server's region");
    let loc = app.client.get_bucket_location().bucket("in-eu").send().await.unwrap();
    assert_eq!(loc.location_constraint().map(|l| l.as_str()), Some("eu-central-1"));
    let head = app.client.head_bucket().bucket("in-eu").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("eu-central-1"));
    let (_, code) = s3_error(app.client.create_bucket().bucket("in-us").create_bucket_configuration(location("us-west-2")).send().await);
    assert_eq!(code, "InvalidLocationConstraint");
    app.shutdown().await;
}

#[tokio::test]
async fn malformed_create_bucket_body_is_rejected() {
    let app = TestApp::start().await;
    for body in [
        "<CreateBucketConfiguration><LocationConstraint>us-east-1",
        "not xml at all",
        "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e \"us-east-1\">]><CreateBucketConfiguration><LocationConstraint>&e;</LocationConstraint></CreateBucketConfiguration>",
    ] {
        let resp = app.send_signed(app.raw("PUT", "/fresh").body(body)).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("MalformedXML")), "{body}");
    }
    assert_eq!(s3_error(app.client.head_bucket().bucket("fresh").send().await).0, 404, "no bucket was created");
    app.shutdown().await;
}

#[tokio::test]
async fn creating_an_existing_bucket_is_a_conflict() {
    let app = TestApp::start().await;
    app.bucket("taken").await;
    app.put("taken", "k", b"v".to_vec()).await;
    let before = app.snapshot("taken").await;

    // In us-east-1 AWS answers 200 to re-creating a bucket you own, and leaves it as it is.
    app.client.create_bucket().bucket("taken").send().await.expect("re-creating an own bucket in us-east-1 succeeds");
    assert_eq!(app.snapshot("taken").await, before);

    // Bucket names are global: another user gets BucketAlreadyExists. (Users are made in
    // the catalog directly until the account API exists.)
    let (key, secret) = app.create_user("bob").await;
    let bob = app.client_for(&key, &secret, None);
    let (status, code) = s3_error(bob.create_bucket().bucket("taken").send().await);
    assert_eq!((status, code.as_str()), (409, "BucketAlreadyExists"));
    assert_eq!(s3_error(bob.head_bucket().bucket("taken").send().await).0, 403);

    assert_eq!(app.snapshot("taken").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn recreating_an_own_bucket_outside_us_east_1_is_a_conflict() {
    let app = TestApp::start_with(|c| c.region = "eu-central-1".into()).await;
    app.client.create_bucket().bucket("mine").create_bucket_configuration(location("eu-central-1")).send().await.expect("create");
    app.put("mine", "k", b"v".to_vec()).await;
    let before = app.snapshot("mine").await;
    let (status, code) = s3_error(app.client.create_bucket().bucket("mine").create_bucket_configuration(location("eu-central-1")).send().await);
    assert_eq!((status, code.as_str()), (409, "BucketAlreadyOwnedByYou"));

    let (key, secret) = app.create_user("bob").await;
    let bob = app.client_for(&key, &secret, None);
    let (status, code) = s3_error(bob.create_bucket().bucket("mine").create_bucket_configuration(location("eu-central-1")).send().await);
    assert_eq!((status, code.as_str()), (409, "BucketAlreadyExists"));
    assert_eq!(app.snapshot("mine").await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn users_list_only_their_own_buckets() {
    let app = TestApp::start().await;
    app.bucket("roots").await;
    let (key, secret) = app.create_user("carol").await;
    let carol = app.client_for(&key, &secret, None);
    carol.create_bucket().bucket("carols").send().await.expect("carol creates a bucket");
    let listed = carol.list_buckets().send().await.unwrap();
    let names: Vec<&str> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["carols"]);
    // Root administers everything.
    assert_eq!(bucket_names(&app).await, ["carols", "roots"]);
    app.shutdown().await;
}

#[tokio::test]
async fn head_bucket_answers_without_a_body() {
    let app = TestApp::start().await;
    app.bucket("present").await;
    let found = app.send_signed(app.raw("HEAD", "/present")).await;
    assert_eq!(found.status, 200);
    let missing = app.send_signed(app.raw("HEAD", "/absent")).await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
    assert!(missing.header("x-amz-request-id").is_some());
    let (status, _) = s3_error(app.client.head_bucket().bucket("absent").send().await);
    assert_eq!(status, 404);
    app.shutdown().await;
}

#[tokio::test]
async fn delete_bucket_errors() {
    let app = TestApp::start().await;
    app.bucket("full").await;
    app.put("full", "a", b"1".to_vec()).await;
    app.put("full", "dir/b", b"2".to_vec()).await;
    let before = app.snapshot("full").await;

    let (status, code) = s3_error(app.client.delete_bucket().bucket("full").send().await);
    assert_eq!((status, code.as_str()), (409, "BucketNotEmpty"));
    assert_eq!(app.snapshot("full").await, before, "a refused delete changes nothing");

    let (status, code) = s3_error(app.client.delete_bucket().bucket("never-made").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));

    for key in ["a", "dir/b"] {
        app.client.delete_object().bucket("full").key(key).send().await.unwrap();
    }
    app.client.delete_bucket().bucket("full").send().await.expect("an emptied bucket can be deleted");
    let (status, code) = s3_error(app.client.delete_bucket().bucket("full").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    app.shutdown().await;
}
