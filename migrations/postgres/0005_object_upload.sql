-- The multipart upload that made an object version (NULL for every other write), so a
-- CompleteMultipartUpload retried after its answer was lost finds what it completed.
ALTER TABLE objects ADD COLUMN upload_id TEXT;
