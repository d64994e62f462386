//! ListObjects (v1) and ListObjectsV2: prefix, delimiter and common prefixes, page size
//! and truncation, walking a bucket page by page with each kind of marker,
//! `encoding-type=url`, control characters as character references, fetch-owner, UTF-8
//! byte order, the errors (an empty continuation token among them), and what a page
//! costs in a large bucket (an index range scan, never a scan of the bucket).

use std::collections::BTreeSet;

use aws_sdk_s3::Client;
use futures_util::StreamExt;
use sqlx::Row;

use crate::common::{s3_error, xml_value, xml_values, TestApp};

/// Puts `keys` (the body is the key) a few at a time.
async fn put_all(app: &TestApp, bucket: &str, keys: &[String]) {
    futures_util::stream::iter(keys).map(|key| app.put(bucket, key, key.as_bytes().to_vec())).buffer_unordered(8).collect::<Vec<_>>().await;
}

fn strings(keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| k.to_string()).collect()
}

/// Keys and common prefixes of one ListObjectsV2 call.
async fn list_v2(client: &Client, bucket: &str, prefix: &str, delimiter: Option<&str>) -> (Vec<String>, Vec<String>) {
    let out = client.list_objects_v2().bucket(bucket).prefix(prefix).set_delimiter(delimiter.map(str::to_owned)).send().await.expect("list");
    let keys = out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
    let prefixes = out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_owned)).collect();
    (keys, prefixes)
}

#[tokio::test]
async fn prefix_and_delimiter() {
    let app = TestApp::start().await;
    app.bucket("lst").await;
    let keys = strings(&["a.txt", "photos/2024/feb.jpg", "photos/2024/jan.jpg", "photos/2025/mar.jpg", "photos/index.html", "videos/x.mp4", "z"]);
    put_all(&app, "lst", &keys).await;

    assert_eq!(list_v2(&app.client, "lst", "", None).await, (keys.clone(), vec![]));
    assert_eq!(list_v2(&app.client, "lst", "", Some("/")).await, (strings(&["a.txt", "z"]), strings(&["photos/", "videos/"])));
    assert_eq!(list_v2(&app.client, "lst", "photos/", Some("/")).await, (strings(&["photos/index.html"]), strings(&["photos/2024/", "photos/2025/"])));
    assert_eq!(list_v2(&app.client, "lst", "photos/2024/", Some("/")).await, (strings(&["photos/2024/feb.jpg", "photos/2024/jan.jpg"]), vec![]));
    assert_eq!(list_v2(&app.client, "lst", "photos/20", None).await.0.len(), 3);
    assert_eq!(list_v2(&app.client, "lst", "nothing/", Some("/")).await, (vec![], vec![]));
    // Any string can be the delimiter.
    assert_eq!(
        list_v2(&app.client, "lst", "photos/", Some(".")).await,
        (vec![], strings(&["photos/2024/feb.", "photos/2024/jan.", "photos/2025/mar.", "photos/index."]))
    );

    let out = app.client.list_objects_v2().bucket("lst").delimiter("/").send().await.unwrap();
    assert_eq!(out.key_count(), Some(4), "KeyCount counts keys and common prefixes");
    assert_eq!(out.is_truncated(), Some(false));
    assert_eq!(out.delimiter(), Some("/"));

    let v1 = app.client.list_objects().bucket("lst").prefix("photos/").delimiter("/").send().await.unwrap();
    let v1_keys: Vec<&str> = v1.contents().iter().filter_map(|o| o.key()).collect();
    let v1_prefixes: Vec<&str> = v1.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!((v1_keys, v1_prefixes), (vec!["photos/index.html"], vec!["photos/2024/", "photos/2025/"]));
    assert_eq!(v1.prefix(), Some("photos/"));
    app.shutdown().await;
}

