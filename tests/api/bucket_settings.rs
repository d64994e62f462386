//! The public access block, ownership controls and `x-amz-expected-bucket-owner`: the
//! round trip of each setting, the errors a bad document gets (with nothing stored
//! changed), ACLs blocked or ignored, public policies refused or not honoured, objects
//! owned by the bucket owner, and the `BUCKET_UPDATED` events every setting writes.

use aws_sdk_s3::types::{BucketCannedAcl, ObjectCannedAcl, ObjectOwnership, OwnershipControls, OwnershipControlsRule, PublicAccessBlockConfiguration};
use serde_json::json;

use crate::common::{outbox_events, s3_error, TestApp};
use crate::identity::{user, Signed};
use crate::policies::{anonymous_get, arn, everything, failure, get_text, object_owner, policy, public_read, put_policy, put_text};

fn pab(block_acls: bool, ignore_acls: bool, block_policy: bool, restrict: bool) -> PublicAccessBlockConfiguration {
    PublicAccessBlockConfiguration::builder()
        .block_public_acls(block_acls)
        .ignore_public_acls(ignore_acls)
        .block_public_policy(block_policy)
        .restrict_public_buckets(restrict)
        .build()
}

fn ownership(setting: ObjectOwnership) -> OwnershipControls {
    OwnershipControls::builder().rules(OwnershipControlsRule::builder().object_ownership(setting).build().unwrap()).build().unwrap()
}

#[tokio::test]
async fn public_access_block_round_trips() {
    let app = TestApp::start().await;
    app.bucket("pab").await;
    let c = &app.client;
    let (status, code, _) = failure(c.get_public_access_block().bucket("pab").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchPublicAccessBlockConfiguration"));

    c.put_public_access_block().bucket("pab").public_access_block_configuration(pab(true, false, true, false)).send().await.expect("put PAB");
    let got = c.get_public_access_block().bucket("pab").send().await.expect("get PAB");
    let config = got.public_access_block_configuration().unwrap();
    assert_eq!(
        (config.block_public_acls(), config.ignore_public_acls(), config.block_public_policy(), config.restrict_public_buckets()),
        (Some(true), Some(false), Some(true), Some(false))
    );

    // A document naming no setting is refused and changes nothing.
    let before = everything(&app).await;
    let resp =
        app.send_signed(app.raw("PUT", "/pab?publicAccessBlock").body(b"<PublicAccessBlockConfiguration></PublicAccessBlockConfiguration>".to_vec())).await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidRequest")), "{}", resp.text());
    assert_eq!(everything(&app).await, before);

    c.delete_public_access_block().bucket("pab").send().await.expect("delete PAB");
    let (status, code, _) = failure(c.get_public_access_block().bucket("pab").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchPublicAccessBlockConfiguration"));
    app.shutdown().await;
}

#[tokio::test]
async fn block_public_acls_refuses_public_grants() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let a = &alice.client;
    a.create_bucket().bucket("guarded").send().await.unwrap();
    a.put_object().bucket("guarded").key("was-public").acl(ObjectCannedAcl::PublicRead).body(b"old".to_vec().into()).send().await.unwrap();
    put_text(a, "guarded", "k", "v").await;
    a.put_public_access_block().bucket("guarded").public_access_block_configuration(pab(true, false, false, false)).send().await.unwrap();

    let before = everything(&app).await;
    let put = a.put_object().bucket("guarded").key("new").acl(ObjectCannedAcl::PublicRead).body(b"x".to_vec().into()).send().await;
    assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "PutObject public-read");
    let put = a.put_object().bucket("guarded").key("new").acl(ObjectCannedAcl::AuthenticatedRead).body(b"x".to_vec().into()).send().await;
    assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "PutObject authenticated-read");
    assert_eq!(s3_error(a.put_bucket_acl().bucket("guarded").acl(BucketCannedAcl::PublicRead).send().await), (403, "AccessDenied".to_owned()), "PutBucketAcl");
    let object_acl = a.put_object_acl().bucket("guarded").key("k").acl(ObjectCannedAcl::PublicRead).send().await;
    assert_eq!(s3_error(object_acl), (403, "AccessDenied".to_owned()), "PutObjectAcl");
    assert_eq!(everything(&app).await, before, "refused ACLs changed nothing");
    assert_eq!(anonymous_get(&app, "/guarded/k").await.0, 403);

    // Private writes go on; ACLs set before the block still apply (that is IgnorePublicAcls).
    a.put_object().bucket("guarded").key("new").acl(ObjectCannedAcl::Private).body(b"x".to_vec().into()).send().await.expect("a private ACL");
    assert_eq!(anonymous_get(&app, "/guarded/was-public").await, (200, "old".to_owned()));
    app.shutdown().await;
}

