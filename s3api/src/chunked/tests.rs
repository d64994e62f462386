//! Tests of the aws-chunked decoder: AWS's published examples fed in every split,
//! signature failures, trailers, truncation at every cut point, and malformed framing.

use bytes::BytesMut;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;
use crate::checksum::{Checksum, ChecksumAlgorithm};
use crate::error::{S3Error, S3ErrorCode};

const SEED: &str = "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
const SIG_1: &str = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";
const SIG_2: &str = "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497";
const SIG_FINAL: &str = "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9";
/// The trailer signature of `first:1st`, `second:2nd`, `third:3rd` after the example's
/// final chunk (the AWS CRT test suite's vector).
const SIG_TRAILER: &str = "df5735bd9f3295cd9386572292562fefc93ba94e80a0a1ddcbd652c4e0a75e6c";

fn hmac(key: &[u8], msg: &str) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).unwrap();
    mac.update(msg.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The signer of AWS's example: its secret key, date, scope and seed signature.
fn example_signer() -> ChunkSigner {
    let date = hmac(b"AWS4wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20130524");
    let key = hmac(&hmac(&hmac(&date, "us-east-1"), "s3"), "aws4_request");
    ChunkSigner::new(key, "20130524T000000Z".into(), "20130524/us-east-1/s3/aws4_request".into(), SEED.into())
}

/// AWS's example body: 65536 and 1024 bytes of `a`, then the final chunk.
fn example_body() -> Vec<u8> {
    let mut body = Vec::new();
    for (size, sig) in [(65536usize, SIG_1), (1024, SIG_2)] {
        body.extend_from_slice(format!("{size:x};chunk-signature={sig}\r\n").as_bytes());
        body.extend(std::iter::repeat_n(b'a', size));
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("0;chunk-signature={SIG_FINAL}\r\n\r\n").as_bytes());
    body
}

/// A body signed by `signer` with the given chunks (the final empty one is added), and
/// signed trailers if `trailers` is given.
fn signed_body(signer: &ChunkSigner, chunks: &[&[u8]], trailers: Option<&[(&str, &str)]>) -> Vec<u8> {
    let mut body = Vec::new();
    let mut previous = signer.seed_signature().to_owned();
    for chunk in chunks.iter().copied().chain([&b""[..]]) {
        let sig = signer.chunk_signature(&previous, &<Sha256 as sha2::Digest>::digest(chunk));
        body.extend_from_slice(format!("{:x};chunk-signature={sig}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        if !chunk.is_empty() {
            body.extend_from_slice(b"\r\n");
        }
        previous = sig;
    }
    if let Some(trailers) = trailers {
        let mut canonical = String::new();
        for (name, value) in trailers {
            body.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
            canonical.push_str(&format!("{name}:{value}\n"));
        }
        let sig = signer.trailer_signature(&previous, &canonical);
        body.extend_from_slice(format!("x-amz-trailer-signature:{sig}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body
}

/// An unsigned-trailer body with the given chunks and trailer lines.
fn unsigned_body(chunks: &[&[u8]], trailers: &[(&str, &str)]) -> Vec<u8> {
    let mut body = Vec::new();
    for chunk in chunks {
        body.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        body.extend_from_slice(chunk);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(b"0\r\n");
    for (name, value) in trailers {
        body.extend_from_slice(format!("{name}:{value}\r\n").as_bytes());
    }
    body.extend_from_slice(b"\r\n");
    body
}

type Output = (Vec<u8>, Vec<(String, String)>);

/// Feeds `body` in pieces of the given sizes (cycled), draining the decoder after
/// each, then ends input with `decode_eof` (if `eof`) and `finish`.
fn run(mode: ChunkedMode, limits: Limits, body: &[u8], sizes: &[usize], eof: bool) -> Result<Output, ChunkedError> {
    let mut decoder = ChunkedDecoder::new(mode, limits);
    let mut buf = BytesMut::new();
    let mut data = Vec::new();
    let mut trailers = None;
    let mut take = |item: Decoded| match item {
        Decoded::Data(bytes) => {
            assert!(!bytes.is_empty(), "empty data item");
            data.extend_from_slice(&bytes);
        }
        Decoded::Trailers(t) => {
            assert!(trailers.is_none(), "trailers emitted twice");
            trailers = Some(t);
        }
    };
    let mut rest = body;
    let mut sizes = sizes.iter().copied().cycle();
    while !rest.is_empty() {
        let n = sizes.next().unwrap_or(1).clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        buf.extend_from_slice(piece);
        while let Some(item) = decoder.decode(&mut buf)? {
            take(item);
        }
    }
    if eof {
        while let Some(item) = decoder.decode_eof(&mut buf)? {
            take(item);
        }
        assert!(decoder.is_done());
    }
    decoder.finish()?;
    assert_eq!(decoder.decoded_len(), data.len() as u64);
    Ok((data, trailers.expect("done without trailers")))
}

fn signed() -> ChunkedMode {
    ChunkedMode::Signed(example_signer())
}

fn signed_trailer() -> ChunkedMode {
    ChunkedMode::SignedTrailer(example_signer())
}

/// Deterministic pseudo-random piece sizes in 1..=max.
fn random_sizes(seed: u64, max: u64) -> Vec<usize> {
    let mut x = seed | 1;
    (0..257)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % max + 1) as usize
        })
        .collect()
}

#[test]
fn aws_example_in_every_split() {
    let body = example_body();
    let expected = vec![b'a'; 66560];
    let mut splits: Vec<Vec<usize>> = vec![vec![1], vec![2], vec![3], vec![7], vec![64], vec![4096], vec![body.len()]];
    splits.extend((1..6).map(|seed| random_sizes(seed, 200)));
    splits.extend((1..6).map(|seed| random_sizes(seed * 7919, 20_000)));
    for sizes in &splits {
        for eof in [false, true] {
            let (data, trailers) = run(signed(), Limits::default(), &body, sizes, eof).unwrap();
            assert!(data == expected, "splits {:?}", &sizes[..sizes.len().min(4)]);
            assert!(trailers.is_empty());
        }
    }
}

#[test]
fn aws_example_signed_trailer_vector() {
    let mut body = example_body();
    body.truncate(body.len() - 2);
    body.extend_from_slice(b"first:1st\r\nsecond:2nd\r\nthird:3rd\r\n");
    body.extend_from_slice(format!("x-amz-trailer-signature:{SIG_TRAILER}\r\n\r\n").as_bytes());
    for sizes in [vec![1], random_sizes(99, 300), vec![body.len()]] {
        let (data, trailers) = run(signed_trailer(), Limits::default(), &body, &sizes, true).unwrap();
        assert_eq!(data.len(), 66560);
        let expected = [("first", "1st"), ("second", "2nd"), ("third", "3rd")];
        assert_eq!(trailers, expected.map(|(n, v)| (n.to_owned(), v.to_owned())));
    }
    // Any change to a trailer breaks the signature.
    let tampered = String::from_utf8(body).unwrap().replace("second:2nd", "second:2nx");
    let err = run(signed_trailer(), Limits::default(), tampered.as_bytes(), &[5], true).unwrap_err();
    assert_eq!(err, ChunkedError::TrailerSignatureMismatch);
    assert_eq!(S3Error::from(err).code, S3ErrorCode::SignatureDoesNotMatch);
}

#[test]
fn tampered_data_fails_after_release() {
    let mut body = example_body();
    let at = body.len() - 200; // inside the 1024-byte chunk
    body[at] = b'b';
    let mut decoder = ChunkedDecoder::new(signed(), Limits::default());
    let mut buf = BytesMut::from(&body[..]);
    let mut released = 0;
    let err = loop {
        match decoder.decode(&mut buf) {
            Ok(Some(Decoded::Data(d))) => released += d.len(),
            Ok(other) => panic!("unexpected {other:?}"),
            Err(err) => break err,
        }
    };
    assert_eq!(released, 66560, "data is released before its signature is checked");
    assert_eq!(err, ChunkedError::ChunkSignatureMismatch);
    assert_eq!(S3Error::from(err.clone()).code, S3ErrorCode::SignatureDoesNotMatch);
    // The error sticks.
    assert_eq!(decoder.decode(&mut buf).unwrap_err(), err);
    assert_eq!(decoder.finish().unwrap_err(), err);
}

#[test]
fn tampered_signatures_fail() {
    let body = String::from_utf8(example_body()).unwrap();
    for (from, to) in [
        (SIG_1, SIG_2),
        (SIG_FINAL, SIG_1),
        // Upper-case hex is not the signature AWS computes.
        (SIG_2, &SIG_2.to_ascii_uppercase()[..]),
    ] {
        let bad = body.replace(from, to);
        let err = run(signed(), Limits::default(), bad.as_bytes(), &[1000], true).unwrap_err();
        assert_eq!(err, ChunkedError::ChunkSignatureMismatch, "{from} -> {to}");
    }
    // Another seed: the first chunk no longer chains.
    let other = ChunkSigner::new(b"key".to_vec(), "20130524T000000Z".into(), "s".into(), SEED.into());
    let err = run(ChunkedMode::Signed(other), Limits::default(), body.as_bytes(), &[1000], true).unwrap_err();
    assert_eq!(err, ChunkedError::ChunkSignatureMismatch);
}

#[test]
fn malformed_signed_headers() {
    let signer = example_signer();
    for header in [
        "5\r\n",                                               // no signature
        "5;chunk-signature=abc\r\n",                           // short signature
        "5;chunk-signature\r\n",                               // no value
        "5;x=1;chunk-signature=0000\r\n",                      // other extension
        &format!("5;chunk-signature={}\r\n", "g".repeat(64)),  // not hex
        &format!("5;chunk-signature={}x\r\n", "0".repeat(64)), // 65 chars
    ] {
        let err = run(ChunkedMode::Signed(signer.clone()), Limits::default(), header.as_bytes(), &[3], false).unwrap_err();
        assert_eq!(err, ChunkedError::MalformedChunkHeader, "{header:?}");
        assert_eq!(S3Error::from(err).code, S3ErrorCode::InvalidRequest);
    }
    let err = run(signed(), Limits::default(), format!(";chunk-signature={SIG_1}\r\n").as_bytes(), &[9], false).unwrap_err();
    assert_eq!(err, ChunkedError::InvalidChunkSize);
}

#[test]
fn signed_trailer_round_trip_and_failures() {
    let signer = example_signer();
    let data = b"hello world, in two chunks";
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, data).to_base64();
    let trailers = [("x-amz-checksum-crc32", crc.as_str())];
    let body = signed_body(&signer, &[&data[..10], &data[10..]], Some(&trailers));
    for sizes in [vec![1], vec![4], random_sizes(5, 40)] {
        let (got, t) = run(signed_trailer(), Limits::default(), &body, &sizes, false).unwrap();
        assert_eq!(got, data);
        assert_eq!(t, vec![("x-amz-checksum-crc32".to_owned(), crc.clone())]);
        let sum = Checksum::from_base64(ChecksumAlgorithm::Crc32, &t[0].1).unwrap();
        assert_eq!(sum, Checksum::compute(ChecksumAlgorithm::Crc32, &got));
    }
    // Upper-case trailer names are canonicalised to lower case before signing.
    let text = String::from_utf8(body.clone()).unwrap();
    let upper = text.replace("x-amz-checksum-crc32:", "X-Amz-Checksum-CRC32:");
    let (_, t) = run(signed_trailer(), Limits::default(), upper.as_bytes(), &[7], false).unwrap();
    assert_eq!(t[0].0, "x-amz-checksum-crc32");

    // Missing trailer signature.
    let unsigned_trailers = signed_body(&signer, &[data], None);
    let mut no_sig = unsigned_trailers[..unsigned_trailers.len() - 2].to_vec();
    no_sig.extend_from_slice(format!("x-amz-checksum-crc32:{crc}\r\n\r\n").as_bytes());
    let err = run(signed_trailer(), Limits::default(), &no_sig, &[7], false).unwrap_err();
    assert_eq!(err, ChunkedError::MissingTrailerSignature);
    assert_eq!(S3Error::from(err).code, S3ErrorCode::SignatureDoesNotMatch);
    // A trailer after the signature line.
    let mut late = body[..body.len() - 2].to_vec();
    late.extend_from_slice(b"x-late:1\r\n\r\n");
    let err = run(signed_trailer(), Limits::default(), &late, &[7], false).unwrap_err();
    assert!(matches!(err, ChunkedError::MalformedTrailer(_)), "{err:?}");
    // Trailers in a mode without them.
    let err = run(ChunkedMode::Signed(signer.clone()), Limits::default(), &body, &[7], false).unwrap_err();
    assert_eq!(err, ChunkedError::UnexpectedTrailer);
}

#[test]
fn unsigned_trailer_bodies() {
    let data = b"The quick brown fox jumps over the lazy dog";
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, data).to_base64();
    let body = unsigned_body(&[&data[..20], &data[20..]], &[("x-amz-checksum-crc32", &crc)]);
    for sizes in [vec![1], vec![2], random_sizes(3, 30), vec![body.len()]] {
        for eof in [false, true] {
            let (got, trailers) = run(ChunkedMode::UnsignedTrailer, Limits::default(), &body, &sizes, eof).unwrap();
            assert_eq!(got, data);
            assert_eq!(trailers, vec![("x-amz-checksum-crc32".to_owned(), crc.clone())]);
        }
    }
    // Chunk extensions (even signatures) are ignored; blanks around names, values and sizes too.
    let text = format!(
        "14;foo=bar\r\n{}\r\n17 \r\n{}\r\n0;x\r\n X-Amz-Checksum-CRC32 :  {crc} \r\n\r\n",
        std::str::from_utf8(&data[..20]).unwrap(),
        std::str::from_utf8(&data[20..]).unwrap()
    );
    let (got, trailers) = run(ChunkedMode::UnsignedTrailer, Limits::default(), text.as_bytes(), &[1], false).unwrap();
    assert_eq!(got, data);
    assert_eq!(trailers, vec![("x-amz-checksum-crc32".to_owned(), crc.clone())]);
    // No trailers at all, and no data at all.
    let (got, trailers) = run(ChunkedMode::UnsignedTrailer, Limits::default(), b"0\r\n\r\n", &[1], false).unwrap();
    assert!(got.is_empty() && trailers.is_empty());
    // Several trailers keep their order; duplicates are refused.
    let body = unsigned_body(&[b"x"], &[("b", "2"), ("a", "1")]);
    let (_, trailers) = run(ChunkedMode::UnsignedTrailer, Limits::default(), &body, &[3], false).unwrap();
    assert_eq!(trailers, vec![("b".to_owned(), "2".to_owned()), ("a".to_owned(), "1".to_owned())]);
    let body = unsigned_body(&[b"x"], &[("a", "1"), ("A", "2")]);
    let err = run(ChunkedMode::UnsignedTrailer, Limits::default(), &body, &[3], false).unwrap_err();
    assert_eq!(err, ChunkedError::DuplicateTrailer("a".into()));
    // A trailer signature has no place in an unsigned body.
    let body = unsigned_body(&[b"x"], &[("x-amz-trailer-signature", SIG_1)]);
    let err = run(ChunkedMode::UnsignedTrailer, Limits::default(), &body, &[3], false).unwrap_err();
    assert!(matches!(err, ChunkedError::MalformedTrailer(_)), "{err:?}");
    for bad in ["no colon", ":empty-name", "bad name:1", "ctl:a\x01b"] {
        let body = format!("0\r\n{bad}\r\n\r\n");
        let err = run(ChunkedMode::UnsignedTrailer, Limits::default(), body.as_bytes(), &[1], false).unwrap_err();
        assert!(matches!(err, ChunkedError::MalformedTrailer(_)), "{bad:?}: {err:?}");
    }
}

#[test]
fn missing_final_empty_line_is_accepted_only_at_eof() {
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, b"abc").to_base64();
    let body = unsigned_body(&[b"abc"], &[("x-amz-checksum-crc32", &crc)]);
    let cut = &body[..body.len() - 2];
    let (got, trailers) = run(ChunkedMode::UnsignedTrailer, Limits::default(), cut, &[1], true).unwrap();
    assert_eq!(got, b"abc");
    assert_eq!(trailers.len(), 1);
    let err = run(ChunkedMode::UnsignedTrailer, Limits::default(), cut, &[1], false).unwrap_err();
    assert!(matches!(err, ChunkedError::Truncated { .. }));
    // Not without any trailer: then the body may have been cut before its trailers.
    let body = unsigned_body(&[b"abc"], &[]);
    let err = run(ChunkedMode::UnsignedTrailer, Limits::default(), &body[..body.len() - 2], &[1], true);
    assert!(matches!(err, Err(ChunkedError::Truncated { .. })), "{err:?}");
    let body = example_body();
    let err = run(signed(), Limits::default(), &body[..body.len() - 2], &[4096], true);
    assert!(matches!(err, Err(ChunkedError::Truncated { .. })), "{err:?}");
}