#[tokio::test]
async fn max_keys_truncates_a_page() {
    let app = TestApp::start().await;
    app.bucket("lst").await;
    put_all(&app, "lst", &strings(&["a", "b", "c", "d/1", "d/2", "e"])).await;

    let out = app.client.list_objects_v2().bucket("lst").max_keys(2).send().await.unwrap();
    assert_eq!(out.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!((out.is_truncated(), out.key_count(), out.max_keys()), (Some(true), Some(2), Some(2)));
    assert!(out.next_continuation_token().is_some());

    // v1: NextMarker is the last key or common prefix of the page.
    let out = app.client.list_objects().bucket("lst").delimiter("/").max_keys(4).send().await.unwrap();
    assert_eq!(out.is_truncated(), Some(true));
    assert_eq!(out.next_marker(), Some("d/"));
    let rest = app.client.list_objects().bucket("lst").delimiter("/").marker("d/").send().await.unwrap();
    assert_eq!(rest.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["e"]);
    assert_eq!(rest.is_truncated(), Some(false));
    assert_eq!(rest.next_marker(), None);

    // A page exactly as large as what is left is not truncated.
    let out = app.client.list_objects_v2().bucket("lst").max_keys(6).send().await.unwrap();
    assert_eq!((out.key_count(), out.is_truncated(), out.next_continuation_token()), (Some(6), Some(false), None));
    // Larger pages than 1000 are capped at 1000, as in S3.
    let out = app.client.list_objects_v2().bucket("lst").max_keys(5000).send().await.unwrap();
    assert_eq!(out.max_keys(), Some(1000));
    app.shutdown().await;
}

/// 250 keys: ten directories of twenty, one with a subdirectory, and top-level keys.
fn walk_keys() -> Vec<String> {
    let mut keys: Vec<String> = (0..10).flat_map(|d| (0..20).map(move |f| format!("dir{d:02}/file{f:03}"))).collect();
    keys.extend((0..10).map(|i| format!("dir03/sub/{i}")));
    keys.extend((0..40).map(|i| format!("top{i:03}")));
    keys.sort();
    keys
}

#[tokio::test]
async fn paging_walks_every_key_exactly_once() {
    let app = TestApp::start().await;
    app.bucket("walk").await;
    let keys = walk_keys();
    put_all(&app, "walk", &keys).await;
    assert_eq!(app.keys("walk").await, keys, "the SDK paginator sees every key in order");

    // ListObjectsV2 with continuation tokens.
    let (mut seen, mut token) = (Vec::new(), None::<String>);
    loop {
        let out = app.client.list_objects_v2().bucket("walk").max_keys(7).set_continuation_token(token.clone()).send().await.unwrap();
        assert_eq!(out.key_count(), Some(out.contents().len() as i32));
        seen.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        match out.next_continuation_token() {
            Some(next) => {
                assert_eq!(out.is_truncated(), Some(true));
                token = Some(next.to_owned());
            }
            None => break,
        }
    }
    assert_eq!(seen, keys, "continuation tokens");

    // ListObjectsV2 with start-after, and ListObjects v1 with marker.
    for v1 in [false, true] {
        let (mut seen, mut after) = (Vec::new(), None::<String>);
        loop {
            let (page, truncated): (Vec<String>, bool) = if v1 {
                let out = app.client.list_objects().bucket("walk").max_keys(7).set_marker(after.clone()).send().await.unwrap();
                (out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect(), out.is_truncated() == Some(true))
            } else {
                let out = app.client.list_objects_v2().bucket("walk").max_keys(7).set_start_after(after.clone()).send().await.unwrap();
                (out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect(), out.is_truncated() == Some(true))
            };
            after = page.last().cloned();
            seen.extend(page);
            if !truncated {
                break;
            }
        }
        assert_eq!(seen, keys, "{}", if v1 { "v1 marker" } else { "start-after" });
    }

    // With a delimiter: pages of keys and common prefixes add up to the single page.
    let (all_keys, all_prefixes) = list_v2(&app.client, "walk", "", Some("/")).await;
    assert_eq!(all_prefixes.len(), 10);
    assert_eq!(all_keys.len(), 40);
    let (mut keys_seen, mut prefixes_seen, mut token) = (Vec::new(), Vec::new(), None::<String>);
    loop {
        let out = app.client.list_objects_v2().bucket("walk").delimiter("/").max_keys(3).set_continuation_token(token.clone()).send().await.unwrap();
        assert!(out.key_count().unwrap_or_default() <= 3);
        keys_seen.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        prefixes_seen.extend(out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_owned)));
        match out.next_continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!((keys_seen, prefixes_seen), (all_keys.clone(), all_prefixes.clone()), "delimiter pages");

    let (mut seen, mut marker) = (BTreeSet::new(), None::<String>);
    loop {
        let out = app.client.list_objects().bucket("walk").delimiter("/").max_keys(4).set_marker(marker.clone()).send().await.unwrap();
        for entry in out.contents().iter().filter_map(|o| o.key()).chain(out.common_prefixes().iter().filter_map(|p| p.prefix())) {
            assert!(seen.insert(entry.to_owned()), "{entry} listed twice");
        }
        if out.is_truncated() != Some(true) {
            break;
        }
        marker = Some(out.next_marker().expect("NextMarker on a truncated v1 page with a delimiter").to_owned());
    }
    let expected: BTreeSet<String> = all_keys.into_iter().chain(all_prefixes).collect();
    assert_eq!(seen, expected, "v1 delimiter pages");

    // A marker inside a common prefix resumes after that prefix.
    let out = app.client.list_objects().bucket("walk").delimiter("/").marker("dir05/file007").max_keys(2).send().await.unwrap();
    let prefixes: Vec<&str> = out.common_prefixes().iter().filter_map(|p| p.prefix()).collect();
    assert_eq!(prefixes, ["dir06/", "dir07/"]);
    app.shutdown().await;
}

