//! Fault tests for request bodies a client does not bound or does not finish:
//!
//! - an unbounded `Transfer-Encoding: chunked` body (no Content-Length) is cut off at the
//!   configured maximum object size (`ServeConfig::max_object_size`) with
//!   `400 EntityTooLarge`, soon after the limit — the server stops reading — and leaves
//!   no temp file, no blob and no object or part behind;
//! - many stalled uploads (headers and a little body, then nothing) do not starve
//!   health checks, reads and other writes; they are answered or closed once the body
//!   progress timeout (`ServeConfig::body_timeout_secs`) passes, and leave nothing
//!   behind; uploads beyond `ServeConfig::max_concurrent_uploads` get `503 SlowDown`.
//!
//! The bodies are driven on raw sockets: no client library sends them.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use aws_sdk_s3::types::BucketCannedAcl;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::{blob_body, wait_until, RawResponse, TestApp};

const MIB: u64 = 1024 * 1024;

/// The maximum object size configured for the cut-off tests.
const LIMIT: u64 = 8 * MIB;
/// What the client tries to send: far past the limit.
const STREAM: u64 = 64 * MIB;
/// What may still be accepted past the limit: the server socket's receive buffer (Linux
/// autotunes it up to `net.ipv4.tcp_rmem`'s maximum: 2-5 MiB past the limit were measured), the
/// client's send buffer (kept small below), the server's read-ahead. Well below `STREAM`
/// minus the limit, so a server that reads on to the end fails.
const SLACK: u64 = 24 * MIB;
/// Size of one chunk of the unbounded body.
const CHUNK: usize = 256 * 1024;

/// Reads one HTTP/1.1 response off `reader`: `None` if the connection closed (or
/// failed) before a complete head arrived, or nothing came within `wait`.
async fn read_response<R: AsyncRead + Unpin>(reader: &mut R, wait: Duration) -> Option<RawResponse> {
    let deadline = tokio::time::Instant::now() + wait;
    let mut buf = Vec::new();
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        let mut chunk = [0u8; 8192];
        let n = tokio::time::timeout_at(deadline, reader.read(&mut chunk)).await.ok()?.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let (status, headers, len) = crate::common::parse_response_head(&buf[..head_end])?;
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        let mut chunk = [0u8; 8192];
        match tokio::time::timeout_at(deadline, reader.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => body.extend_from_slice(&chunk[..n]),
            _ => break,
        }
    }
    body.truncate(len);
    Some(RawResponse { status, headers, body })
}

/// What happened to an unbounded chunked upload.
struct Streamed {
    /// Payload bytes the socket accepted before the server answered, stopped reading or
    /// closed.
    sent: u64,
    /// The server's answer, if one arrived.
    response: Option<RawResponse>,
    /// How long after the limit was passed the answer arrived.
    answered_after_limit: Option<Duration>,
}

/// Sends `head` (a request with `Transfer-Encoding: chunked` and no Content-Length), then
/// up to `total` bytes of chunked body, while reading the answer.
async fn stream_chunked(app: &TestApp, head: Vec<u8>, total: u64) -> Streamed {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_send_buffer_size(256 * 1024).expect("SO_SNDBUF");
    let socket = socket.connect(app.addr).await.expect("connect");
    let (mut rd, mut wr) = socket.into_split();
    let limit_passed: Arc<std::sync::Mutex<Option<Instant>>> = Arc::default();
    let reader = {
        let limit_passed = limit_passed.clone();
        tokio::spawn(async move {
            let response = read_response(&mut rd, Duration::from_secs(120)).await;
            let after = limit_passed.lock().unwrap().map(|t| t.elapsed());
            (response, after)
        })
    };
    wr.write_all(&head).await.expect("send the head");
    let payload: Vec<u8> = (0..CHUNK).map(|i| (i % 253) as u8).collect();
    let mut frame = format!("{CHUNK:x}\r\n").into_bytes();
    frame.extend_from_slice(&payload);
    frame.extend_from_slice(b"\r\n");
    let mut sent = 0u64;
    while sent < total && !reader.is_finished() {
        // A server that stopped reading without answering blocks this write: give up on
        // the body then, and see whether an answer comes.
        match tokio::time::timeout(Duration::from_secs(3), wr.write_all(&frame)).await {
            Ok(Ok(())) => sent += CHUNK as u64,
            _ => break,
        }
        if sent > LIMIT {
            limit_passed.lock().unwrap().get_or_insert_with(Instant::now);
        }
    }
    if sent >= total {
        let _ = tokio::time::timeout(Duration::from_secs(3), wr.write_all(b"0\r\n\r\n")).await;
    }
    let (response, answered_after_limit) = reader.await.expect("reader task");
    drop(wr);
    Streamed { sent, response, answered_after_limit }
}

