-- Server-side encryption.
-- A bucket's default encryption (PutBucketEncryption): the stored form of
-- `s3api::sse::EncryptionConfig`; NULL: none.
ALTER TABLE buckets ADD COLUMN encryption TEXT;
-- An encrypted version's or upload's record (`encryption::Sealed`, JSON: the mode, the
-- key ring key, the wrapped data key); NULL: stored in the clear.
ALTER TABLE objects ADD COLUMN sse TEXT;
ALTER TABLE uploads ADD COLUMN sse TEXT;
-- The stored length of an encrypted part's blob (its plaintext length is `size`);
-- NULL: the blob holds the plaintext, `size` bytes.
ALTER TABLE object_parts ADD COLUMN blob_size BIGINT;
ALTER TABLE upload_parts ADD COLUMN blob_size BIGINT;
