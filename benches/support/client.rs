//! The AWS SDK client the benchmarks drive Depot with: path-style, no retries (a
//! failure is the report), hyper's HTTP/1 client.

use aws_credential_types::Credentials;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::Region;
use aws_sdk_s3::Client;

pub fn client(endpoint: &str, region: &str, access_key: &str, secret_key: &str) -> Client {
    let config = aws_sdk_s3::Config::builder()
        .behavior_version_latest()
        .region(Region::new(region.to_owned()))
        .endpoint_url(endpoint)
        .credentials_provider(Credentials::new(access_key, secret_key, None, None, "depot-bench"))
        .force_path_style(true)
        .retry_config(RetryConfig::disabled())
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build();
    Client::from_conf(config)
}