/// Every strict prefix of `body` must fail `finish` (and `decode_eof`, except where the
/// missing tail is only the final empty line).
fn check_truncations(mode: &ChunkedMode, body: &[u8], lenient_cut: Option<usize>) {
    for cut in 0..body.len() {
        let prefix = &body[..cut];
        let err = run(mode.clone(), Limits::default(), prefix, &[cut.max(1)], false).unwrap_err();
        assert!(matches!(err, ChunkedError::Truncated { .. }), "cut {cut}: {err:?}");
        assert_eq!(S3Error::from(err).code, S3ErrorCode::IncompleteBody);
        let at_eof = run(mode.clone(), Limits::default(), prefix, &[3], true);
        if Some(cut) == lenient_cut {
            assert!(at_eof.is_ok(), "cut {cut}: {at_eof:?}");
        } else {
            assert!(matches!(at_eof, Err(ChunkedError::Truncated { .. })), "cut {cut}: {at_eof:?}");
        }
    }
}

#[test]
fn truncated_bodies_at_every_cut_point() {
    let signer = example_signer();
    let lenient = |body: &Vec<u8>| Some(body.len() - 2);
    let body = signed_body(&signer, &[b"0123456789", b"abc"], None);
    check_truncations(&ChunkedMode::Signed(signer.clone()), &body, None);
    let body = signed_body(&signer, &[b"0123456789", b"abc"], Some(&[("x-amz-checksum-crc32", "AAAAAA==")]));
    check_truncations(&ChunkedMode::SignedTrailer(signer.clone()), &body, lenient(&body));
    let body = unsigned_body(&[b"0123456789", b"abc"], &[("x-amz-checksum-crc32", "AAAAAA==")]);
    check_truncations(&ChunkedMode::UnsignedTrailer, &body, lenient(&body));
    // AWS's example, at cut points around every boundary.
    let body = example_body();
    let mut decoder = ChunkedDecoder::new(signed(), Limits::default());
    let mut buf = BytesMut::from(&body[..body.len() - 3]);
    while decoder.decode(&mut buf).unwrap().is_some() {}
    assert!(matches!(decoder.finish(), Err(ChunkedError::Truncated { .. })));
    assert!(matches!(decoder.decode_eof(&mut buf), Err(ChunkedError::Truncated { .. })));
}

