//! Block checksums: the format that lets a reader check every block of a blob before
//! its bytes leave the server.
//!
//! A blob file is its data, then a CRC32C of each 64 KiB block of the data (4 bytes,
//! little-endian, the last block possibly short), then a 24-byte footer: the magic
//! `DEPOTBK1`, the block size (u32), the data length (u64) and a CRC32C of those 20
//! bytes. Offsets into the data are offsets into the file, so a ranged read seeks as
//! before and reads the checksums of just the blocks it touches. The footer's CRC also
//! covers the blob's id, so a whole file that ends up under another blob's name (a
//! misdirected write or rename) fails its footer check even at the same length.
//!
//! Why CRC32C per 64 KiB: the threat is bit rot, torn or truncated files and misdirected
//! writes, not an adversary with write access to the drives (whole-blob MD5, the ETag,
//! is also checked by the scrubber). CRC32C runs in hardware on x86-64 and ARMv8, at a
//! small fraction of the cost of sending the bytes (reads check with `crc-fast`, whose
//! folding kernels run at about 20 GB/s per core), and catches every burst of up to 32
//! bits. 64 KiB keeps a ranged read's extra I/O under two blocks and the table at
//! 0.006% of the data.
//!
//! A file whose length is exactly its data length was written before block checksums
//! existed: it is read unverified, and the scrubber checks it against its MD5 and
//! rewrites it with a table. This module only encodes and checks; it opens no files.

/// Bytes per checksummed block.
pub const BLOCK_SIZE: u64 = 64 * 1024;
const MAGIC: &[u8; 8] = b"DEPOTBK1";
/// Length of the footer that ends every blob file.
pub const FOOTER_LEN: u64 = 24;

/// Blocks of a blob of `data_len` bytes.
pub fn block_count(data_len: u64) -> u64 {
    data_len.div_ceil(BLOCK_SIZE)
}

/// The length of a blob file holding `data_len` bytes of data.
pub fn file_len(data_len: u64) -> u64 {
    data_len + block_count(data_len) * 4 + FOOTER_LEN
}

/// What a blob file's length and footer say about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Data, checksum table and a footer that checks out.
    Checked,
    /// Data only, from before block checksums: readable, not verifiable block by block.
    Legacy,
}

/// Why a copy cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Damage {
    #[error("the file is missing")]
    Missing,
    #[error("the file is {actual} bytes, expected {expected}")]
    WrongLength { actual: u64, expected: u64 },
    #[error("the footer is damaged")]
    Footer,
    #[error("block {block} does not match its checksum")]
    Block { block: u64 },
    #[error("the data does not match its MD5")]
    Md5,
    #[error("the copy cannot be read: {0}")]
    Unreadable(String),
}

/// How a file of `actual` bytes holding `data_len` bytes of data is laid out, judged by
/// its length alone (the footer is checked by [`check_footer`]).
pub fn layout(actual: u64, data_len: u64) -> Result<Layout, Damage> {
    if actual == file_len(data_len) {
        Ok(Layout::Checked)
    } else if actual == data_len {
        Ok(Layout::Legacy)
    } else {
        Err(Damage::WrongLength { actual, expected: file_len(data_len) })
    }
}

fn footer(blob_id: &str, data_len: u64) -> [u8; FOOTER_LEN as usize] {
    let mut out = [0u8; FOOTER_LEN as usize];
    out[..8].copy_from_slice(MAGIC);
    out[8..12].copy_from_slice(&(BLOCK_SIZE as u32).to_le_bytes());
    out[12..20].copy_from_slice(&data_len.to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&out[..20]), blob_id.as_bytes());
    out[20..].copy_from_slice(&crc.to_le_bytes());
    out
}

/// Checks a footer read from the end of the file of blob `blob_id`, `data_len` bytes
/// of data.
pub fn check_footer(bytes: &[u8], blob_id: &str, data_len: u64) -> Result<(), Damage> {
    if bytes == footer(blob_id, data_len) {
        Ok(())
    } else {
        Err(Damage::Footer)
    }
}

