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
