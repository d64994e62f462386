//! What a write says about its checksum: an `x-amz-checksum-<alg>` header, a checksum
//! announced as a trailer (`x-amz-trailer`), and `x-amz-sdk-checksum-algorithm`; and
//! verifying the computed checksum against it.

use http::HeaderMap;

use super::header_str;
use crate::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use crate::error::{S3Error, S3ErrorCode, S3Result};

/// Where the client's checksum value comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChecksumValue {
    /// In a request header, known before the body.
    Header(Checksum),
    /// In the trailer of an aws-chunked body, named by `x-amz-trailer`.
    Trailer(ChecksumAlgorithm),
    /// Only the algorithm was named: the server computes and stores it.
    None,
}

/// The checksum a write carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumRequest {
    pub algorithm: Option<ChecksumAlgorithm>,
    pub value: ChecksumValue,
}

impl ChecksumRequest {
    /// Reads the checksum headers of a PutObject or UploadPart.
    pub fn from_headers(headers: &HeaderMap) -> S3Result<Self> {
        let invalid = |msg: &str| S3Error::with_message(S3ErrorCode::InvalidRequest, msg.to_owned());
        let mut header_value = None;
        for alg in ChecksumAlgorithm::all() {
            if let Some(v) = header_str(headers, alg.header_name()) {
                if header_value.is_some() {
                    return Err(invalid("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."));
                }
                header_value = Some(Checksum::from_base64(alg, v)?);
            }
        }
        let trailer = match header_str(headers, "x-amz-trailer") {
            None => None,
            Some(name) => Some(
                ChecksumAlgorithm::from_header_name(&name.to_ascii_lowercase())
                    .ok_or_else(|| invalid("The value specified in the x-amz-trailer header is not supported"))?,
            ),
        };
        let sdk_algorithm = match header_str(headers, "x-amz-sdk-checksum-algorithm") {
            None => None,
            Some(name) => Some(
                ChecksumAlgorithm::parse(name)
                    .ok_or_else(|| S3Error::with_message(S3ErrorCode::InvalidRequest, "Value for x-amz-sdk-checksum-algorithm header is invalid."))?,
            ),
        };
        let (algorithm, value) = match (header_value, trailer) {
            (Some(_), Some(_)) => return Err(invalid("Expecting a single x-amz-checksum- header or trailer, not both.")),
            (Some(c), None) => (Some(c.algorithm), ChecksumValue::Header(c)),
            (None, Some(alg)) => (Some(alg), ChecksumValue::Trailer(alg)),
            (None, None) => (sdk_algorithm, ChecksumValue::None),
        };
        if let (Some(sdk), Some(alg)) = (sdk_algorithm, algorithm) {
            if sdk != alg {
                return Err(invalid("Value for x-amz-sdk-checksum-algorithm header is invalid."));
            }
        }
        Ok(ChecksumRequest { algorithm, value })
    }

    /// Checks the computed checksum against the client's value (from the header, or from
    /// `trailers` for a trailer checksum).
    pub fn verify(&self, computed: Option<&Checksum>, trailers: &[(String, String)]) -> S3Result<()> {
        let expected = match &self.value {
            ChecksumValue::None => return Ok(()),
            ChecksumValue::Header(c) => c.clone(),
            ChecksumValue::Trailer(alg) => {
                let value = trailers.iter().find(|(name, _)| name == alg.header_name()).map(|(_, v)| v.as_str()).ok_or_else(|| {
                    S3Error::with_message(S3ErrorCode::InvalidRequest, format!("The {} trailer announced in x-amz-trailer was not sent", alg.header_name()))
                })?;
                Checksum::from_base64(*alg, value)?
            }
        };
        match computed {
            Some(c) if *c == expected => Ok(()),
            _ => Err(S3Error::with_message(
                S3ErrorCode::BadDigest,
                format!("The {} you specified did not match the calculated checksum.", expected.algorithm.as_str()),
            )),
        }
    }
}

/// The checksum a CreateMultipartUpload asks for (`x-amz-checksum-algorithm`,
/// `x-amz-checksum-type`). `None` when the client names no algorithm.
pub fn multipart_checksum(headers: &HeaderMap) -> S3Result<Option<(ChecksumAlgorithm, ChecksumType)>> {
    let invalid = |msg: String| S3Error::with_message(S3ErrorCode::InvalidRequest, msg);
    let algorithm = match header_str(headers, "x-amz-checksum-algorithm") {
        None => None,
        Some(v) => Some(ChecksumAlgorithm::parse(v).ok_or_else(|| invalid(format!("Checksum algorithm provided is unsupported: {v}")))?),
    };
    let kind = match header_str(headers, "x-amz-checksum-type") {
        None => None,
        Some(v) => Some(ChecksumType::parse(v).ok_or_else(|| invalid(format!("Value for x-amz-checksum-type header is invalid: {v}")))?),
    };
    match (algorithm, kind) {
        (None, None) => Ok(None),
        (None, Some(_)) => Err(invalid("x-amz-checksum-type requires x-amz-checksum-algorithm".to_owned())),
        (Some(alg), kind) => {
            let kind = kind.unwrap_or(if alg == ChecksumAlgorithm::Crc64Nvme { ChecksumType::FullObject } else { ChecksumType::Composite });
            if kind == ChecksumType::FullObject && !alg.supports_full_object() {
                return Err(invalid(format!("The FULL_OBJECT checksum type cannot be used with the {} checksum algorithm.", alg.as_str())));
            }
            if kind == ChecksumType::Composite && alg == ChecksumAlgorithm::Crc64Nvme {
                return Err(invalid("The COMPOSITE checksum type cannot be used with the CRC64NVME checksum algorithm.".to_owned()));
            }
            Ok(Some((alg, kind)))
        }
    }
}

