-- S3 Object Lock. A bucket's lock configuration (stored form of
-- `s3api::object_lock::ObjectLockConfiguration`; NULL: lock not enabled), each version's
-- retention (mode GOVERNANCE or COMPLIANCE, retain-until in Unix ms) and legal hold, and
-- the lock an incomplete multipart upload asked for, given to the version it completes.
ALTER TABLE buckets ADD COLUMN object_lock TEXT;
ALTER TABLE objects ADD COLUMN lock_mode TEXT;
ALTER TABLE objects ADD COLUMN lock_until BIGINT;
ALTER TABLE objects ADD COLUMN legal_hold BIGINT NOT NULL DEFAULT 0;
ALTER TABLE uploads ADD COLUMN lock_mode TEXT;
ALTER TABLE uploads ADD COLUMN lock_until BIGINT;
ALTER TABLE uploads ADD COLUMN legal_hold BIGINT NOT NULL DEFAULT 0;
