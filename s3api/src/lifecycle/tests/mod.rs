//! Tests of the lifecycle configuration: the documents (`parse.rs`: every validation
//! error with its code and message, AWS's examples parsed and written back, the legacy
//! rule-level Prefix) and the evaluation rules (`eval.rs`: matching, rounding to
//! midnight, noncurrent versions, delete markers, uploads, the `x-amz-expiration`
//! header). The helpers and AWS's example documents both use are here.

use std::time::Duration;

use super::*;
use crate::error::S3ErrorCode;

mod eval;
mod parse;

const NS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

fn body(rules: &str) -> Vec<u8> {
    format!(r#"<LifecycleConfiguration xmlns="{NS}">{rules}</LifecycleConfiguration>"#).into_bytes()
}

fn config(rules: &str) -> LifecycleConfiguration {
    LifecycleConfiguration::from_xml(&body(rules)).unwrap()
}

fn err_of(b: &[u8]) -> (S3ErrorCode, String) {
    let e = LifecycleConfiguration::from_xml(b).unwrap_err();
    (e.code, e.message.into_owned())
}

/// Milliseconds since the epoch of an RFC 3339 time.
fn ms(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp_millis()
}

fn tags(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A rule with a prefix filter, enabled, and `actions`.
fn rule(id: &str, prefix: &str, actions: &str) -> String {
    format!("<Rule><ID>{id}</ID><Filter><Prefix>{prefix}</Prefix></Filter><Status>Enabled</Status>{actions}</Rule>")
}

const DAYS_30: &str = "<Expiration><Days>30</Days></Expiration>";

/// The user guide's examples, V2 and V1.
const AWS_EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Rule>
    <ID>Rule 1</ID>
    <Filter>
    </Filter>
    <Status>Enabled</Status>
    <Expiration>
      <Days>365</Days>
    </Expiration>
  </Rule>
  <Rule>
    <ID>example-id</ID>
    <Filter>
       <And>
          <Prefix>tax/</Prefix>
          <Tag>
             <Key>key1</Key>
             <Value>value1</Value>
          </Tag>
          <Tag>
             <Key>key2</Key>
             <Value>value2</Value>
          </Tag>
          <ObjectSizeGreaterThan>500</ObjectSizeGreaterThan>
          <ObjectSizeLessThan>64000</ObjectSizeLessThan>
        </And>
    </Filter>
    <Status>Disabled</Status>
    <Expiration>
      <Date>2027-01-01T00:00:00.000Z</Date>
    </Expiration>
    <NoncurrentVersionExpiration>
      <NoncurrentDays>30</NoncurrentDays>
      <NewerNoncurrentVersions>2</NewerNoncurrentVersions>
    </NoncurrentVersionExpiration>
  </Rule>
  <Rule>
    <ID>cleanup</ID>
    <Filter><Prefix></Prefix></Filter>
    <Status>Enabled</Status>
    <Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>
    <AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>
  </Rule>
  <Rule>
    <Filter><Tag><Key>flag</Key></Tag></Filter>
    <Status>Enabled</Status>
    <Expiration><Days>1</Days></Expiration>
  </Rule>
  <Rule>
    <ID>big</ID>
    <Filter><ObjectSizeGreaterThan>1048576</ObjectSizeGreaterThan></Filter>
    <Status>Enabled</Status>
    <Expiration><Days>90</Days></Expiration>
  </Rule>
</LifecycleConfiguration>"#;

const AWS_V1_EXAMPLE: &str = r#"<LifecycleConfiguration>
  <Rule>
    <ID>Archive and then delete rule</ID>
    <Prefix>projectdocs/</Prefix>
    <Status>Enabled</Status>
    <Expiration><Days>3650</Days></Expiration>
  </Rule>
  <Rule>
    <ID>everything else</ID>
    <Prefix>logs/</Prefix>
    <Status>Enabled</Status>
    <Expiration><Days>10</Days></Expiration>
    <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>
  </Rule>
</LifecycleConfiguration>"#;
