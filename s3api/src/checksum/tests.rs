//! Tests of the checksum module: known vectors, composite and full-object checksums
//! against direct computation, and the multipart ETag.

use super::combine::CrcCombiner;
use super::*;

/// Deterministic pseudo-random bytes (xorshift64*), so tests need no RNG crate.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
        })
        .collect()
}

fn b64(alg: ChecksumAlgorithm, data: &[u8]) -> String {
    Checksum::compute(alg, data).to_base64()
}

#[test]
fn known_vectors() {
    let hw = b"hello world";
    assert_eq!(b64(ChecksumAlgorithm::Crc32, hw), "DUoRhQ==");
    assert_eq!(b64(ChecksumAlgorithm::Crc32c, hw), "yZRlqg==");
    assert_eq!(b64(ChecksumAlgorithm::Crc64Nvme, hw), "jSnVw/bqjr4=");
    assert_eq!(b64(ChecksumAlgorithm::Sha1, hw), "Kq5sNclPz7QV2+lfQIuc6R7oRu0=");
    assert_eq!(b64(ChecksumAlgorithm::Sha256, hw), "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=");
    // The catalogue check values ("123456789").
    let check = b"123456789";
    assert_eq!(Checksum::compute(ChecksumAlgorithm::Crc32, check).bytes, 0xCBF4_3926u32.to_be_bytes());
    assert_eq!(Checksum::compute(ChecksumAlgorithm::Crc32c, check).bytes, 0xE306_9283u32.to_be_bytes());
    assert_eq!(Checksum::compute(ChecksumAlgorithm::Crc64Nvme, check).bytes, 0xAE8B_1486_0A79_9888u64.to_be_bytes());
    // Empty input.
    assert_eq!(b64(ChecksumAlgorithm::Crc32, b""), "AAAAAA==");
    assert_eq!(b64(ChecksumAlgorithm::Crc64Nvme, b""), "AAAAAAAAAAA=");
}

#[test]
fn incremental_equals_one_shot() {
    let data = noise(10_000, 7);
    for alg in ChecksumAlgorithm::all() {
        let mut hasher = Checksummer::new(alg);
        assert_eq!(hasher.algorithm(), alg);
        for piece in data.chunks(333) {
            hasher.update(piece);
        }
        let sum = hasher.finalize();
        assert_eq!(sum, Checksum::compute(alg, &data), "{alg}");
        assert_eq!(sum.bytes.len(), alg.digest_len());
    }
}

#[test]
fn names_round_trip() {
    for alg in ChecksumAlgorithm::all() {
        assert_eq!(ChecksumAlgorithm::parse(alg.as_str()), Some(alg));
        assert_eq!(ChecksumAlgorithm::parse(&alg.as_str().to_ascii_lowercase()), Some(alg));
        assert_eq!(ChecksumAlgorithm::from_header_name(alg.header_name()), Some(alg));
        assert_eq!(ChecksumAlgorithm::from_header_name(&alg.header_name().to_ascii_uppercase()), Some(alg));
    }
    assert_eq!(ChecksumAlgorithm::parse("crc32c"), Some(ChecksumAlgorithm::Crc32c));
    assert_eq!(ChecksumAlgorithm::parse("CRC64NVME"), Some(ChecksumAlgorithm::Crc64Nvme));
    assert_eq!(ChecksumAlgorithm::parse("md5"), None);
    assert_eq!(ChecksumAlgorithm::parse(""), None);
    assert_eq!(ChecksumAlgorithm::from_header_name("x-amz-checksum-md5"), None);
    assert_eq!(ChecksumAlgorithm::Crc64Nvme.header_name(), "x-amz-checksum-crc64nvme");
    let full: Vec<_> = ChecksumAlgorithm::all().into_iter().filter(|a| a.supports_full_object()).collect();
    assert_eq!(full, [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme]);

    assert_eq!(ChecksumType::parse("COMPOSITE"), Some(ChecksumType::Composite));
    assert_eq!(ChecksumType::parse("full_object"), Some(ChecksumType::FullObject));
    assert_eq!(ChecksumType::parse("FULL"), None);
    assert_eq!(ChecksumType::FullObject.as_str(), "FULL_OBJECT");
    assert_eq!(ChecksumType::Composite.to_string(), "COMPOSITE");
}