/// Checks blocks read from a blob: `data` starts at block `first_block` and holds whole
/// blocks (the blob's last block may be short), `sums` their table entries.
pub fn check_blocks(data: &[u8], first_block: u64, sums: &[u8]) -> Result<(), Damage> {
    for (i, block) in data.chunks(BLOCK_SIZE as usize).enumerate() {
        let expected = sums.get(i * 4..i * 4 + 4).and_then(|s| <[u8; 4]>::try_from(s).ok()).map(u32::from_le_bytes);
        if expected != Some(crc_fast::checksum(crc_fast::CrcAlgorithm::Crc32Iscsi, block) as u32) {
            return Err(Damage::Block { block: first_block + i as u64 });
        }
    }
    Ok(())
}

/// The checksum table of data written in pieces of any size, built as it streams.
#[derive(Debug, Default, Clone)]
pub struct BlockSums {
    table: Vec<u8>,
    current: u32,
    filled: u64,
    len: u64,
}

impl BlockSums {
    pub fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let take = ((BLOCK_SIZE - self.filled) as usize).min(data.len());
            self.current = crc32c::crc32c_append(self.current, &data[..take]);
            self.filled += take as u64;
            data = &data[take..];
            if self.filled == BLOCK_SIZE {
                self.close_block();
            }
        }
    }

    fn close_block(&mut self) {
        self.table.extend_from_slice(&self.current.to_le_bytes());
        self.current = 0;
        self.filled = 0;
    }

    /// The bytes that follow the data in the file of blob `blob_id`: the table and the
    /// footer.
    pub fn trailer(mut self, blob_id: &str) -> Vec<u8> {
        if self.filled > 0 {
            self.close_block();
        }
        let mut out = self.table;
        out.extend_from_slice(&footer(blob_id, self.len));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn file_of(data: &[u8], pieces: usize) -> Vec<u8> {
        let mut sums = BlockSums::default();
        for piece in data.chunks(pieces.max(1)) {
            sums.update(piece);
        }
        let mut file = data.to_vec();
        file.extend(sums.trailer(ID));
        file
    }

    #[test]
    fn a_file_is_its_data_a_table_and_a_footer() {
        for len in [0usize, 1, BLOCK_SIZE as usize - 1, BLOCK_SIZE as usize, 3 * BLOCK_SIZE as usize + 17] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 253) as u8).collect();
            let file = file_of(&data, 10_000);
            assert_eq!(file.len() as u64, file_len(len as u64));
            assert_eq!(file, file_of(&data, 1 << 20), "the same whatever the pieces");
            assert_eq!(layout(file.len() as u64, len as u64), Ok(Layout::Checked));
            let footer_at = file.len() - FOOTER_LEN as usize;
            check_footer(&file[footer_at..], ID, len as u64).unwrap();
            assert_eq!(check_footer(&file[footer_at..], "another blob", len as u64), Err(Damage::Footer), "the footer names its blob");
            check_blocks(&file[..len], 0, &file[len..footer_at]).unwrap();
        }
    }

    #[test]
    fn a_flipped_bit_names_its_block() {
        let data = vec![5u8; 3 * BLOCK_SIZE as usize];
        let mut file = file_of(&data, 4096);
        file[BLOCK_SIZE as usize + 10] ^= 0x10;
        let table = &file[data.len()..data.len() + 12];
        assert_eq!(check_blocks(&file[..data.len()], 0, table), Err(Damage::Block { block: 1 }));
        assert_eq!(check_blocks(&file[..BLOCK_SIZE as usize], 0, &table[..4]), Ok(()));
        assert_eq!(check_blocks(&file[2 * BLOCK_SIZE as usize..data.len()], 2, &table[8..]), Ok(()));
    }

    #[test]
    fn lengths_tell_legacy_from_damaged_files() {
        assert_eq!(layout(100, 100), Ok(Layout::Legacy));
        assert!(matches!(layout(99, 100), Err(Damage::WrongLength { .. })));
        assert!(matches!(layout(file_len(100) - 1, 100), Err(Damage::WrongLength { .. })));
        assert_eq!(check_footer(&[0u8; 24], ID, 100), Err(Damage::Footer));
    }
}