/// The assertions every cut-off shares: 400 EntityTooLarge, soon, after at most the
/// limit and some slack, and no temp file or blob left.
async fn assert_cut_off(app: &TestApp, what: &str, streamed: &Streamed) {
    let sent_mib = streamed.sent as f64 / MIB as f64;
    eprintln!("{what}: {sent_mib:.1} MiB sent, answered {:?} after the limit was passed", streamed.answered_after_limit);
    let response = streamed.response.as_ref().unwrap_or_else(|| panic!("{what}: the connection ended without an answer after {sent_mib:.1} MiB of body"));
    assert_eq!(
        (response.status, response.error_code().as_deref()),
        (400, Some("EntityTooLarge")),
        "{what}: {sent_mib:.1} MiB sent (limit {} MiB), answer: {}",
        LIMIT / MIB,
        response.text()
    );
    assert!(streamed.sent <= LIMIT + SLACK, "{what}: the server kept reading: {sent_mib:.1} MiB accepted for a limit of {} MiB", LIMIT / MIB);
    if let Some(after) = streamed.answered_after_limit {
        assert!(after < Duration::from_secs(5), "{what}: answered {after:?} after the limit was passed");
    }
    wait_until(&format!("{what}: no temp file remains"), || async { app.temp_files().is_empty() }).await;
    assert!(app.blob_files().is_empty(), "{what}: blob files left: {:?}", app.blob_files());
}

async fn assert_absent(app: &TestApp, bucket: &str, key: &str) {
    let err = app.client.head_object().bucket(bucket).key(key).send().await.expect_err("the object must not exist");
    assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(404), "{bucket}/{key} must not exist");
}

async fn limited_app() -> TestApp {
    TestApp::start_with(|c| c.max_object_size = LIMIT).await
}

#[tokio::test]
async fn an_unbounded_signed_chunked_put_is_cut_off_at_the_limit() {
    let app = limited_app().await;
    app.bucket("unbounded").await;
    let (head, _) = app
        .raw("PUT", "/unbounded/big")
        .header("transfer-encoding", "chunked")
        .sign_payload(&app.root.access_key_id, &app.root.secret_access_key, SystemTime::now(), "UNSIGNED-PAYLOAD")
        .to_http1();
    let streamed = stream_chunked(&app, head, STREAM).await;
    assert_cut_off(&app, "signed PUT", &streamed).await;
    assert_absent(&app, "unbounded", "big").await;
    assert!(app.keys("unbounded").await.is_empty());
    app.shutdown().await;
}

#[tokio::test]
async fn an_unbounded_anonymous_chunked_put_is_cut_off_at_the_limit() {
    let app = limited_app().await;
    app.client.create_bucket().bucket("dropbox").acl(BucketCannedAcl::PublicReadWrite).send().await.expect("create public-read-write bucket");
    // The bucket takes anonymous chunked writes at all.
    let (mut small, _) = app.raw("PUT", "/dropbox/small").header("transfer-encoding", "chunked").to_http1();
    small.extend_from_slice(b"5\r\nhello\r\n0\r\n\r\n");
    let mut socket = TcpStream::connect(app.addr).await.unwrap();
    socket.write_all(&small).await.unwrap();
    let resp = read_response(&mut socket, Duration::from_secs(10)).await.expect("an answer");
    assert_eq!(resp.status, 200, "anonymous chunked PUT into a public-read-write bucket: {}", resp.text());
    let before = app.snapshot("dropbox").await;

    let (head, _) = app.raw("PUT", "/dropbox/big").header("transfer-encoding", "chunked").to_http1();
    let streamed = stream_chunked(&app, head, STREAM).await;
    assert_cut_off(&app, "anonymous PUT", &streamed).await;
    assert_absent(&app, "dropbox", "big").await;
    assert_eq!(app.snapshot("dropbox").await, before, "nothing stored changed");
    app.shutdown().await;
}

