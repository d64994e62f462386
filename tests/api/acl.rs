//! ACLs: canned ACLs on create, put and copy; grant headers; Put/Get{Bucket,Object}Acl
//! with AccessControlPolicy documents; public and authenticated access as granted; the
//! events an ACL change writes.

use aws_sdk_s3::types::{AccessControlPolicy, BucketCannedAcl, Grant, Grantee, ObjectCannedAcl, Owner, Permission, Type};
use sqlx::Row;

use crate::common::TestApp;
use crate::identity::{assert_denied, snapshot, user, Signed};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";

fn canonical(id: &str, permission: Permission) -> Grant {
    Grant::builder().grantee(Grantee::builder().r#type(Type::CanonicalUser).id(id).build().unwrap()).permission(permission).build()
}

fn group(uri: &str, permission: Permission) -> Grant {
    Grant::builder().grantee(Grantee::builder().r#type(Type::Group).uri(uri).build().unwrap()).permission(permission).build()
}

#[tokio::test]
async fn canned_acls_open_exactly_what_they_name() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let a = &alice.client;
    a.create_bucket().bucket("pub-bkt").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    a.create_bucket().bucket("priv-bkt").send().await.unwrap();
    a.put_object().bucket("pub-bkt").key("open").acl(ObjectCannedAcl::PublicRead).body(b"open data".to_vec().into()).send().await.unwrap();
    a.put_object().bucket("pub-bkt").key("closed").body(b"closed data".to_vec().into()).send().await.unwrap();
    a.put_object().bucket("priv-bkt").key("open").acl(ObjectCannedAcl::PublicRead).body(b"public in private".to_vec().into()).send().await.unwrap();
    a.put_object().bucket("priv-bkt").key("members").acl(ObjectCannedAcl::AuthenticatedRead).body(b"members".to_vec().into()).send().await.unwrap();
    a.copy_object().bucket("priv-bkt").key("copied-open").copy_source("pub-bkt/closed").acl(ObjectCannedAcl::PublicRead).send().await.unwrap();

    // Anonymous: reads what is public, nothing else.
    let anon = |method: &str, path: &str| app.raw(method, path);
    assert_eq!(anon("GET", "/pub-bkt").send().await.status, 200, "public-read bucket lists");
    let open = anon("GET", "/pub-bkt/open").send().await;
    assert_eq!((open.status, open.body.as_slice()), (200, b"open data".as_slice()));
    assert_eq!(anon("HEAD", "/pub-bkt/open").send().await.status, 200);
    assert_eq!(anon("GET", "/priv-bkt/open").send().await.status, 200, "an object's ACL opens it in a private bucket");
    assert_eq!(anon("GET", "/priv-bkt/copied-open").send().await.status, 200, "CopyObject applies x-amz-acl");
    let before = snapshot(&app).await;
    for (method, path, what) in [
        ("GET", "/pub-bkt/closed", "private object in a public bucket"),
        ("HEAD", "/pub-bkt/closed", "HEAD of a private object"),
        ("GET", "/priv-bkt", "listing a private bucket"),
        ("GET", "/priv-bkt/members", "authenticated-read object"),
        ("GET", "/pub-bkt/missing", "missing key without list right on … a public bucket lists, so 404 is fine"),
        ("PUT", "/pub-bkt/new", "writing into a public-read bucket"),
        ("DELETE", "/pub-bkt/open", "deleting a public object"),
        ("GET", "/pub-bkt?acl", "reading a public bucket's ACL"),
        ("PUT", "/pub-bkt/open?acl", "changing a public object's ACL"),
        ("GET", "/", "listing buckets"),
    ] {
        let resp = anon(method, path).header("x-amz-acl", "public-read-write").send().await;
        if path == "/pub-bkt/missing" {
            assert_eq!(resp.status, 404, "{what}");
            continue;
        }
        assert_denied(&app, &before, &resp, 403, (method != "HEAD").then_some("AccessDenied"), what).await;
    }

    // Another user: authenticated-read and public objects yes, private no.
    let b = &bob.client;
    b.get_object().bucket("priv-bkt").key("members").send().await.expect("authenticated-read");
    b.get_object().bucket("pub-bkt").key("open").send().await.expect("public-read");
    let err = b.get_object().bucket("pub-bkt").key("closed").send().await.unwrap_err();
    assert_eq!(err.into_service_error().meta().code(), Some("AccessDenied"));

    // public-read-write: others may write; the object is theirs.
    a.create_bucket().bucket("drop-box").acl(BucketCannedAcl::PublicReadWrite).send().await.unwrap();
    b.put_object().bucket("drop-box").key("from-bob").body(b"hi".to_vec().into()).send().await.expect("public-read-write bucket takes writes");
    let listed = a.list_objects_v2().bucket("drop-box").fetch_owner(true).send().await.unwrap();
    assert_eq!(listed.contents()[0].owner().and_then(|o| o.id()), Some(bob.id.as_str()));
    assert_eq!(listed.contents()[0].owner().and_then(|o| o.display_name()), Some("bob"));
    a.delete_object().bucket("drop-box").key("from-bob").send().await.expect("the bucket owner may delete");
    app.shutdown().await;
}

#[tokio::test]
async fn grants_by_header_and_document_and_acls_read_back_owner_first() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let bob = user(&app, "bob").await;
    let carol = user(&app, "carol").await;
    let a = &alice.client;
    a.create_bucket().bucket("team").send().await.unwrap();
    a.put_object().bucket("team").key("shared").grant_read(format!("id=\"{}\"", bob.id)).body(b"for bob".to_vec().into()).send().await.unwrap();
    bob.client.get_object().bucket("team").key("shared").send().await.expect("granted by header");
    assert!(carol.client.get_object().bucket("team").key("shared").send().await.is_err());

    let acl = a.get_object_acl().bucket("team").key("shared").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(alice.id.as_str()));
    let grants: Vec<(Option<&str>, &str)> = acl.grants().iter().map(|g| (g.grantee().and_then(|g| g.id()), g.permission().unwrap().as_str())).collect();
    assert_eq!(grants, [(Some(alice.id.as_str()), "FULL_CONTROL"), (Some(bob.id.as_str()), "READ")]);

    // Bob may read but not read or change the ACL.
    let before = snapshot(&app).await;
    let resp = Signed::new(&app, "GET", "/team/shared?acl").sign(&bob.access_key, &bob.secret, None).send().await;
    assert_denied(&app, &before, &resp, 403, Some("AccessDenied"), "GetObjectAcl with READ only").await;
    let resp = Signed::new(&app, "PUT", "/team/shared?acl").header("x-amz-acl", "public-read").sign(&bob.access_key, &bob.secret, None).send().await;
    assert_denied(&app, &before, &resp, 403, Some("AccessDenied"), "PutObjectAcl with READ only").await;

    // A bucket ACL document: Bob may list, everyone may list.
    let policy = AccessControlPolicy::builder()
        .owner(Owner::builder().id(&alice.id).build())
        .grants(canonical(&bob.id, Permission::Read))
        .grants(group(ALL_USERS, Permission::Read))
        .build();
    a.put_bucket_acl().bucket("team").access_control_policy(policy).send().await.unwrap();
    bob.client.list_objects_v2().bucket("team").send().await.expect("granted READ on the bucket");
    assert_eq!(app.raw("GET", "/team").send().await.status, 200);
    let bucket_acl = a.get_bucket_acl().bucket("team").send().await.unwrap();
    let shown: Vec<(Option<&str>, Option<&str>, &str)> =
        bucket_acl.grants().iter().map(|g| (g.grantee().and_then(|g| g.id()), g.grantee().and_then(|g| g.uri()), g.permission().unwrap().as_str())).collect();
    // A document is the whole list: without a grant to the owner, none is shown (the
    // owner keeps every right all the same), as S3 keeps it.
    assert_eq!(shown, [(Some(bob.id.as_str()), None, "READ"), (None, Some(ALL_USERS), "READ")]);
    let with_owner = AccessControlPolicy::builder()
        .owner(Owner::builder().id(&alice.id).build())
        .grants(canonical(&alice.id, Permission::FullControl))
        .grants(canonical(&bob.id, Permission::Read))
        .grants(group(ALL_USERS, Permission::Read))
        .build();
    a.put_bucket_acl().bucket("team").access_control_policy(with_owner).send().await.unwrap();
    let bucket_acl = a.get_bucket_acl().bucket("team").send().await.unwrap();
    let shown: Vec<(Option<&str>, Option<&str>, &str)> =
        bucket_acl.grants().iter().map(|g| (g.grantee().and_then(|g| g.id()), g.grantee().and_then(|g| g.uri()), g.permission().unwrap().as_str())).collect();
    assert_eq!(shown, [(Some(alice.id.as_str()), None, "FULL_CONTROL"), (Some(bob.id.as_str()), None, "READ"), (None, Some(ALL_USERS), "READ")]);

    // Bad requests change nothing.
    let before = snapshot(&app).await;
    let put_acl = |body: &str| Signed::new(&app, "PUT", "/team?acl").body(body.as_bytes().to_vec()).sign(&alice.access_key, &alice.secret, None);
    let resp = put_acl("<AccessControlPolicy><AccessControlList><Grant>").send().await;
    assert_denied(&app, &before, &resp, 400, Some("MalformedACLError"), "broken XML").await;
    let resp = put_acl("<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>0123456789abcdef0123456789abcdef</ID></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>").send().await;
    assert_denied(&app, &before, &resp, 400, Some("InvalidArgument"), "grant to an unknown user").await;
    let resp = put_acl("<AccessControlPolicy><AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>x</ID></Grantee><Permission>ALL</Permission></Grant></AccessControlList></AccessControlPolicy>").send().await;
    assert_denied(&app, &before, &resp, 400, Some("MalformedACLError"), "unknown permission").await;
    let resp = Signed::new(&app, "PUT", "/team/new")
        .header("x-amz-grant-read", "id=\"nobody-at-all\"")
        .body(b"x".to_vec())
        .sign(&alice.access_key, &alice.secret, None)
        .send()
        .await;
    assert_denied(&app, &before, &resp, 400, Some("InvalidArgument"), "PutObject granting to an unknown user").await;
    let resp = Signed::new(&app, "PUT", "/team/new")
        .header("x-amz-acl", "public-read")
        .header("x-amz-grant-read", &format!("id=\"{}\"", bob.id))
        .body(b"x".to_vec())
        .sign(&alice.access_key, &alice.secret, None)
        .send()
        .await;
    assert_denied(&app, &before, &resp, 400, Some("InvalidRequest"), "canned and grant headers together").await;
    let resp = Signed::new(&app, "PUT", "/team?acl").sign(&alice.access_key, &alice.secret, None).send().await;
    assert_denied(&app, &before, &resp, 400, Some("MissingSecurityHeader"), "no ACL at all").await;

    // Grants of READ_ACP and WRITE_ACP let Carol read and change an object's ACL.
    a.put_object_acl()
        .bucket("team")
        .key("shared")
        .grant_read_acp(format!("id=\"{}\"", carol.id))
        .grant_write_acp(format!("id=\"{}\"", carol.id))
        .send()
        .await
        .unwrap();
    carol.client.get_object_acl().bucket("team").key("shared").send().await.expect("READ_ACP");
    carol.client.put_object_acl().bucket("team").key("shared").acl(ObjectCannedAcl::PublicRead).send().await.expect("WRITE_ACP");
    assert_eq!(app.raw("GET", "/team/shared").send().await.status, 200, "now public");
    a.put_object_acl().bucket("team").key("shared").acl(ObjectCannedAcl::Private).send().await.unwrap();
    assert_eq!(app.raw("GET", "/team/shared").send().await.status, 403, "private again");
    app.shutdown().await;
}