#[test]
fn framing_errors() {
    let unsigned = |body: &[u8], limits: Limits| run(ChunkedMode::UnsignedTrailer, limits, body, &[1], false);
    let d = Limits::default();
    let cases: Vec<(&[u8], ChunkedError)> = vec![
        (b"zz\r\n", ChunkedError::InvalidChunkSize),
        (b"\r\n", ChunkedError::InvalidChunkSize),
        (b"0x5\r\n", ChunkedError::InvalidChunkSize),
        (b"-5\r\n", ChunkedError::InvalidChunkSize),
        (b"10000000000000000\r\n", ChunkedError::ChunkSizeOverflow),
        (b"fffffffffffffffffffffffff\r\n", ChunkedError::ChunkSizeOverflow),
        (b"ffffffffffffffff\r\n", ChunkedError::ChunkTooLarge { size: u64::MAX, limit: d.max_chunk_size }),
        (b"5\r\nhelloX\r\n", ChunkedError::MissingDataCrlf),
        (b"5\r\nhello\rX", ChunkedError::MissingDataCrlf),
        (b"5\r\nhello\n", ChunkedError::MissingDataCrlf),
        (b"5\nhello\r\n", ChunkedError::BareLineFeed { what: "chunk header" }),
        (b"0\r\na:1\n\r\n", ChunkedError::BareLineFeed { what: "trailer" }),
        (b"0\r\n\r\nX", ChunkedError::TrailingData),
        (b"1\r\na\r\n0\r\n\r\n\r\n", ChunkedError::TrailingData),
    ];
    for (body, expected) in cases {
        let err = unsigned(body, d).unwrap_err();
        assert_eq!(err, expected, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(S3Error::from(err).code, S3ErrorCode::InvalidRequest);
    }
    // Leading zeros are fine.
    let (got, _) = unsigned(b"00000000000000000000003\r\nabc\r\n0\r\n\r\n", d).unwrap();
    assert_eq!(got, b"abc");
    // Data after the end, in a later read.
    let mut decoder = ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, d);
    let mut buf = BytesMut::from(&b"0\r\n\r\n"[..]);
    assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Decoded::Trailers(vec![])));
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"x");
    assert_eq!(decoder.decode(&mut buf).unwrap_err(), ChunkedError::TrailingData);
}