#[tokio::test]
async fn an_unbounded_chunked_upload_part_is_cut_off_at_the_limit() {
    let app = limited_app().await;
    app.bucket("mpu").await;
    let upload = app.client.create_multipart_upload().bucket("mpu").key("big").send().await.expect("create upload");
    let upload_id = upload.upload_id().expect("upload id").to_owned();
    let (head, _) = app
        .raw("PUT", &format!("/mpu/big?partNumber=1&uploadId={upload_id}"))
        .header("transfer-encoding", "chunked")
        .sign_payload(&app.root.access_key_id, &app.root.secret_access_key, SystemTime::now(), "UNSIGNED-PAYLOAD")
        .to_http1();
    let streamed = stream_chunked(&app, head, STREAM).await;
    assert_cut_off(&app, "UploadPart", &streamed).await;
    let parts = app.client.list_parts().bucket("mpu").key("big").upload_id(&upload_id).send().await.expect("list parts");
    assert!(parts.parts().is_empty(), "no part was stored: {:?}", parts.parts());
    assert_absent(&app, "mpu", "big").await;
    app.shutdown().await;
}

/// The soft limit on open files of this process (`/proc/self/limits`).
fn open_files_limit() -> Option<usize> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// A PUT that announced `announced` bytes, sent `sent` of them and stalled.
struct Stalled {
    socket: TcpStream,
    stalled_at: Instant,
}

async fn stall(app: &TestApp, key: &str, announced: usize, sent: usize) -> Stalled {
    let head = stalled_put_head(app, key, announced);
    let mut socket = TcpStream::connect(app.addr).await.expect("connect");
    socket.write_all(&head).await.expect("send the head");
    socket.write_all(&vec![b's'; sent]).await.expect("send the start of the body");
    Stalled { socket, stalled_at: Instant::now() }
}

/// The head of a PUT of `announced` bytes, signed with `UNSIGNED-PAYLOAD` (the same head
/// serves every stalled connection: hashing 600 bodies of 1 MiB would take longer than
/// the timeout). Content-Length is not a signed header here, so it is set afterwards.
fn stalled_put_head(app: &TestApp, key: &str, announced: usize) -> Vec<u8> {
    let (head, _) = app
        .raw("PUT", &format!("/stall/{key}"))
        .sign_payload(&app.root.access_key_id, &app.root.secret_access_key, SystemTime::now(), "UNSIGNED-PAYLOAD")
        .to_http1();
    let head = String::from_utf8(head).expect("ASCII head");
    assert!(head.contains("\r\ncontent-length: 0\r\n"));
    head.replace("\r\ncontent-length: 0\r\n", &format!("\r\ncontent-length: {announced}\r\n")).into_bytes()
}

/// How a stalled connection ended, seen from the client.
#[derive(Debug)]
enum Ending {
    Answered(u16, Option<String>),
    Closed,
    StillOpen,
}

/// Waits up to `wait` for the server to answer or close a stalled connection.
async fn ending(socket: &mut TcpStream, wait: Duration) -> (Ending, Instant) {
    let result = match tokio::time::timeout(wait, async {
        // Reads until a response head arrives or the connection ends.
        read_response(socket, wait + Duration::from_secs(1)).await
    })
    .await
    {
        Ok(Some(resp)) => Ending::Answered(resp.status, resp.error_code()),
        Ok(None) => Ending::Closed,
        Err(_) => Ending::StillOpen,
    };
    (result, Instant::now())
}

/// A check a client makes while uploads are stalled: it must answer within a second.
async fn within_a_second<T>(what: &str, check: impl std::future::Future<Output = T>) -> Result<T, String> {
    let started = Instant::now();
    tokio::time::timeout(Duration::from_secs(1), check)
        .await
        .map_err(|_| format!("{what} did not answer within 1 s"))
        .inspect(|_| eprintln!("{what}: answered in {:?}", started.elapsed()))
}

