-- The bucket's lifecycle rules (PutBucketLifecycleConfiguration), stored form
-- (`s3api::lifecycle::LifecycleConfiguration` as JSON); NULL when none are set.
ALTER TABLE buckets ADD COLUMN lifecycle TEXT;