#[test]
fn limits_are_enforced() {
    let d = Limits::default();
    let unsigned = |body: &[u8], limits: Limits, piece: usize| run(ChunkedMode::UnsignedTrailer, limits, body, &[piece], false);
    // A long header fails as soon as the limit is passed, before any newline arrives.
    let mut decoder = ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, d);
    let mut buf = BytesMut::from(&b"5;"[..]);
    buf.extend(std::iter::repeat_n(b'x', d.max_chunk_header - 2));
    buf.extend_from_slice(b"\r");
    assert_eq!(decoder.decode(&mut buf).unwrap(), None);
    buf.extend_from_slice(b"y");
    assert_eq!(decoder.decode(&mut buf).unwrap_err(), ChunkedError::ChunkHeaderTooLong { limit: 4096 });
    // A header of exactly the limit is fine.
    let mut ok = b"3;".to_vec();
    ok.extend(std::iter::repeat_n(b'x', d.max_chunk_header - 2));
    ok.extend_from_slice(b"\r\nabc\r\n0\r\n\r\n");
    assert_eq!(unsigned(&ok, d, 1).unwrap().0, b"abc");
    let err = unsigned(format!("3;{}\r\nabc\r\n0\r\n\r\n", "x".repeat(5000)).as_bytes(), d, 100).unwrap_err();
    assert_eq!(S3Error::from(err).code, S3ErrorCode::InvalidRequest);

    // Chunk size.
    let small = Limits { max_chunk_size: 4, ..d };
    assert_eq!(unsigned(b"5\r\n", small, 1).unwrap_err(), ChunkedError::ChunkTooLarge { size: 5, limit: 4 });
    assert!(unsigned(b"4\r\nabcd\r\n0\r\n\r\n", small, 1).is_ok());

    // Trailer size: one long line, or many short ones.
    let long = format!("0\r\nx-long:{}\r\n\r\n", "v".repeat(d.max_trailer_size));
    assert_eq!(unsigned(long.as_bytes(), d, 64).unwrap_err(), ChunkedError::TrailerTooLarge { limit: 16384 });
    let many: String = (0..2000).map(|i| format!("t{i}:1\r\n")).collect();
    let err = unsigned(format!("0\r\n{many}\r\n").as_bytes(), d, 999).unwrap_err();
    assert_eq!(err, ChunkedError::TrailerTooLarge { limit: 16384 });
    let tight = Limits { max_trailer_size: 7, ..d };
    assert!(unsigned(b"0\r\na:1\r\n\r\n", tight, 1).is_ok());
    assert!(unsigned(b"0\r\na:12\r\n\r\n", tight, 1).is_err());

    // Decoded length, checked at each chunk header before its data.
    let capped = Limits { max_decoded_length: Some(5), ..d };
    assert!(unsigned(b"3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n", capped, 1).is_ok());
    let err = unsigned(b"3\r\nabc\r\n3\r\n", capped, 1).unwrap_err();
    assert_eq!(err, ChunkedError::DecodedLengthExceeded { limit: 5 });
    assert_eq!(S3Error::from(err).code, S3ErrorCode::EntityTooLarge);
}