#[tokio::test]
async fn acl_changes_write_events_and_address_versions() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let a = &alice.client;
    a.create_bucket().bucket("evt").send().await.unwrap();
    a.put_object().bucket("evt").key("k").body(b"v".to_vec().into()).send().await.unwrap();
    a.put_bucket_acl().bucket("evt").acl(BucketCannedAcl::PublicRead).send().await.unwrap();
    a.put_object_acl()
        .bucket("evt")
        .key("k")
        .version_id("null")
        .acl(ObjectCannedAcl::PublicRead)
        .send()
        .await
        .expect("versionId=null addresses the unversioned object");
    let acl = a.get_object_acl().bucket("evt").key("k").version_id("null").send().await.unwrap();
    assert_eq!(acl.grants().len(), 2);

    let rows = sqlx::query("SELECT payload FROM outbox ORDER BY id").fetch_all(app.state().catalog.reader()).await.unwrap();
    let events: Vec<serde_json::Value> = rows.iter().map(|r| serde_json::from_str(&r.get::<String, _>(0)).unwrap()).collect();
    let bucket_event = events.iter().find(|e| e["type"] == "BUCKET_UPDATED").expect("a BUCKET_UPDATED event");
    assert_eq!(bucket_event["eventName"], "BucketAcl:Put");
    assert!(bucket_event.to_string().contains("all_users"), "the event carries the new ACL: {bucket_event}");
    let object_event = events.iter().find(|e| e["type"] == "OBJECT_UPDATED").expect("an OBJECT_UPDATED event");
    assert_eq!(object_event["eventName"], "ObjectAcl:Put");
    assert_eq!(object_event["principal"], alice.id.as_str());

    let before = snapshot(&app).await;
    let resp = Signed::new(&app, "PUT", "/evt/k?acl&versionId=0123456789abcdef0123456789abcdef")
        .header("x-amz-acl", "private")
        .sign(&alice.access_key, &alice.secret, None)
        .send()
        .await;
    assert_denied(&app, &before, &resp, 404, Some("NoSuchVersion"), "ACL of a version that does not exist").await;
    let resp =
        Signed::new(&app, "PUT", "/evt/k?acl&versionId=not-a-version").header("x-amz-acl", "private").sign(&alice.access_key, &alice.secret, None).send().await;
    assert_denied(&app, &before, &resp, 400, Some("InvalidArgument"), "malformed version id").await;
    app.shutdown().await;
}

