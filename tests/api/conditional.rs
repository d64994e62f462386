//! Conditional requests: If-Match, If-None-Match, If-Modified-Since and
//! If-Unmodified-Since on GET and HEAD (304/412 as S3 answers), and conditional writes
//! (`If-None-Match: *`, `If-Match: <etag>`) whose check and write are one atomic step.

use aws_sdk_s3::primitives::DateTime;

use crate::common::{wait_until, TestApp};

fn status<T, E>(r: &Result<T, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>) -> u16 {
    match r {
        Ok(_) => 200,
        Err(e) => e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0),
    }
}

#[tokio::test]
async fn read_conditions() {
    let app = TestApp::start().await;
    app.bucket("reads").await;
    let etag = app.put("reads", "k", b"data".to_vec()).await;
    let now = std::time::SystemTime::now();
    let past = DateTime::from(now - std::time::Duration::from_secs(3600));
    let future = DateTime::from(now + std::time::Duration::from_secs(3600));
    let get = || app.client.get_object().bucket("reads").key("k");
    let head = || app.client.head_object().bucket("reads").key("k");

    assert_eq!(status(&get().if_match(&etag).send().await), 200);
    assert_eq!(status(&get().if_match("\"other\"").send().await), 412);
    assert_eq!(status(&get().if_none_match(&etag).send().await), 304);
    assert_eq!(status(&get().if_none_match("\"other\"").send().await), 200);
    assert_eq!(status(&get().if_modified_since(future).send().await), 304);
    assert_eq!(status(&get().if_modified_since(past).send().await), 200);
    assert_eq!(status(&get().if_unmodified_since(past).send().await), 412);
    assert_eq!(status(&get().if_unmodified_since(future).send().await), 200);
    // S3's precedence: If-Match true wins over If-Unmodified-Since false.
    assert_eq!(status(&get().if_match(&etag).if_unmodified_since(past).send().await), 200);
    assert_eq!(status(&head().if_none_match(&etag).send().await), 304);
    assert_eq!(status(&head().if_match("\"other\"").send().await), 412);

    // A 304 names the representation.
    let raw = app.raw("GET", "/reads/k").header("if-none-match", &etag).sign(&app.root.access_key_id, &app.root.secret_access_key).send().await;
    assert_eq!(raw.status, 304);
    assert_eq!(raw.header("etag"), Some(etag.as_str()));
    assert!(raw.body.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn conditional_writes() {
    let app = TestApp::start().await;
    app.bucket("writes").await;
    let put = |body: &'static [u8]| app.client.put_object().bucket("writes").key("k").body(body.to_vec().into());
    assert_eq!(status(&put(b"first").if_none_match("*").send().await), 200);
    assert_eq!(status(&put(b"second").if_none_match("*").send().await), 412);
    assert_eq!(app.get("writes", "k").await, b"first");
    let etag = app.client.head_object().bucket("writes").key("k").send().await.unwrap().e_tag().unwrap().to_owned();
    assert_eq!(status(&put(b"third").if_match("\"0123\"").send().await), 412);
    assert_eq!(app.get("writes", "k").await, b"first");
    assert_eq!(status(&put(b"third").if_match(&etag).send().await), 200);
    assert_eq!(app.get("writes", "k").await, b"third");
    let missing = app.client.put_object().bucket("writes").key("absent").if_match(&etag).body(b"x".to_vec().into()).send().await;
    assert_eq!(status(&missing), 404);
    // A failed conditional write of a blob-sized body leaves no blob behind.
    let big = || app.client.put_object().bucket("writes").key("k").body(vec![1u8; 50_000].into());
    assert_eq!(status(&big().if_none_match("*").send().await), 412);
    wait_until("every blob is freed", || async { app.blob_files().is_empty() }).await;
    app.shutdown().await;
}

#[tokio::test]
async fn racing_create_only_writes_let_exactly_one_win() {
    let app = TestApp::start().await;
    app.bucket("race").await;
    let mut tasks = Vec::new();
    for i in 0..8u8 {
        let client = app.client.clone();
        tasks.push(tokio::spawn(async move {
            let r = client.put_object().bucket("race").key("once").if_none_match("*").body(vec![i; 1000].into()).send().await;
            status(&r)
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|s| [200, 409, 412].contains(s)), "{statuses:?}");
    app.shutdown().await;
}