#[tokio::test]
async fn stalled_uploads_do_not_starve_other_requests_and_time_out() {
    const TIMEOUT: Duration = Duration::from_secs(2);
    const ANNOUNCED: usize = 1024 * 1024;
    const SENT: usize = 1024;
    // Each stalled upload holds a client socket, a server socket and a temp file. 600 is
    // past tokio's default of 512 blocking threads (today each upload in progress holds
    // one); under a low open-files limit (1024) the test scales down and no longer
    // crosses it.
    let stalls = match open_files_limit() {
        Some(limit) if limit < 600 * 3 + 256 => {
            let n = limit.saturating_sub(256) / 3;
            eprintln!("open files limit {limit}: {n} stalled uploads instead of 600");
            n
        }
        _ => 600,
    };
    let app = TestApp::start_with(|c| {
        c.body_timeout_secs = TIMEOUT.as_secs();
        // Above the number of stalled uploads: this test is about starvation, not the limit.
        c.max_concurrent_uploads = 10_000;
    })
    .await;
    app.bucket("stall").await;
    let existing = blob_body(b"an object read while uploads stall");
    app.put("stall", "existing", existing.clone()).await;
    let before = app.snapshot("stall").await;

    let head = stalled_put_head(&app, "stalled", ANNOUNCED);
    let started = Instant::now();
    let mut stalled = Vec::with_capacity(stalls);
    for _ in 0..stalls {
        let mut socket = TcpStream::connect(app.addr).await.expect("connect");
        socket.write_all(&head).await.expect("send the head");
        socket.write_all(&[b's'; SENT]).await.expect("send 1 KiB of body");
        stalled.push(Stalled { socket, stalled_at: Instant::now() });
    }
    let all_stalled = started.elapsed();
    eprintln!("{stalls} uploads stalled in {all_stalled:?}");

    let mut failures: Vec<String> = Vec::new();
    // While they are stalled: health, a read and a new write each answer within 1 s.
    let health = within_a_second("GET /_depot/health", app.raw("GET", "/_depot/health").send());
    // The whole body, not just the head: its bytes come from a blob file.
    let get = within_a_second("GetObject (head and body)", async {
        let out = app.client.get_object().bucket("stall").key("existing").send().await.map_err(|e| format!("{e:?}"))?;
        out.body.collect().await.map(|b| b.into_bytes().to_vec()).map_err(|e| format!("{e:?}"))
    });
    let put_body = blob_body(b"a write while uploads stall");
    let put = within_a_second("PutObject", app.client.put_object().bucket("stall").key("new").body(put_body.clone().into()).send());
    let (health, get, put) = tokio::join!(health, get, put);
    match health {
        Ok(resp) if resp.status == 200 => {}
        Ok(resp) => failures.push(format!("health answered {}: {}", resp.status, resp.text())),
        Err(e) => failures.push(e),
    }
    match get {
        Ok(Ok(bytes)) if bytes == existing => {}
        Ok(Ok(_)) => failures.push("GetObject returned other bytes".into()),
        Ok(Err(e)) => failures.push(format!("GetObject failed: {e}")),
        Err(e) => failures.push(e),
    }
    let put_ok = match put {
        Ok(Ok(_)) => true,
        Ok(Err(e)) => {
            failures.push(format!("PutObject failed: {e:?}"));
            false
        }
        Err(e) => {
            failures.push(e);
            false
        }
    };
    let checks_done = started.elapsed();

    // Once the timeout passes, every stalled upload is answered (400 RequestTimeout) or
    // closed — not before the timeout, and not much later.
    let mut endings = Vec::with_capacity(stalls);
    for s in stalled.iter_mut() {
        let left = (s.stalled_at + TIMEOUT + Duration::from_secs(5)).saturating_duration_since(Instant::now());
        let (how, at) = ending(&mut s.socket, left.max(Duration::from_millis(10))).await;
        endings.push((how, at.duration_since(s.stalled_at)));
    }
    let still_open = endings.iter().filter(|(e, _)| matches!(e, Ending::StillOpen)).count();
    let early = endings.iter().filter(|(e, after)| !matches!(e, Ending::StillOpen) && *after < TIMEOUT - Duration::from_millis(500)).count();
    let wrong_answer: Vec<_> =
        endings.iter().filter(|(e, _)| matches!(e, Ending::Answered(status, code) if (*status, code.as_deref()) != (400, Some("RequestTimeout")))).collect();
    eprintln!(
        "checks done {:?} after the last stall; endings: {} still open, {early} early, {} wrong answers",
        checks_done - all_stalled,
        still_open,
        wrong_answer.len()
    );
    if still_open > 0 {
        failures.push(format!("{still_open} of {stalls} stalled uploads were neither answered nor closed {:?} after the body timeout", Duration::from_secs(5)));
    }
    if early > 0 {
        failures.push(format!("{early} stalled uploads were ended before the body timeout"));
    }
    if let Some(first) = wrong_answer.first() {
        failures.push(format!("{} stalled uploads got another answer than 400 RequestTimeout, e.g. {first:?}", wrong_answer.len()));
    }
    drop(stalled);

    // Nothing of the stalled uploads remains; the other write is there.
    if wait_until_quietly(|| app.temp_files().is_empty()).await.is_err() {
        failures.push(format!("{} temp files remain", app.temp_files().len()));
    }
    let mut after = app.snapshot("stall").await;
    if put_ok {
        match after.objects.remove("new") {
            Some(obj) if obj.bytes == put_body => {}
            _ => failures.push("the PUT made while uploads stalled is not stored intact".into()),
        }
        // Its blob is the only new one.
        after.blobs.retain(|b| before.blobs.contains(b));
    }
    if after != before {
        failures.push("stored data changed: a stalled upload stored something".into());
    }
    if after.objects.contains_key("stalled") {
        failures.push("a stalled upload was stored".into());
    }
    app.shutdown().await;
    assert!(failures.is_empty(), "with {stalls} stalled uploads:\n- {}", failures.join("\n- "));
}