/// Revoking every grant with a document leaves an empty grant list (AWS keeps exactly
/// the document), and the owner keeps full control of the object all the same.
#[tokio::test]
async fn a_document_without_grants_leaves_an_empty_grant_list() {
    let app = TestApp::start().await;
    let alice = user(&app, "alice").await;
    let a = &alice.client;
    a.create_bucket().bucket("bare").send().await.unwrap();
    a.put_object().bucket("bare").key("k").acl(ObjectCannedAcl::PublicRead).body(b"data".to_vec().into()).send().await.unwrap();
    let empty = AccessControlPolicy::builder().owner(Owner::builder().id(&alice.id).build()).set_grants(Some(Vec::new())).build();
    a.put_object_acl().bucket("bare").key("k").access_control_policy(empty).send().await.unwrap();
    let acl = a.get_object_acl().bucket("bare").key("k").send().await.unwrap();
    assert_eq!(acl.owner().and_then(|o| o.id()), Some(alice.id.as_str()));
    assert!(acl.grants().is_empty(), "{:?}", acl.grants());
    assert_eq!(app.raw("GET", "/bare/k").send().await.status, 403, "the public grant is gone");
    let got = a.get_object().bucket("bare").key("k").send().await.expect("the owner still reads");
    assert_eq!(got.body.collect().await.unwrap().into_bytes().as_ref(), b"data");
    a.put_object_acl().bucket("bare").key("k").acl(ObjectCannedAcl::Private).send().await.expect("and still sets the ACL");
    let acl = a.get_object_acl().bucket("bare").key("k").send().await.unwrap();
    assert_eq!(acl.grants().len(), 1, "a canned ACL shows the owner's FULL_CONTROL again");
    app.shutdown().await;
}