#[test]
fn base64_parsing() {
    let sum = Checksum::from_base64(ChecksumAlgorithm::Crc32, "DUoRhQ==").unwrap();
    assert_eq!(sum, Checksum::compute(ChecksumAlgorithm::Crc32, b"hello world"));
    for (alg, bad) in [
        (ChecksumAlgorithm::Crc32, "DUoRhQ"),       // unpadded
        (ChecksumAlgorithm::Crc32, "DUoRhYU="),     // 5 bytes
        (ChecksumAlgorithm::Crc32, "!!!!"),         // not base64
        (ChecksumAlgorithm::Crc32, ""),             // empty
        (ChecksumAlgorithm::Sha256, "DUoRhQ=="),    // a CRC32 where a SHA256 belongs
        (ChecksumAlgorithm::Crc64Nvme, "yZRlqg=="), // 4 bytes for an 8-byte digest
    ] {
        let err = Checksum::from_base64(alg, bad).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidRequest);
        assert_eq!(err.message, format!("Value for {} header is invalid.", alg.header_name()));
    }
}

/// Split points used by the multipart tests: sizes of each part.
fn splits(total: usize) -> Vec<Vec<usize>> {
    vec![
        vec![total],
        vec![0, total],
        vec![total, 0],
        vec![1, total - 1],
        vec![total / 2, total - total / 2],
        vec![5, 1000, 0, 3333, total - 4338],
        vec![total / 3, total / 3, total - 2 * (total / 3)],
    ]
}

fn cut<'a>(data: &'a [u8], sizes: &[usize]) -> Vec<&'a [u8]> {
    let mut rest = data;
    sizes
        .iter()
        .map(|&n| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head
        })
        .collect()
}

#[test]
fn composite_is_hash_of_part_checksums() {
    let data = noise(9_000, 11);
    for alg in ChecksumAlgorithm::all() {
        for sizes in splits(data.len()) {
            let parts: Vec<Checksum> = cut(&data, &sizes).iter().map(|p| Checksum::compute(alg, p)).collect();
            let raw: Vec<u8> = parts.iter().flat_map(|c| c.bytes.clone()).collect();
            let expected = format!("{}-{}", Checksum::compute(alg, &raw).to_base64(), parts.len());
            assert_eq!(composite_checksum(alg, &parts).unwrap(), expected);
        }
    }
    // A hand-checked value: CRC32 of the two big-endian CRC32s of "hello" and " world".
    let parts = [Checksum::compute(ChecksumAlgorithm::Crc32, b"hello"), Checksum::compute(ChecksumAlgorithm::Crc32, b" world")];
    let mut raw = crc32fast::hash(b"hello").to_be_bytes().to_vec();
    raw.extend_from_slice(&crc32fast::hash(b" world").to_be_bytes());
    let expected = format!("{}-2", BASE64.encode(crc32fast::hash(&raw).to_be_bytes()));
    assert_eq!(composite_checksum(ChecksumAlgorithm::Crc32, &parts).unwrap(), expected);
}

#[test]
fn composite_rejects_bad_parts() {
    let crc = Checksum::compute(ChecksumAlgorithm::Crc32, b"x");
    let sha = Checksum::compute(ChecksumAlgorithm::Sha256, b"x");
    let short = Checksum { algorithm: ChecksumAlgorithm::Crc32, bytes: vec![1, 2] };
    for (alg, parts) in [
        (ChecksumAlgorithm::Crc32, vec![]),
        (ChecksumAlgorithm::Crc32, vec![crc.clone(), sha.clone()]),
        (ChecksumAlgorithm::Sha256, vec![crc.clone()]),
        (ChecksumAlgorithm::Crc32, vec![short.clone()]),
    ] {
        assert_eq!(composite_checksum(alg, &parts).unwrap_err().code, S3ErrorCode::InvalidRequest);
    }
    let err = combine_full_object(ChecksumAlgorithm::Crc32, &[(short, 1)]).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::InvalidRequest);
    let err = combine_full_object(ChecksumAlgorithm::Crc32, &[(sha, 1)]).unwrap_err();
    assert_eq!(err.code, S3ErrorCode::InvalidRequest);
}