#[test]
fn memory_stays_bounded_on_a_huge_chunk() {
    // A 64 MiB chunk fed in 64 KiB reads: the buffer never holds more than one read.
    let mut decoder = ChunkedDecoder::new(ChunkedMode::UnsignedTrailer, Limits::default());
    let mut buf = BytesMut::from(&b"4000000\r\n"[..]);
    let read = vec![7u8; 65536];
    let mut total = 0u64;
    for _ in 0..1024 {
        buf.extend_from_slice(&read);
        while let Some(item) = decoder.decode(&mut buf).unwrap() {
            let Decoded::Data(d) = item else { panic!("trailers early") };
            total += d.len() as u64;
        }
        assert!(buf.is_empty());
    }
    assert_eq!(total, 64 * 1024 * 1024);
    buf.extend_from_slice(b"\r\n0\r\n\r\n");
    assert_eq!(decoder.decode(&mut buf).unwrap(), Some(Decoded::Trailers(vec![])));
    decoder.finish().unwrap();
}

#[test]
fn error_messages_map_to_s3() {
    let err = S3Error::from(ChunkedError::Truncated { expected: "the final zero-size chunk" });
    assert_eq!(err.code, S3ErrorCode::IncompleteBody);
    assert_eq!(err.message, "The aws-chunked body ended before the final zero-size chunk.");
    let err = S3Error::from(ChunkedError::ChunkSignatureMismatch);
    assert_eq!(err.message, S3ErrorCode::SignatureDoesNotMatch.default_message());
    let err = S3Error::from(ChunkedError::InvalidChunkSize);
    assert_eq!(err.code, S3ErrorCode::InvalidRequest);
    assert!(err.message.contains("hexadecimal"));
}