#[tokio::test]
async fn ignore_public_acls_hides_public_objects_until_removed() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("shy").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    a.put_object().bucket("shy").key("pic").acl(ObjectCannedAcl::PublicRead).body(b"pixels".to_vec().into()).send().await.unwrap();
    a.put_object().bucket("shy").key("members").acl(ObjectCannedAcl::AuthenticatedRead).body(b"m".to_vec().into()).send().await.unwrap();
    a.put_object().bucket("shy").key("for-bob").grant_read(format!("id=\"{}\"", bob.id)).body(b"b".to_vec().into()).send().await.unwrap();
    assert_eq!(anonymous_get(&app, "/shy/pic").await, (200, "pixels".to_owned()));

    a.put_public_access_block().bucket("shy").public_access_block_configuration(pab(false, true, false, false)).send().await.unwrap();
    assert_eq!(anonymous_get(&app, "/shy/pic").await.0, 403, "the object's public-read grant is ignored");
    assert_eq!(anonymous_get(&app, "/shy?list-type=2").await.0, 403, "and the bucket's");
    assert_eq!(s3_error(bob.client.get_object().bucket("shy").key("members").send().await), (403, "AccessDenied".to_owned()), "authenticated-read too");
    assert_eq!(get_text(&bob.client, "shy", "for-bob").await, "b", "grants to a named user still count");
    assert_eq!(get_text(a, "shy", "pic").await, "pixels", "the owner reads");
    let acl = a.get_object_acl().bucket("shy").key("pic").send().await.unwrap();
    assert_eq!(acl.grants().len(), 2, "the ACL itself is kept");

    a.delete_public_access_block().bucket("shy").send().await.unwrap();
    assert_eq!(anonymous_get(&app, "/shy/pic").await, (200, "pixels".to_owned()), "readable again");
    app.shutdown().await;
}

#[tokio::test]
async fn block_public_policy_refuses_public_policies() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let _bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("nopub").send().await.unwrap();
    a.put_public_access_block().bucket("nopub").public_access_block_configuration(pab(false, false, true, false)).send().await.unwrap();

    let before = everything(&app).await;
    let (status, code, _) = failure(a.put_bucket_policy().bucket("nopub").policy(public_read("nopub")).send().await);
    assert_eq!((status, code.as_str()), (403, "AccessDenied"));
    assert_eq!(everything(&app).await, before, "nothing stored");
    assert_eq!(failure(a.get_bucket_policy().bucket("nopub").send().await).1, "NoSuchBucketPolicy");

    let named = policy(&[json!({"Effect": "Allow", "Principal": {"AWS": arn("bob")}, "Action": "s3:GetObject", "Resource": "arn:aws:s3:::nopub/*"})]);
    put_policy(a, "nopub", &named).await;
    assert_eq!(a.get_bucket_policy().bucket("nopub").send().await.unwrap().policy(), Some(named.as_str()), "a policy for a named user is not public");
    app.shutdown().await;
}

