-- Bucket settings that decide who may do what and what browsers see: the bucket
-- policy (the JSON document as the owner sent it), the CORS rules, the public access
-- block and the object ownership setting (stored forms in s3api::bucket_config). NULL
-- means not configured.
ALTER TABLE buckets ADD COLUMN policy TEXT;
ALTER TABLE buckets ADD COLUMN cors TEXT;
ALTER TABLE buckets ADD COLUMN public_access_block TEXT;
ALTER TABLE buckets ADD COLUMN object_ownership TEXT;