#[tokio::test]
async fn grants_by_e_mail_address_are_unresolvable() {
    // Depot accounts have no e-mail address: S3's answer for one it cannot resolve.
    let app = TestApp::start().await;
    app.bucket("mail").await;
    app.put("mail", "k", b"x".to_vec()).await;
    let before = app.snapshot("mail").await;
    let by_header = app.client.put_bucket_acl().bucket("mail").grant_read("emailAddress=\"someone@example.com\"").send().await.unwrap_err();
    assert_eq!(by_header.into_service_error().meta().code(), Some("UnresolvableGrantByEmailAddress"));
    let grantee = Grantee::builder().r#type(Type::AmazonCustomerByEmail).email_address("someone@example.com").build().unwrap();
    let owner = app.client.get_object_acl().bucket("mail").key("k").send().await.unwrap().owner().unwrap().clone();
    let policy = AccessControlPolicy::builder().owner(owner).grants(Grant::builder().grantee(grantee).permission(Permission::Read).build()).build();
    let err = app.client.put_object_acl().bucket("mail").key("k").access_control_policy(policy).send().await.unwrap_err();
    let err = err.into_service_error();
    assert_eq!(err.meta().code(), Some("UnresolvableGrantByEmailAddress"));
    assert_eq!(err.meta().message(), Some("The e-mail address you provided does not match any account on record."));
    assert_eq!(app.snapshot("mail").await, before, "nothing changed");
    let acl = app.client.get_object_acl().bucket("mail").key("k").send().await.unwrap();
    assert_eq!(acl.grants().len(), 1, "the owner's grant only");
    app.shutdown().await;
}