#[tokio::test]
async fn encoding_type_url_encodes_every_key_field() {
    let app = TestApp::start().await;
    app.bucket("enc").await;
    put_all(&app, "enc", &strings(&["a b/c", "a b/d", "x+y", "ü/日本", "plain"])).await;

    let resp = app.send_signed(app.raw("GET", "/enc?list-type=2&encoding-type=url&delimiter=%2F")).await;
    assert_eq!(resp.status, 200);
    let doc = resp.text();
    assert_eq!(xml_value(&doc, "EncodingType").as_deref(), Some("url"));
    assert_eq!(xml_values(&doc, "Key"), ["plain", "x%2By"]);
    assert_eq!(xml_values(&doc, "Prefix")[1..], ["a%20b/", "%C3%BC/"], "{doc}");

    let resp = app.send_signed(app.raw("GET", "/enc?list-type=2&encoding-type=url&prefix=a%20b%2F&start-after=a%20b%2Fc")).await;
    let doc = resp.text();
    assert_eq!(xml_value(&doc, "Prefix").as_deref(), Some("a%20b/"));
    assert_eq!(xml_value(&doc, "StartAfter").as_deref(), Some("a%20b/c"));
    assert_eq!(xml_values(&doc, "Key"), ["a%20b/d"]);

    let resp = app.send_signed(app.raw("GET", "/enc?encoding-type=url&delimiter=%2F&max-keys=1&marker=a%20b%2F")).await;
    let doc = resp.text();
    assert_eq!(xml_value(&doc, "Marker").as_deref(), Some("a%20b/"));
    assert_eq!(xml_value(&doc, "NextMarker").as_deref(), Some("plain"));
    let resp = app.send_signed(app.raw("GET", "/enc?encoding-type=url&delimiter=%2F&max-keys=1")).await;
    assert_eq!(xml_value(&resp.text(), "NextMarker").as_deref(), Some("a%20b/"));

    // Without encoding-type the keys are plain (XML-escaped) text.
    let resp = app.send_signed(app.raw("GET", "/enc?list-type=2")).await;
    assert_eq!(xml_values(&resp.text(), "Key"), ["a b/c", "a b/d", "plain", "x+y", "ü/日本"]);
    app.shutdown().await;
}

#[tokio::test]
async fn fetch_owner() {
    let app = TestApp::start().await;
    app.bucket("own").await;
    app.put("own", "k", b"v".to_vec()).await;
    let plain = app.client.list_objects_v2().bucket("own").send().await.unwrap();
    assert!(plain.contents()[0].owner().is_none(), "v2 lists owners only when asked");
    let with_owner = app.client.list_objects_v2().bucket("own").fetch_owner(true).send().await.unwrap();
    let owner = with_owner.contents()[0].owner().expect("owner");
    let bucket_owner = app.client.list_buckets().send().await.unwrap().owner().and_then(|o| o.id()).map(str::to_owned);
    assert_eq!(owner.id().map(str::to_owned), bucket_owner);
    assert!(owner.display_name().is_some());
    let v1 = app.client.list_objects().bucket("own").send().await.unwrap();
    assert_eq!(v1.contents()[0].owner().and_then(|o| o.id()), owner.id(), "v1 always lists owners");
    app.shutdown().await;
}