#[tokio::test]
async fn restrict_public_buckets_stops_anonymous_access_by_policy() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("restrict").send().await.unwrap();
    put_text(a, "restrict", "page", "content").await;
    put_policy(a, "restrict", &public_read("restrict")).await;
    assert_eq!(anonymous_get(&app, "/restrict/page").await, (200, "content".to_owned()));

    a.put_public_access_block().bucket("restrict").public_access_block_configuration(pab(false, false, false, true)).send().await.unwrap();
    let resp = app.raw("GET", "/restrict/page").send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (403, Some("AccessDenied")), "anonymous under RestrictPublicBuckets");
    assert_eq!(get_text(&bob.client, "restrict", "page").await, "content", "a user of the owner's account is still allowed by the policy");
    assert_eq!(a.get_bucket_policy().bucket("restrict").send().await.unwrap().policy(), Some(public_read("restrict").as_str()), "the policy is kept");

    a.delete_public_access_block().bucket("restrict").send().await.unwrap();
    assert_eq!(anonymous_get(&app, "/restrict/page").await, (200, "content".to_owned()), "public again");
    app.shutdown().await;
}

#[tokio::test]
async fn ownership_controls_round_trip() {
    let app = TestApp::start().await;
    app.bucket("own").await;
    let c = &app.client;
    let (status, code, _) = failure(c.get_bucket_ownership_controls().bucket("own").send().await);
    assert_eq!((status, code.as_str()), (404, "OwnershipControlsNotFoundError"));

    for setting in [ObjectOwnership::BucketOwnerPreferred, ObjectOwnership::ObjectWriter, ObjectOwnership::BucketOwnerEnforced] {
        c.put_bucket_ownership_controls().bucket("own").ownership_controls(ownership(setting.clone())).send().await.expect("put ownership controls");
        let got = c.get_bucket_ownership_controls().bucket("own").send().await.expect("get ownership controls");
        let rules: Vec<&ObjectOwnership> = got.ownership_controls().unwrap().rules().iter().map(|r| r.object_ownership()).collect();
        assert_eq!(rules, [&setting]);
    }

    let before = everything(&app).await;
    let resp = app
        .send_signed(
            app.raw("PUT", "/own?ownershipControls")
                .body(b"<OwnershipControls><Rule><ObjectOwnership>Everyone</ObjectOwnership></Rule></OwnershipControls>".to_vec()),
        )
        .await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("MalformedXML")), "an unknown setting: {}", resp.text());
    assert_eq!(everything(&app).await, before);

    c.delete_bucket_ownership_controls().bucket("own").send().await.expect("delete ownership controls");
    let (status, code, _) = failure(c.get_bucket_ownership_controls().bucket("own").send().await);
    assert_eq!((status, code.as_str()), (404, "OwnershipControlsNotFoundError"));
    app.shutdown().await;
}