/// Like `wait_until`, without failing the test: for collecting several failures.
async fn wait_until_quietly(mut check: impl FnMut() -> bool) -> Result<(), ()> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while !check() {
        if Instant::now() > deadline {
            return Err(());
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    Ok(())
}

#[tokio::test]
async fn a_stalled_upload_is_answered_after_the_body_timeout_and_leaves_nothing() {
    const TIMEOUT: Duration = Duration::from_secs(2);
    let app = TestApp::start_with(|c| c.body_timeout_secs = TIMEOUT.as_secs()).await;
    app.bucket("stall").await;
    app.put("stall", "k", blob_body(b"the stored version")).await;
    let before = app.snapshot("stall").await;

    let mut stalled = Vec::new();
    for i in 0..10 {
        // Half of them overwrite an existing object, half create one.
        let key = if i % 2 == 0 { "k".to_owned() } else { format!("new-{i}") };
        stalled.push(stall(&app, &key, 1024 * 1024, 1024).await);
    }
    wait_until("the stalled uploads are being received", || async { app.temp_files().len() == 10 }).await;
    for s in stalled.iter_mut() {
        let (how, at) = ending(&mut s.socket, TIMEOUT + Duration::from_secs(5)).await;
        let after = at.duration_since(s.stalled_at);
        match how {
            Ending::StillOpen => panic!("a stalled upload is still open {after:?} after it stalled (body timeout {TIMEOUT:?})"),
            Ending::Answered(status, code) => assert_eq!((status, code.as_deref()), (400, Some("RequestTimeout")), "the answer to a stalled upload"),
            Ending::Closed => {}
        }
        assert!(after >= TIMEOUT - Duration::from_millis(500), "ended {after:?} after it stalled, before the body timeout");
    }
    wait_until("the stalled uploads' temp files are removed", || async { app.temp_files().is_empty() }).await;
    assert_eq!(app.snapshot("stall").await, before, "nothing stored changed");
    app.shutdown().await;
}

#[tokio::test]
async fn uploads_beyond_the_concurrency_limit_get_slow_down() {
    const MAX: usize = 20;
    let app = TestApp::start_with(|c| {
        c.max_concurrent_uploads = MAX;
        c.body_timeout_secs = 60;
    })
    .await;
    app.bucket("stall").await;
    app.put("stall", "existing", blob_body(b"readable at the limit")).await;
    let before = app.snapshot("stall").await;

    let mut stalled = Vec::new();
    for i in 0..MAX {
        stalled.push(stall(&app, &format!("held-{i}"), 1024 * 1024, 1024).await);
    }
    wait_until("the uploads at the limit are being received", || async { app.temp_files().len() == MAX }).await;

    // One more upload is refused at once, before its body is read.
    for i in 0..5 {
        let mut extra = stall(&app, &format!("extra-{i}"), 1024 * 1024, 1024).await;
        let (how, at) = ending(&mut extra.socket, Duration::from_secs(5)).await;
        match how {
            Ending::Answered(status, code) => assert_eq!((status, code.as_deref()), (503, Some("SlowDown")), "upload {} beyond the limit of {MAX}", i + 1),
            other => panic!("upload {} beyond the limit of {MAX}: {other:?} after {:?}", i + 1, at.duration_since(extra.stalled_at)),
        }
        assert!(at.duration_since(extra.stalled_at) < Duration::from_secs(1), "refused only after {:?}", at.duration_since(extra.stalled_at));
    }
    // Reads still work at the limit.
    assert_eq!(app.get("stall", "existing").await, blob_body(b"readable at the limit"));

    // Once the held uploads go away, uploads are accepted again.
    drop(stalled);
    wait_until("the abandoned uploads' temp files are removed", || async { app.temp_files().is_empty() }).await;
    assert_eq!(app.snapshot("stall").await, before, "neither the held nor the refused uploads stored anything");
    app.put("stall", "after", blob_body(b"accepted again")).await;
    assert_eq!(app.get("stall", "after").await, blob_body(b"accepted again"));
    app.shutdown().await;
}