#[test]
fn full_object_equals_checksum_of_concatenation() {
    let data = noise(9_000, 23);
    for alg in [ChecksumAlgorithm::Crc32, ChecksumAlgorithm::Crc32c, ChecksumAlgorithm::Crc64Nvme] {
        let whole = Checksum::compute(alg, &data);
        for sizes in splits(data.len()) {
            let parts: Vec<(Checksum, u64)> = cut(&data, &sizes).iter().map(|p| (Checksum::compute(alg, p), p.len() as u64)).collect();
            assert_eq!(combine_full_object(alg, &parts).unwrap(), whole, "{alg} {sizes:?}");
        }
        // Every two-way split of a short buffer.
        let short = &data[..300];
        let whole = Checksum::compute(alg, short);
        for at in 0..=short.len() {
            let (a, b) = short.split_at(at);
            let parts = [(Checksum::compute(alg, a), a.len() as u64), (Checksum::compute(alg, b), b.len() as u64)];
            assert_eq!(combine_full_object(alg, &parts).unwrap(), whole, "{alg} at {at}");
        }
        assert_eq!(combine_full_object(alg, &[]).unwrap(), Checksum::compute(alg, b""));
    }
}

#[test]
fn full_object_rejects_sha() {
    for alg in [ChecksumAlgorithm::Sha1, ChecksumAlgorithm::Sha256] {
        let parts = [(Checksum::compute(alg, b"abc"), 3)];
        let err = combine_full_object(alg, &parts).unwrap_err();
        assert_eq!(err.code, S3ErrorCode::InvalidRequest);
        assert!(err.message.contains("FULL_OBJECT"), "{}", err.message);
    }
}

#[test]
fn combine_agrees_with_crc32fast_for_huge_lengths() {
    // crc32fast implements zlib's combine independently; compare on lengths no test
    // could hash (up to u64::MAX), which exercises the whole power table.
    let combiner = CrcCombiner::crc32();
    for (crc1, crc2, len2) in
        [(0x1234_5678u32, 0x9ABC_DEF0u32, 1u64), (0xFFFF_FFFF, 0, 5 * 1024 * 1024 * 1024), (0xDEAD_BEEF, 0x0BAD_F00D, u64::MAX), (0, 0xCAFE_BABE, 1 << 40)]
    {
        let mut expected = crc32fast::Hasher::new_with_initial(crc1);
        expected.combine(&crc32fast::Hasher::new_with_initial_len(crc2, len2));
        let got = combiner.combine(u64::from(crc1), u64::from(crc2), len2);
        assert_eq!(got, u64::from(expected.finalize()), "len2 {len2}");
    }
    // And crc32c's own combine for the Castagnoli polynomial.
    let combiner = CrcCombiner::crc32c();
    // (Length 0 is left out: the only consistent crc2 there is 0, covered below.)
    for len2 in [1usize, 7, 4096, 1 << 33] {
        let expected = crc32c::crc32c_combine(0x1357_9BDF, 0x2468_ACE0, len2);
        assert_eq!(combiner.combine(0x1357_9BDF, 0x2468_ACE0, len2 as u64), u64::from(expected), "len2 {len2}");
    }
    assert_eq!(combiner.combine(0x1357_9BDF, 0, 0), 0x1357_9BDF);
}

#[test]
fn crc64_combine_of_zeros_matches_direct() {
    // Long runs of zero bytes hash quickly, so check a multi-megabyte length directly.
    let a = noise(100, 3);
    let zeros = vec![0u8; 3 * 1024 * 1024 + 17];
    let mut direct = Checksummer::new(ChecksumAlgorithm::Crc64Nvme);
    direct.update(&a);
    direct.update(&zeros);
    let parts =
        [(Checksum::compute(ChecksumAlgorithm::Crc64Nvme, &a), a.len() as u64), (Checksum::compute(ChecksumAlgorithm::Crc64Nvme, &zeros), zeros.len() as u64)];
    assert_eq!(combine_full_object(ChecksumAlgorithm::Crc64Nvme, &parts).unwrap(), direct.finalize());
}

#[test]
fn multipart_etag_of_known_parts() {
    let md5 = |data: &[u8]| -> [u8; 16] { Md5::digest(data).into() };
    assert_eq!(multipart_etag(&[md5(b"part1"), md5(b"part2")]), "620e8b191a353bdc9189840bb3904928-2");
    // One part: the MD5 of that part's MD5, not the part's MD5 itself.
    let one = md5(b"only");
    assert_eq!(multipart_etag(&[one]), format!("{}-1", hex::encode(md5(&one))));
}