/// The checksum of one part named in a CompleteMultipartUpload body, for `algorithm`.
pub fn completed_part_checksum(part: &crate::xml::request::CompletedPart, algorithm: ChecksumAlgorithm) -> Option<&str> {
    match algorithm {
        ChecksumAlgorithm::Crc32 => part.checksum_crc32.as_deref(),
        ChecksumAlgorithm::Crc32c => part.checksum_crc32c.as_deref(),
        ChecksumAlgorithm::Crc64Nvme => part.checksum_crc64nvme.as_deref(),
        ChecksumAlgorithm::Sha1 => part.checksum_sha1.as_deref(),
        ChecksumAlgorithm::Sha256 => part.checksum_sha256.as_deref(),
    }
}

/// The XML element carrying a checksum (`ChecksumCRC32`, …).
pub fn checksum_element(algorithm: ChecksumAlgorithm) -> &'static str {
    match algorithm {
        ChecksumAlgorithm::Crc32 => "ChecksumCRC32",
        ChecksumAlgorithm::Crc32c => "ChecksumCRC32C",
        ChecksumAlgorithm::Crc64Nvme => "ChecksumCRC64NVME",
        ChecksumAlgorithm::Sha1 => "ChecksumSHA1",
        ChecksumAlgorithm::Sha256 => "ChecksumSHA256",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn header_trailer_and_algorithm_only() {
        let crc = Checksum::compute(ChecksumAlgorithm::Crc32, b"hello world");
        let r = ChecksumRequest::from_headers(&headers(&[("x-amz-checksum-crc32", &crc.to_base64())])).unwrap();
        assert_eq!(r.algorithm, Some(ChecksumAlgorithm::Crc32));
        assert!(r.verify(Some(&crc), &[]).is_ok());
        let other = Checksum::compute(ChecksumAlgorithm::Crc32, b"hello");
        assert_eq!(r.verify(Some(&other), &[]).unwrap_err().code, S3ErrorCode::BadDigest);

        let r = ChecksumRequest::from_headers(&headers(&[("x-amz-trailer", "x-amz-checksum-crc32"), ("x-amz-sdk-checksum-algorithm", "CRC32")])).unwrap();
        assert_eq!(r.value, ChecksumValue::Trailer(ChecksumAlgorithm::Crc32));
        let trailers = vec![("x-amz-checksum-crc32".to_owned(), crc.to_base64())];
        assert!(r.verify(Some(&crc), &trailers).is_ok());
        assert_eq!(r.verify(Some(&crc), &[]).unwrap_err().code, S3ErrorCode::InvalidRequest);

        let r = ChecksumRequest::from_headers(&headers(&[("x-amz-sdk-checksum-algorithm", "sha256")])).unwrap();
        assert_eq!((r.algorithm, r.value), (Some(ChecksumAlgorithm::Sha256), ChecksumValue::None));
    }

    #[test]
    fn multipart_checksum_defaults_and_rules() {
        assert_eq!(multipart_checksum(&headers(&[])).unwrap(), None);
        assert_eq!(multipart_checksum(&headers(&[("x-amz-checksum-algorithm", "CRC32")])).unwrap(), Some((ChecksumAlgorithm::Crc32, ChecksumType::Composite)));
        assert_eq!(
            multipart_checksum(&headers(&[("x-amz-checksum-algorithm", "CRC64NVME")])).unwrap(),
            Some((ChecksumAlgorithm::Crc64Nvme, ChecksumType::FullObject))
        );
        let sha_full = headers(&[("x-amz-checksum-algorithm", "SHA256"), ("x-amz-checksum-type", "FULL_OBJECT")]);
        assert_eq!(multipart_checksum(&sha_full).unwrap_err().code, S3ErrorCode::InvalidRequest);
    }

    #[test]
    fn conflicting_checksum_headers() {
        let crc = Checksum::compute(ChecksumAlgorithm::Crc32, b"x").to_base64();
        let both = headers(&[("x-amz-checksum-crc32", &crc), ("x-amz-trailer", "x-amz-checksum-crc32")]);
        assert_eq!(ChecksumRequest::from_headers(&both).unwrap_err().code, S3ErrorCode::InvalidRequest);
        let mismatch = headers(&[("x-amz-checksum-crc32", &crc), ("x-amz-sdk-checksum-algorithm", "SHA1")]);
        assert_eq!(ChecksumRequest::from_headers(&mismatch).unwrap_err().code, S3ErrorCode::InvalidRequest);
        let bad = headers(&[("x-amz-checksum-crc32", "not base64!")]);
        assert_eq!(ChecksumRequest::from_headers(&bad).unwrap_err().code, S3ErrorCode::InvalidRequest);
    }
}
