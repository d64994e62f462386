//! The first contact: bucket, put, list, get, delete, with the SDK's default settings.

use crate::common::TestApp;

#[tokio::test]
async fn put_list_get_delete_round_trip() {
    let app = TestApp::start().await;
    app.bucket("smoke").await;
    let etag = app.put("smoke", "dir/hello.txt", b"hello world".to_vec()).await;
    assert_eq!(etag, "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"");
    let listed = app.client.list_objects_v2().bucket("smoke").send().await.unwrap();
    assert_eq!(listed.contents().len(), 1);
    assert_eq!(listed.contents()[0].key(), Some("dir/hello.txt"));
    assert_eq!(app.get("smoke", "dir/hello.txt").await, b"hello world");
    app.client.delete_object().bucket("smoke").key("dir/hello.txt").send().await.unwrap();
    app.client.delete_bucket().bucket("smoke").send().await.unwrap();
    app.shutdown().await;
}

#[tokio::test]
async fn small_objects_live_in_the_catalog_and_large_ones_in_blobs() {
    let app = TestApp::start().await;
    app.bucket("sizes").await;
    let limit = depot::object::put::INLINE_LIMIT;
    for (key, len) in [("empty", 0), ("small", 100), ("at-limit", limit), ("over", limit + 1), ("big", 3 * limit)] {
        let body: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        app.put("sizes", key, body.clone()).await;
        assert_eq!(app.get("sizes", key).await, body, "{key}");
        let range = app.client.get_object().bucket("sizes").key(key).range("bytes=-10").send().await;
        if len > 0 {
            let tail = range.unwrap().body.collect().await.unwrap().into_bytes().to_vec();
            assert_eq!(tail, body[len.saturating_sub(10)..].to_vec(), "{key}");
        }
    }
    assert_eq!(app.blob_files().len(), 2, "only the two objects over the limit have blob files");
    // A copy of an inline object is inline too, and survives the source's deletion.
    app.client.copy_object().bucket("sizes").key("small-copy").copy_source("sizes/small").send().await.unwrap();
    app.client.delete_object().bucket("sizes").key("small").send().await.unwrap();
    assert_eq!(app.get("sizes", "small-copy").await.len(), 100);
    app.shutdown().await;
}
