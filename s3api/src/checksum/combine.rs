//! CRC combination: the CRC of `A ‖ B` from `crc(A)`, `crc(B)` and `len(B)` alone, for
//! the reflected CRCs S3 uses (CRC32, CRC32C, CRC64NVME).
//!
//! Polynomial arithmetic modulo the CRC polynomial over GF(2), as zlib's
//! `crc32_combine64` does it (multiply by x^(8·len) mod p, then xor). No data is read,
//! nothing here allocates, and every loop is bounded by the CRC width.

/// One reflected CRC of width `width` bits (≤ 64) with init and final xor all ones.
///
/// Values are in the reflected representation: bit `width - 1` is x^0.
#[derive(Debug, Clone)]
pub(super) struct CrcCombiner {
    width: u32,
    /// The reflected polynomial, x^width implied.
    poly: u64,
    /// `table[k]` = x^(2^k) mod p, for k = 0..=66 (enough for any u64 byte length).
    table: [u64; TABLE_LEN],
}

/// Lengths are in bytes (x^(8·n) = x^(n·2^3)), so a u64 length needs powers up to 2^66.
const TABLE_LEN: usize = 67;

pub(super) const CRC32_POLY: u64 = 0xEDB8_8320;
pub(super) const CRC32C_POLY: u64 = 0x82F6_3B78;
pub(super) const CRC64_NVME_POLY: u64 = 0x9A6C_9329_AC4B_C9B5;

impl CrcCombiner {
    pub(super) fn new(width: u32, poly: u64) -> Self {
        let width = width.clamp(2, 64);
        let mut combiner = CrcCombiner { width, poly, table: [0; TABLE_LEN] };
        // x^1, then square repeatedly: x^2, x^4, ...
        let mut p = combiner.x_pow(1);
        for slot in &mut combiner.table {
            *slot = p;
            p = multiply(width, poly, p, p);
        }
        combiner
    }

    pub(super) fn crc32() -> Self {
        CrcCombiner::new(32, CRC32_POLY)
    }

    pub(super) fn crc32c() -> Self {
        CrcCombiner::new(32, CRC32C_POLY)
    }

    pub(super) fn crc64_nvme() -> Self {
        CrcCombiner::new(64, CRC64_NVME_POLY)
    }

    /// x^e for e < width, in the reflected representation.
    fn x_pow(&self, e: u32) -> u64 {
        1u64.checked_shl(self.width.saturating_sub(1).saturating_sub(e)).unwrap_or(0)
    }

    /// x^(8·len) mod p.
    fn x8n(&self, mut len: u64) -> u64 {
        let mut p = self.x_pow(0);
        let mut k = 3usize;
        while len != 0 {
            if len & 1 != 0 {
                if let Some(&power) = self.table.get(k) {
                    p = multiply(self.width, self.poly, power, p);
                }
            }
            len >>= 1;
            k = k.saturating_add(1);
        }
        p
    }

    /// The CRC of `A ‖ B` given `crc1 = crc(A)`, `crc2 = crc(B)` and `len2 = len(B)`.
    pub(super) fn combine(&self, crc1: u64, crc2: u64, len2: u64) -> u64 {
        multiply(self.width, self.poly, self.x8n(len2), crc1) ^ crc2
    }
}

/// a·b mod p in the reflected representation.
fn multiply(width: u32, poly: u64, a: u64, mut b: u64) -> u64 {
    let mut product = 0u64;
    let mut m = 1u64.checked_shl(width.saturating_sub(1)).unwrap_or(0);
    while m != 0 {
        if a & m != 0 {
            product ^= b;
        }
        m >>= 1;
        b = if b & 1 != 0 { (b >> 1) ^ poly } else { b >> 1 };
    }
    product
}