#[test]
fn mangled_bodies_never_panic() {
    // Random byte flips, insertions and cuts of valid bodies, in every mode: each run
    // must end in data or an error, never a panic.
    let signer = example_signer();
    let bodies = [
        (ChunkedMode::Signed(signer.clone()), signed_body(&signer, &[b"0123456789", b"ab"], None)),
        (ChunkedMode::SignedTrailer(signer.clone()), signed_body(&signer, &[b"0123456789"], Some(&[("x-amz-checksum-crc32", "AAAAAA==")]))),
        (ChunkedMode::UnsignedTrailer, unsigned_body(&[b"0123456789", b"ab"], &[("a", "1")])),
    ];
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let tiny = Limits { max_chunk_header: 90, max_chunk_size: 11, max_trailer_size: 40, max_decoded_length: Some(12) };
    for (mode, body) in &bodies {
        for round in 0..3000 {
            let mut mangled = body.clone();
            for _ in 0..(next() % 3 + 1) {
                let at = (next() % mangled.len() as u64) as usize;
                match next() % 4 {
                    0 => mangled[at] = next() as u8,
                    1 => {
                        let alphabet = b"0123456789abcdef;:=\r\n ";
                        mangled.insert(at, alphabet[(next() % alphabet.len() as u64) as usize]);
                    }
                    2 => mangled.truncate(at),
                    _ => {
                        mangled.remove(at);
                    }
                }
                if mangled.is_empty() {
                    break;
                }
            }
            let limits = if round % 2 == 0 { Limits::default() } else { tiny };
            let sizes = random_sizes(next(), 16);
            let _ = run(mode.clone(), limits, &mangled, &sizes, round % 3 == 0);
        }
    }
}