#[tokio::test]
async fn bucket_owner_enforced_disables_acls_and_owns_every_object() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("enforced").send().await.unwrap();
    a.put_object().bucket("enforced").key("old-public").acl(ObjectCannedAcl::PublicRead).body(b"old".to_vec().into()).send().await.unwrap();
    a.put_bucket_ownership_controls().bucket("enforced").ownership_controls(ownership(ObjectOwnership::BucketOwnerEnforced)).send().await.unwrap();
    assert_eq!(anonymous_get(&app, "/enforced/old-public").await.0, 403, "ACLs no longer grant anything");

    let before = everything(&app).await;
    let (status, code, _) = failure(a.put_object().bucket("enforced").key("k").acl(ObjectCannedAcl::PublicRead).body(b"x".to_vec().into()).send().await);
    assert_eq!((status, code.as_str()), (400, "AccessControlListNotSupported"), "PutObject public-read");
    let grant = a.put_object().bucket("enforced").key("k").grant_read(format!("id=\"{}\"", bob.id)).body(b"x".to_vec().into()).send().await;
    assert_eq!(failure(grant).1, "AccessControlListNotSupported", "PutObject granting to another user");
    let (status, code, _) = failure(a.put_bucket_acl().bucket("enforced").acl(BucketCannedAcl::PublicRead).send().await);
    assert_eq!((status, code.as_str()), (400, "AccessControlListNotSupported"), "PutBucketAcl public-read");
    assert_eq!(everything(&app).await, before, "refused ACLs changed nothing");
    a.put_object()
        .bucket("enforced")
        .key("k")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("bucket-owner-full-control is allowed");

    // Bob writes by policy; the object is Alice's.
    put_policy(
        a,
        "enforced",
        &policy(&[json!({"Effect": "Allow", "Principal": {"AWS": arn("bob")}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::enforced/*"})]),
    )
    .await;
    put_text(&bob.client, "enforced", "from-bob", "hello").await;
    assert_eq!(object_owner(a, "enforced", "from-bob").await, alice.id, "the bucket owner owns what others write");
    assert_eq!(get_text(a, "enforced", "from-bob").await, "hello");
    let listed = a.list_objects_v2().bucket("enforced").fetch_owner(true).send().await.unwrap();
    let owners: Vec<Option<&str>> = listed.contents().iter().map(|o| o.owner().and_then(|o| o.id())).collect();
    assert!(owners.iter().all(|o| *o == Some(alice.id.as_str())), "{owners:?}");
    assert_eq!(
        s3_error(bob.client.get_object().bucket("enforced").key("from-bob").send().await),
        (403, "AccessDenied".to_owned()),
        "the writer may not read it"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn create_bucket_takes_an_object_ownership_header() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let a = &alice.client;
    a.create_bucket().bucket("made-enforced").object_ownership(ObjectOwnership::BucketOwnerEnforced).send().await.expect("create with ownership");
    let got = a.get_bucket_ownership_controls().bucket("made-enforced").send().await.unwrap();
    assert_eq!(got.ownership_controls().unwrap().rules()[0].object_ownership(), &ObjectOwnership::BucketOwnerEnforced);

    let before = everything(&app).await;
    let (status, code, _) =
        failure(a.create_bucket().bucket("clash").object_ownership(ObjectOwnership::BucketOwnerEnforced).acl(BucketCannedAcl::PublicRead).send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidBucketAclWithObjectOwnership"));
    assert_eq!(s3_error(a.head_bucket().bucket("clash").send().await).0, 404, "no bucket created");
    let resp = Signed::new(&app, "PUT", "/bogus-owner").header("x-amz-object-ownership", "Everyone").sign(&alice.access_key, &alice.secret, None).send().await;
    assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidArgument")), "{}", resp.text());
    assert_eq!(resp.error_message().as_deref(), Some("Invalid x-amz-object-ownership header: Everyone"));
    assert_eq!(s3_error(a.head_bucket().bucket("bogus-owner").send().await).0, 404, "no bucket created");
    assert_eq!(everything(&app).await, before, "refused creations changed nothing");

    // A bucket whose ACL grants to others cannot switch to BucketOwnerEnforced.
    a.create_bucket().bucket("shared").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    let before = everything(&app).await;
    let (status, code, _) =
        failure(a.put_bucket_ownership_controls().bucket("shared").ownership_controls(ownership(ObjectOwnership::BucketOwnerEnforced)).send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidBucketAclWithObjectOwnership"));
    assert_eq!(everything(&app).await, before);
    app.shutdown().await;
}

#[tokio::test]
async fn bucket_owner_preferred_takes_objects_written_with_full_control() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("preferred").object_ownership(ObjectOwnership::BucketOwnerPreferred).send().await.unwrap();
    put_policy(
        a,
        "preferred",
        &policy(&[json!({"Effect": "Allow", "Principal": {"AWS": arn("bob")}, "Action": "s3:PutObject", "Resource": "arn:aws:s3:::preferred/*"})]),
    )
    .await;
    bob.client
        .put_object()
        .bucket("preferred")
        .key("handed-over")
        .acl(ObjectCannedAcl::BucketOwnerFullControl)
        .body(b"yours".to_vec().into())
        .send()
        .await
        .unwrap();
    put_text(&bob.client, "preferred", "kept", "mine").await;
    assert_eq!(object_owner(a, "preferred", "handed-over").await, alice.id, "bucket-owner-full-control hands the object over");
    assert_eq!(object_owner(a, "preferred", "kept").await, bob.id, "without it the writer owns it");
    let listed = a.list_objects_v2().bucket("preferred").fetch_owner(true).send().await.unwrap();
    let owners: Vec<(&str, &str)> = listed.contents().iter().map(|o| (o.key().unwrap(), o.owner().and_then(|o| o.id()).unwrap())).collect();
    assert_eq!(owners, [("handed-over", alice.id.as_str()), ("kept", bob.id.as_str())]);
    app.shutdown().await;
}

#[tokio::test]
async fn expected_bucket_owner_must_match() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("mine").send().await.unwrap();
    put_text(a, "mine", "k", "v").await;

    a.get_object().bucket("mine").key("k").expected_bucket_owner(&alice.id).send().await.expect("GetObject, right owner");
    a.put_object().bucket("mine").key("k2").expected_bucket_owner(&alice.id).body(b"v2".to_vec().into()).send().await.expect("PutObject, right owner");
    a.list_objects_v2().bucket("mine").expected_bucket_owner(&alice.id).send().await.expect("ListObjectsV2, right owner");

    let before = everything(&app).await;
    let wrong = &bob.id;
    assert_eq!(s3_error(a.get_object().bucket("mine").key("k").expected_bucket_owner(wrong).send().await), (403, "AccessDenied".to_owned()), "GetObject");
    let put = a.put_object().bucket("mine").key("k3").expected_bucket_owner(wrong).body(b"v3".to_vec().into()).send().await;
    assert_eq!(s3_error(put), (403, "AccessDenied".to_owned()), "PutObject");
    assert_eq!(s3_error(a.list_objects_v2().bucket("mine").expected_bucket_owner(wrong).send().await), (403, "AccessDenied".to_owned()), "ListObjectsV2");
    assert_eq!(s3_error(a.get_bucket_acl().bucket("mine").expected_bucket_owner(wrong).send().await), (403, "AccessDenied".to_owned()), "GetBucketAcl");
    assert_eq!(everything(&app).await, before, "nothing stored");
    assert_eq!(app.keys("mine").await, ["k", "k2"]);
    app.shutdown().await;
}

#[tokio::test]
async fn setting_changes_write_bucket_updated_events() {
    let app = TestApp::start().await;
    app.bucket("evts").await;
    let c = &app.client;
    put_policy(c, "evts", &public_read("evts")).await;
    c.delete_bucket_policy().bucket("evts").send().await.unwrap();
    c.put_public_access_block().bucket("evts").public_access_block_configuration(pab(true, true, true, true)).send().await.unwrap();
    c.put_bucket_ownership_controls().bucket("evts").ownership_controls(ownership(ObjectOwnership::BucketOwnerPreferred)).send().await.unwrap();
    let events = outbox_events(&app).await;
    let names: Vec<&str> = events.iter().filter(|e| e["type"] == "BUCKET_UPDATED").filter_map(|e| e["eventName"].as_str()).collect();
    assert_eq!(names, ["BucketPolicy:Put", "BucketPolicy:Delete", "PublicAccessBlock:Put", "BucketOwnershipControls:Put"]);

    // A refused policy writes none.
    let count = events.len();
    assert_eq!(failure(c.put_bucket_policy().bucket("evts").policy("{").send().await).1, "MalformedPolicy");
    assert_eq!(outbox_events(&app).await.len(), count);
    app.shutdown().await;
}
