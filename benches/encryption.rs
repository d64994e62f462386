//! The cipher of server-side encryption on one core, without HTTP or disk: encrypting
//! and decrypting 256 MiB through `encryption::chunks` (AES-256-GCM in 64 KiB chunks, as
//! every encrypted blob is stored), written in 64 KiB request-sized pieces and read in
//! the blob reader's 256 KiB buffers, against a plain
//! copy of the same bytes. It tells how much of an encrypted PUT or GET the cipher
//! itself costs on a machine.
//!
//! ```text
//! cargo bench --bench encryption
//! cargo bench --bench encryption -- --mib 1024 --rounds 5
//! ```

// Benchmark code may unwrap: a failure there is the report.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use clap::Parser;
use depot::encryption::chunks::{span, Decryptor, Encryptor};
use depot::encryption::{KeyRing, Setting};

#[derive(Debug, Parser)]
#[command(about = "AES-256-GCM chunk encryption and decryption, MB/s on one core")]
struct Args {
    /// MiB encrypted and decrypted per round.
    #[arg(long, default_value_t = 256)]
    mib: usize,
    /// Rounds; the median is printed.
    #[arg(long, default_value_t = 5)]
    rounds: usize,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

const PIECE: usize = 64 * 1024;
/// The blob reader's read size (four 64 KiB blocks).
const READ: usize = 256 * 1024;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args = Args::parse();
    let ring = KeyRing::new(BTreeMap::from([("bench".to_owned(), [7u8; 32])]), "bench").unwrap();
    let (key, _) = ring.seal(&Setting::S3).unwrap();
    let plain: Vec<u8> = (0..args.mib * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    let len = plain.len() as u64;
    let (mut copy, mut seal, mut open) = (Vec::new(), Vec::new(), Vec::new());
    // The output buffers are allocated and touched once, outside the timings: filling
    // fresh memory costs a page fault per 4 KiB, which would be timed as the cipher.
    let mut copied = plain.clone();
    let mut stored = vec![0u8; plain.len() + plain.len() / 1000];
    for _ in 0..args.rounds.max(1) {
        copied.clear();
        stored.clear();
        let t = Instant::now();
        for piece in plain.chunks(PIECE) {
            copied.extend_from_slice(piece);
        }
        std::hint::black_box(&copied);
        copy.push(t.elapsed());

        let t = Instant::now();
        let mut encryptor = Encryptor::new(&key, "bench-blob").unwrap();
        for piece in plain.chunks(PIECE) {
            stored.extend_from_slice(&encryptor.update(piece).unwrap());
        }
        stored.extend_from_slice(&encryptor.finish().unwrap());
        seal.push(t.elapsed());

        // As the blob reader hands them over: owned buffers of a read's size, which the
        // decryptor opens in place (the read itself is not timed).
        let pieces: Vec<BytesMut> = stored.chunks(READ).map(BytesMut::from).collect();
        let t = Instant::now();
        let whole = span(len, 0, len);
        let mut decryptor = Decryptor::new(&key, "bench-blob", len, &whole).unwrap();
        let mut out = 0usize;
        for piece in pieces {
            out += decryptor.update(piece).unwrap().iter().map(|b| b.len()).sum::<usize>();
        }
        decryptor.finish().unwrap();
        assert_eq!(out, plain.len());
        open.push(t.elapsed());
    }
    std::hint::black_box(&stored);
    let rate = |d: Duration| len as f64 / d.as_secs_f64() / 1e6;
    println!("{} MiB, written in 64 KiB pieces, read in 256 KiB buffers; median of {} rounds, one core", args.mib, args.rounds.max(1));
    println!("{:<28} {:>10}", "operation", "MB/s");
    println!("{:<28} {:>10.0}", "copy (for scale)", rate(median(copy)));
    println!("{:<28} {:>10.0}", "encrypt (AES-256-GCM)", rate(median(seal)));
    println!("{:<28} {:>10.0}", "decrypt and verify", rate(median(open)));
}