#[tokio::test]
async fn keys_are_listed_in_utf8_byte_order() {
    let app = TestApp::start().await;
    app.bucket("utf").await;
    // Byte order, not case-insensitive, locale or UTF-16 order: "😀" (F0 9F…) sorts after
    // U+FFFD (EF BF BD) here, but before it in UTF-16.
    let keys = strings(&["B", "a", "a/b", "a0", "z", "~", "é", "é/x", "ü", "日本", "\u{FFFD}", "😀", "😀/y", "ａ"]);
    put_all(&app, "utf", &keys).await;
    let mut expected = keys.clone();
    expected.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(app.keys("utf").await, expected);

    // Paging one entry at a time across the multi-byte keys and prefixes.
    let (mut seen, mut token) = (Vec::new(), None::<String>);
    loop {
        let out = app.client.list_objects_v2().bucket("utf").delimiter("/").max_keys(1).set_continuation_token(token.clone()).send().await.unwrap();
        seen.extend(out.contents().iter().filter_map(|o| o.key().map(str::to_owned)));
        seen.extend(out.common_prefixes().iter().filter_map(|p| p.prefix().map(str::to_owned)));
        match out.next_continuation_token() {
            Some(next) => token = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, strings(&["B", "a", "a/", "a0", "z", "~", "é", "é/", "ü", "日本", "ａ", "\u{FFFD}", "😀", "😀/"]));
    app.shutdown().await;
}

#[tokio::test]
async fn listing_errors() {
    let app = TestApp::start().await;
    app.bucket("lst").await;
    let (status, code) = s3_error(app.client.list_objects_v2().bucket("no-such-bucket").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    let (status, code) = s3_error(app.client.list_objects().bucket("no-such-bucket").send().await);
    assert_eq!((status, code.as_str()), (404, "NoSuchBucket"));
    let (status, code) = s3_error(app.client.list_objects_v2().bucket("lst").continuation_token("%%%not-a-token").send().await);
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    for query in ["max-keys=-1", "max-keys=ten", "encoding-type=zip", "list-type=3"] {
        let resp = app.send_signed(app.raw("GET", &format!("/lst?{query}"))).await;
        assert_eq!((resp.status, resp.error_code().as_deref()), (400, Some("InvalidArgument")), "{query}");
    }
    app.shutdown().await;
}

#[tokio::test]
async fn control_characters_round_trip_as_character_references() {
    // XML 1.0 cannot carry most C0 control characters raw; AWS writes them as character
    // references (`&#x1;`, `&#x1b;`), so a client reading the reference gets the key back.
    let app = TestApp::start().await;
    app.bucket("ctl").await;
    for key in ["a\u{1}b", "a\u{1b}z", "a\rb", "plain"] {
        app.put("ctl", key, b"x".to_vec()).await;
    }
    let resp = app.send_signed(app.raw("GET", "/ctl?list-type=2&prefix=a%01")).await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let body = resp.text();
    assert!(!body.bytes().any(|b| b < 0x20 && b != b'\n'), "a raw control character in {body:?}");
    assert_eq!(xml_value(&body, "Prefix").as_deref(), Some("a&#x1;"));
    assert_eq!(xml_values(&body, "Key"), ["a&#x1;b"]);

    let body = app.send_signed(app.raw("GET", "/ctl?list-type=2&prefix=a")).await.text();
    assert_eq!(xml_values(&body, "Key"), ["a&#x1;b", "a&#13;b", "a&#x1b;z"]);
    // encoding-type=url percent-encodes them instead.
    let body = app.send_signed(app.raw("GET", "/ctl?list-type=2&prefix=a%01&encoding-type=url")).await.text();
    assert_eq!((xml_value(&body, "Prefix").as_deref(), xml_values(&body, "Key")), (Some("a%01"), vec!["a%01b".to_owned()]));
    // v1 and the versions listing write keys the same way.
    let body = app.send_signed(app.raw("GET", "/ctl?prefix=a%01")).await.text();
    assert_eq!(xml_values(&body, "Key"), ["a&#x1;b"]);
    let body = app.send_signed(app.raw("GET", "/ctl?versions&prefix=a%01")).await.text();
    assert_eq!(xml_values(&body, "Key"), ["a&#x1;b"]);
    app.shutdown().await;
}

#[tokio::test]
async fn an_empty_continuation_token_is_refused_as_aws_does() {
    // AWS answers `continuation-token=` with InvalidArgument (boto3 with
    // ContinuationToken='' fails there), so Depot does not read it as "no token".
    let app = TestApp::start().await;
    app.bucket("tok").await;
    let resp = app.send_signed(app.raw("GET", "/tok?list-type=2&continuation-token=")).await;
    assert_eq!(
        (resp.status, resp.error_code().as_deref(), resp.error_message().as_deref()),
        (400, Some("InvalidArgument"), Some("The continuation token provided is incorrect"))
    );
    assert_eq!(xml_value(&resp.text(), "ArgumentName").as_deref(), Some("continuation-token"));
    app.shutdown().await;
}

/// Fills a bucket straight in the catalog with `dirs` × 100 live keys
/// (`dir0000/file000` …), an older version of each and a delete marker per directory:
/// rows a listing must step over. A large bucket at test scale, in a moment.
async fn fill(app: &TestApp, bucket_id: i64, dirs: i64) {
    let mut db = app.db().await;
    // Row i is file i % 100 of directory i / 100; marker i is in directory i.
    let (key, marker_key, rows) = if app.is_postgres() {
        (
            "'dir' || lpad((i / 100)::text, 4, '0') || '/file' || lpad((i % 100)::text, 3, '0')",
            "'dir' || lpad(i::text, 4, '0') || '/gone'",
            "generate_series(0, $2 - 1) AS i",
        )
    } else {
        (
            "printf('dir%04d/file%03d', i / 100, i % 100)",
            "printf('dir%04d/gone', i)",
            "(WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < $2 - 1) SELECT i FROM n)",
        )
    };
    let columns = "bucket_id, key, version_id, is_latest, is_delete_marker, size, etag, last_modified, owner_id, metadata, storage_class";
    let inserts = [
        (format!("SELECT $1, {key}, 'null', 1, 0, 1, '\"0\"', 0, 'owner', '{{}}', 'STANDARD' FROM {rows}"), dirs * 100),
        (format!("SELECT $1, {key}, '0000000000000000000000000000old0', 0, 0, 1, '\"0\"', 0, 'owner', '{{}}', 'STANDARD' FROM {rows}"), dirs * 100),
        (format!("SELECT $1, {marker_key}, 'null', 1, 1, 0, '', 0, 'owner', '{{}}', 'STANDARD' FROM {rows}"), dirs),
    ];
    for (select, count) in inserts {
        sqlx::query(&format!("INSERT INTO objects ({columns}) {select}")).bind(bucket_id).bind(count).execute(&mut db).await.expect("fill the bucket");
    }
    sqlx::query(if app.is_postgres() { "ANALYZE objects" } else { "ANALYZE" }).execute(&mut db).await.expect("analyze");
}

/// The catalog engine the test app runs on.
fn dialect(app: &TestApp) -> depot::catalog::Dialect {
    if app.is_postgres() {
        depot::catalog::Dialect::Postgres
    } else {
        depot::catalog::Dialect::Sqlite
    }
}

/// The plan of the listing statement, one line per step.
async fn plan(app: &TestApp, bucket_id: i64, inclusive: bool, bound: &str, limit: i64) -> Vec<String> {
    plan_of(app, &depot::catalog::page_query(dialect(app), inclusive), bucket_id, bound, None, limit).await
}

/// The plan of a listing statement bound to (bucket, key bound, [row id], limit).
async fn plan_of(app: &TestApp, sql: &str, bucket_id: i64, bound: &str, row_id: Option<i64>, limit: i64) -> Vec<String> {
    let mut db = app.db().await;
    let explain = if app.is_postgres() { format!("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) {sql}") } else { format!("EXPLAIN QUERY PLAN {sql}") };
    let mut query = sqlx::query(&explain).bind(bucket_id).bind(bound);
    if let Some(id) = row_id {
        query = query.bind(id);
    }
    let rows = query.bind(limit).fetch_all(&mut db).await.expect("explain");
    if app.is_postgres() {
        rows.iter().map(|r| r.get::<String, _>(0)).collect()
    } else {
        rows.iter().map(|r| r.get::<String, _>("detail")).collect()
    }
}

#[tokio::test]
async fn a_page_costs_an_index_range_scan_never_a_bucket_scan() {
    let app = TestApp::start().await;
    app.bucket("small").await;
    app.bucket("huge").await;
    app.put("small", "k", b"v".to_vec()).await;
    let huge = app.state().catalog.bucket("huge").await.unwrap().expect("bucket row").id;
    fill(&app, huge, 200).await;

    // The statement every page runs is a range scan of the objects_live index, in index
    // order (no sort), whichever way it is bounded; with real statistics (ANALYZE). Its
    // rows are then gathered into one (the scan of the subquery's own rows).
    for inclusive in [true, false] {
        let plan = plan(&app, huge, inclusive, "dir0100/file050", 1001).await;
        let text = plan.join("\n");
        if app.is_postgres() {
            assert!(text.contains("Index Scan using objects_live on objects"), "{text}");
            assert!(plan.iter().any(|l| l.contains("Index Cond:") && l.contains("bucket_id") && l.contains("key")), "{text}");
            assert!(!text.contains("Seq Scan") && !text.contains("Sort"), "{text}");
            // EXPLAIN ANALYZE counts the rows the scan produced: one page, not the bucket.
            let scan = plan.iter().find(|l| l.contains("Index Scan")).unwrap();
            let rows: u64 = scan.split("actual rows=").nth(1).and_then(|s| s.split(' ').next()).and_then(|n| n.parse().ok()).expect("actual rows");
            assert!(rows <= 1001, "{text}");
        } else {
            assert!(plan.iter().any(|l| l.starts_with("SEARCH objects USING INDEX objects_live (bucket_id=? AND key>?)")), "{text}");
            assert!(!plan.iter().any(|l| l.starts_with("SCAN objects") || l.contains("TEMP B-TREE")), "{text}");
        }
    }

    // Whole pages, as the handlers ask for them: each reads about a page of index
    // entries, with or without a delimiter, whatever the bucket holds (40,200 rows here).
    let catalog = &app.state().catalog;
    let cases = [
        ("", None, None, 1000, 1000),
        ("", None, Some("dir0150/file000"), 1000, 1000),
        ("dir0100/", None, None, 1000, 100),
        ("", Some("/"), None, 1000, 200),
        ("", Some("/"), Some("dir0100/file050"), 1000, 99),
        ("dir0007/", Some("/"), None, 1000, 100),
    ];
    for (prefix, delimiter, after, max, entries) in cases {
        let page = catalog.list_objects(huge, prefix, delimiter, after, max).await.unwrap();
        assert_eq!(page.objects.len() + page.common_prefixes.len(), entries, "{prefix:?} {delimiter:?} {after:?}");
        assert!(page.rows_read <= 4 * (max as u64 + 1), "{prefix:?} {delimiter:?} {after:?}: {} rows read for one page", page.rows_read);
    }

    // Version listings: both statements (the rest of one key's versions, and the keys
    // after it) are range scans of objects_key_id in index order.
    let version_plans = [
        plan_of(&app, &depot::catalog::versions_query(dialect(&app), true), huge, "dir0100/file050", None, 1001).await,
        plan_of(&app, &depot::catalog::versions_query(dialect(&app), false), huge, "dir0100/file050", None, 1001).await,
        plan_of(&app, &depot::catalog::older_versions_query(dialect(&app)), huge, "dir0100/file050", Some(i64::MAX), 1001).await,
    ];
    for plan in version_plans {
        let text = plan.join("\n");
        if app.is_postgres() {
            assert!(text.contains("Index Scan using objects_key_id on objects"), "{text}");
            assert!(!text.contains("Seq Scan") && !text.contains("Sort"), "{text}");
        } else {
            assert!(plan.iter().any(|l| l.starts_with("SEARCH objects USING INDEX objects_key_id")), "{text}");
            assert!(!plan.iter().any(|l| l.starts_with("SCAN objects") || l.contains("TEMP B-TREE")), "{text}");
        }
    }

    // Through the API, the same bucket lists as expected.
    let out = app.client.list_objects_v2().bucket("huge").delimiter("/").send().await.unwrap();
    assert_eq!(out.common_prefixes().len(), 200);
    let out = app.client.list_objects_v2().bucket("huge").start_after("dir0199/file098").send().await.unwrap();
    assert_eq!(out.contents().iter().filter_map(|o| o.key()).collect::<Vec<_>>(), ["dir0199/file099"]);
    assert_eq!(app.keys("small").await, ["k"], "other buckets are not in the way");
    app.shutdown().await;
}
