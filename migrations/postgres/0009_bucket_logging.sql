-- Server access logging (PutBucketLogging): the stored form of
-- `s3api::access_log::LoggingConfiguration`; NULL: logging off.
ALTER TABLE buckets ADD COLUMN logging TEXT;
