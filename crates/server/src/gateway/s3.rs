//! S3's REST operations as IAM sees them: each to its `s3:` action on `arn:aws:s3:::bucket` or
//! `arn:aws:s3:::bucket/key`, with the condition keys of the request (`s3:prefix`,
//! `s3:delimiter`, `s3:max-keys`, the `x-amz-*` headers policies test). Path-style requests,
//! and virtual-hosted ones (`<bucket>.<domain>`) under the domain the gateway is given, which
//! are read and forwarded as path-style; an operation the gateway does not know is refused,
//! never forwarded unchecked.

use std::collections::HashMap;

use axum::http::HeaderMap;
use cognate_domain::ids::arn;

use super::refusal::Refusal;
use super::check::{refuse_dot_segments, Check};

/// Query parameters that only shape a request, naming no operation of their own.
const PLAIN: &[&str] = &[
    "prefix", "delimiter", "max-keys", "continuation-token", "encoding-type", "start-after", "fetch-owner", "marker", "list-type",
    "x-id", "key-marker", "upload-id-marker", "version-id-marker", "max-uploads", "versionId", "partNumber", "max-parts",
    "part-number-marker", "response-content-type", "response-content-language", "response-expires", "response-cache-control",
    "response-content-disposition", "response-content-encoding", "select-type", "optional-object-attributes",
];

/// The bucket's subresources: (query name, GET action, PUT action, DELETE action).
const BUCKET: &[(&str, &str, &str, &str)] = &[
    ("versions", "ListBucketVersions", "", ""),
    ("uploads", "ListBucketMultipartUploads", "", ""),
    ("location", "GetBucketLocation", "", ""),
    ("policy", "GetBucketPolicy", "PutBucketPolicy", "DeleteBucketPolicy"),
    ("policyStatus", "GetBucketPolicyStatus", "", ""),
    ("acl", "GetBucketAcl", "PutBucketAcl", ""),
    ("cors", "GetBucketCORS", "PutBucketCORS", "PutBucketCORS"),
    ("versioning", "GetBucketVersioning", "PutBucketVersioning", ""),
    ("tagging", "GetBucketTagging", "PutBucketTagging", "PutBucketTagging"),
    ("lifecycle", "GetLifecycleConfiguration", "PutLifecycleConfiguration", "PutLifecycleConfiguration"),
    ("website", "GetBucketWebsite", "PutBucketWebsite", "DeleteBucketWebsite"),
    ("encryption", "GetEncryptionConfiguration", "PutEncryptionConfiguration", "PutEncryptionConfiguration"),
    ("notification", "GetBucketNotification", "PutBucketNotification", ""),
    ("logging", "GetBucketLogging", "PutBucketLogging", ""),
    ("ownershipControls", "GetBucketOwnershipControls", "PutBucketOwnershipControls", "PutBucketOwnershipControls"),
    ("publicAccessBlock", "GetBucketPublicAccessBlock", "PutBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    ("object-lock", "GetBucketObjectLockConfiguration", "PutBucketObjectLockConfiguration", ""),
    ("replication", "GetReplicationConfiguration", "PutReplicationConfiguration", "PutReplicationConfiguration"),
    ("accelerate", "GetAccelerateConfiguration", "PutAccelerateConfiguration", ""),
    ("requestPayment", "GetBucketRequestPayment", "PutBucketRequestPayment", ""),
];

/// The object's subresources: (query name, GET, PUT, DELETE, POST action).
const OBJECT: &[(&str, &str, &str, &str, &str)] = &[
    ("acl", "GetObjectAcl", "PutObjectAcl", "", ""),
    ("tagging", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging", ""),
    ("uploads", "", "", "", "PutObject"),
    ("uploadId", "ListMultipartUploadParts", "PutObject", "AbortMultipartUpload", "PutObject"),
    ("attributes", "GetObjectAttributes", "", "", ""),
    ("retention", "GetObjectRetention", "PutObjectRetention", "", ""),
    ("legal-hold", "GetObjectLegalHold", "PutObjectLegalHold", "", ""),
    ("torrent", "GetObjectTorrent", "", "", ""),
    ("restore", "", "", "", "RestoreObject"),
    ("select", "", "", "", "GetObject"),
];

/// The request's path in path style. A request to `<bucket>.<domain>` (virtual-hosted style,
/// `domain` being the gateway's S3 domain) names its bucket in the host, which is put in front
/// of its path; any other host leaves the path as it is.
pub(super) fn path_style(path: &str, host: Option<&str>, domain: Option<&str>) -> Result<String, Refusal> {
    let (Some(host), Some(domain)) = (host, domain) else { return Ok(path.to_string()) };
    // The host without its port (a bracketed IPv6 address is never under a domain).
    let name = match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|byte| byte.is_ascii_digit()) => name,
        _ => host,
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let Some(bucket) = name.strip_suffix(domain).and_then(|rest| rest.strip_suffix('.')) else { return Ok(path.to_string()) };
    let well_formed = (3..=63).contains(&bucket.len())
        && bucket.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'.' || byte == b'-');
    if !well_formed {
        return Err(Refusal::BadRequest(format!("The host names a bucket that is not a valid bucket name: {bucket}")));
    }
    Ok(format!("/{bucket}{path}"))
}

/// Headers whose values policies test, and their condition keys.
const HEADER_KEYS: &[(&str, &str)] = &[
    ("x-amz-acl", "s3:x-amz-acl"),
    ("x-amz-server-side-encryption", "s3:x-amz-server-side-encryption"),
    ("x-amz-server-side-encryption-aws-kms-key-id", "s3:x-amz-server-side-encryption-aws-kms-key-id"),
    ("x-amz-storage-class", "s3:x-amz-storage-class"),
    ("x-amz-copy-source", "s3:x-amz-copy-source"),
    ("x-amz-metadata-directive", "s3:x-amz-metadata-directive"),
    ("x-amz-content-sha256", "s3:x-amz-content-sha256"),
    ("x-amz-grant-read", "s3:x-amz-grant-read"),
    ("x-amz-grant-write", "s3:x-amz-grant-write"),
    ("x-amz-grant-full-control", "s3:x-amz-grant-full-control"),
    ("x-amz-object-lock-mode", "s3:object-lock-mode"),
];

/// The query's parameters, each named once: a repeated one could be read one way here and
/// another way upstream (`?prefix=mine/&prefix=theirs/`).
pub fn parameters(raw_query: &str) -> Result<HashMap<String, String>, Refusal> {
    let mut parameters = HashMap::new();
    for pair in raw_query.split('&').filter(|pair| !pair.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let name = crate::aws::sigv4::percent_decode(name);
        if parameters.insert(name.clone(), crate::aws::sigv4::percent_decode(value)).is_some() {
            return Err(Refusal::BadRequest(format!("The query parameter {name} is given more than once.")));
        }
    }
    Ok(parameters)
}

/// What an S3 request needs allowed. `DeleteObjects` (`POST ?delete`) answers an empty list: its
/// checks come from its body, through [`delete_checks`].
pub fn checks(method: &str, raw_path: &str, query: &HashMap<String, String>, headers: &HeaderMap, presigned: bool) -> Result<Vec<Check>, Refusal> {
    refuse_dot_segments(raw_path)?;
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    let path = path.strip_prefix('/').unwrap_or(&path);
    let (bucket, key) = match path.split_once('/') {
        Some((bucket, key)) => (bucket, key),
        None => (path, ""),
    };
    let named: Vec<&str> = query.keys().map(String::as_str).filter(|name| !name.starts_with("X-Amz-") && !PLAIN.contains(name)).collect();
    let unknown = || Refusal::NotImplemented(format!("The gateway does not know the S3 operation {method} {raw_path} ?{}.", named.join("&")));
    let mut context: Vec<(&'static str, Vec<String>)> = vec![
        ("s3:authType", vec![if presigned { "REST-QUERY-STRING" } else { "REST-HEADER" }.to_string()]),
        ("s3:signatureversion", vec!["AWS4-HMAC-SHA256".to_string()]),
    ];
    for (header, key) in HEADER_KEYS {
        if let Some(value) = headers.get(*header).and_then(|value| value.to_str().ok()) {
            context.push((key, vec![value.to_string()]));
        }
    }
    if bucket.is_empty() {
        return match (method, named.is_empty()) {
            ("GET", true) => Ok(vec![Check::new("s3:ListAllMyBuckets", arn::s3(None, None), context)]),
            _ => Err(unknown()),
        };
    }
    if named.len() > 1 {
        return Err(unknown());
    }
    let subresource = named.first().copied();
    let versioned = query.contains_key("versionId");
    let action = if key.is_empty() {
        for (name, key) in [("prefix", "s3:prefix"), ("delimiter", "s3:delimiter"), ("max-keys", "s3:max-keys")] {
            if let Some(value) = query.get(name) {
                context.push((key, vec![value.clone()]));
            }
        }
        match (method, subresource) {
            ("GET" | "HEAD", None) => "ListBucket",
            ("PUT", None) => "CreateBucket",
            ("DELETE", None) => "DeleteBucket",
            ("POST", Some("delete")) => return Ok(Vec::new()),
            (_, Some(name)) => {
                let row = BUCKET.iter().find(|row| row.0 == name).ok_or_else(unknown)?;
                let action = match method {
                    "GET" => row.1,
                    "PUT" => row.2,
                    "DELETE" => row.3,
                    _ => "",
                };
                if action.is_empty() {
                    return Err(unknown());
                }
                action
            }
            _ => return Err(unknown()),
        }
    } else {
        if let Some(version) = query.get("versionId") {
            context.push(("s3:VersionId", vec![version.clone()]));
        }
        match (method, subresource) {
            ("GET" | "HEAD", None) if versioned => "GetObjectVersion",
            ("GET" | "HEAD", None) => "GetObject",
            ("PUT", None) => "PutObject",
            ("DELETE", None) if versioned => "DeleteObjectVersion",
            ("DELETE", None) => "DeleteObject",
            (_, Some(name)) => {
                let row = OBJECT.iter().find(|row| row.0 == name).ok_or_else(unknown)?;
                let action = match method {
                    "GET" => row.1,
                    "PUT" => row.2,
                    "DELETE" => row.3,
                    "POST" => row.4,
                    _ => "",
                };
                if action.is_empty() {
                    return Err(unknown());
                }
                match (action, versioned) {
                    ("GetObjectAcl", true) => "GetObjectVersionAcl",
                    ("PutObjectAcl", true) => "PutObjectVersionAcl",
                    ("GetObjectTagging", true) => "GetObjectVersionTagging",
                    ("PutObjectTagging", true) => "PutObjectVersionTagging",
                    ("DeleteObjectTagging", true) => "DeleteObjectVersionTagging",
                    (action, _) => action,
                }
            }
            _ => return Err(unknown()),
        }
    };
    let resource = arn::s3(Some(bucket), (!key.is_empty()).then_some(key));
    let mut checks = vec![Check::new(&format!("s3:{action}"), resource, context.clone())];
    // CopyObject and UploadPartCopy also read their source.
    if action == "PutObject" {
        if let Some(source) = headers.get("x-amz-copy-source").and_then(|value| value.to_str().ok()) {
            let source = percent_encoding::percent_decode_str(source).decode_utf8_lossy().into_owned();
            let (source, version) = match source.split_once("?versionId=") {
                Some((source, version)) => (source.to_string(), Some(version.to_string())),
                None => (source, None),
            };
            let source = source.trim_start_matches('/');
            let (source_bucket, source_key) = source.split_once('/').filter(|(bucket, key)| !bucket.is_empty() && !key.is_empty()).ok_or_else(
                || Refusal::BadRequest("x-amz-copy-source must name a bucket and a key.".into()),
            )?;
            let read = if version.is_some() { "s3:GetObjectVersion" } else { "s3:GetObject" };
            checks.push(Check::new(read, arn::s3(Some(source_bucket), Some(source_key)), context));
        }
    }
    Ok(checks)
}

/// The checks of `DeleteObjects`: `s3:DeleteObject` (or `…Version`) on each key its body names.
pub fn delete_checks(raw_path: &str, body: &[u8]) -> Result<Vec<Check>, Refusal> {
    let path = percent_encoding::percent_decode_str(raw_path).decode_utf8_lossy();
    let bucket = path.trim_start_matches('/').trim_end_matches('/');
    let text = std::str::from_utf8(body).map_err(|_| Refusal::BadRequest("The DeleteObjects body is not UTF-8.".into()))?;
    let mut checks = Vec::new();
    for object in text.split("<Object>").skip(1) {
        let object = object.split("</Object>").next().unwrap_or("");
        let field = |name: &str| {
            object
                .split_once(&format!("<{name}>"))
                .and_then(|(_, rest)| rest.split_once(&format!("</{name}>")))
                .map(|(value, _)| xml_unescape(value))
        };
        let key = field("Key").ok_or_else(|| Refusal::BadRequest("An Object of the DeleteObjects body has no Key.".into()))?;
        let action = if field("VersionId").is_some() { "s3:DeleteObjectVersion" } else { "s3:DeleteObject" };
        checks.push(Check::new(action, arn::s3(Some(bucket), Some(&key)), Vec::new()));
    }
    if checks.is_empty() || checks.len() > 1000 {
        return Err(Refusal::BadRequest("DeleteObjects names between 1 and 1000 objects.".into()));
    }
    Ok(checks)
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect()
    }

    fn actions(method: &str, path: &str, pairs: &[(&str, &str)], headers: &HeaderMap) -> Result<Vec<(String, String)>, Refusal> {
        checks(method, path, &query(pairs), headers, false).map(|checks| checks.into_iter().map(|check| (check.action, check.resource)).collect())
    }

    #[test]
    fn operations_map_to_their_actions_and_resources() {
        let none = HeaderMap::new();
        assert_eq!(actions("GET", "/b/private/a%20b.txt", &[], &none).unwrap(), [("s3:GetObject".into(), "arn:aws:s3:::b/private/a b.txt".into())]);
        assert_eq!(actions("GET", "/b", &[("list-type", "2"), ("prefix", "p/")], &none).unwrap()[0].0, "s3:ListBucket");
        assert_eq!(actions("POST", "/b/k", &[("uploads", "")], &none).unwrap()[0].0, "s3:PutObject");
        assert_eq!(actions("DELETE", "/b/k", &[("uploadId", "u")], &none).unwrap()[0].0, "s3:AbortMultipartUpload");
        assert_eq!(actions("GET", "/b/k", &[("uploadId", "u")], &none).unwrap()[0].0, "s3:ListMultipartUploadParts");
        assert_eq!(actions("PUT", "/b/k", &[("partNumber", "1"), ("uploadId", "u")], &none).unwrap()[0].0, "s3:PutObject");
        assert_eq!(actions("GET", "/b/k", &[("versionId", "v")], &none).unwrap()[0].0, "s3:GetObjectVersion");
        assert_eq!(actions("DELETE", "/b", &[("cors", "")], &none).unwrap()[0].0, "s3:PutBucketCORS");
        assert_eq!(actions("GET", "/", &[], &none).unwrap()[0], ("s3:ListAllMyBuckets".into(), "arn:aws:s3:::*".into()));
        let mut copy = HeaderMap::new();
        copy.insert("x-amz-copy-source", "/src/some%20key".parse().unwrap());
        assert_eq!(
            actions("PUT", "/b/k", &[], &copy).unwrap(),
            [("s3:PutObject".into(), "arn:aws:s3:::b/k".into()), ("s3:GetObject".into(), "arn:aws:s3:::src/some key".into())]
        );
    }

    #[test]
    fn unknown_subresources_are_refused_not_taken_for_a_listing() {
        let none = HeaderMap::new();
        assert!(matches!(actions("GET", "/b", &[("analytics", "")], &none), Err(Refusal::NotImplemented(_))));
        assert!(matches!(actions("GET", "/b", &[("acl", ""), ("policy", "")], &none), Err(Refusal::NotImplemented(_))));
        assert!(matches!(actions("PATCH", "/b/k", &[], &none), Err(Refusal::NotImplemented(_))));
    }

    #[test]
    fn paths_that_could_resolve_elsewhere_and_repeated_parameters_are_refused() {
        let none = HeaderMap::new();
        assert!(matches!(actions("GET", "/b/private/me/../you/k", &[], &none), Err(Refusal::BadRequest(_))));
        assert!(matches!(actions("GET", "/b/private/me/%2E%2E/you/k", &[], &none), Err(Refusal::BadRequest(_))));
        assert!(actions("GET", "/b/private/me/..k", &[], &none).is_ok());
        assert!(matches!(parameters("prefix=mine/&prefix=theirs/"), Err(Refusal::BadRequest(_))));
        assert_eq!(parameters("list-type=2&prefix=a%2Fb").unwrap()["prefix"], "a/b");
    }

    #[test]
    fn virtual_hosted_requests_name_their_bucket_in_the_host() {
        let domain = Some("s3.cognate.test");
        assert_eq!(path_style("/k/x", Some("photos.s3.cognate.test:9230"), domain).unwrap(), "/photos/k/x");
        assert_eq!(path_style("/", Some("my.bucket.S3.Cognate.Test"), domain).unwrap(), "/my.bucket/");
        assert_eq!(path_style("/b/k", Some("s3.cognate.test:9230"), domain).unwrap(), "/b/k");
        assert_eq!(path_style("/b/k", Some("127.0.0.1:9230"), domain).unwrap(), "/b/k");
        assert_eq!(path_style("/b/k", Some("evil-s3.cognate.test"), domain).unwrap(), "/b/k");
        assert_eq!(path_style("/b/k", Some("photos.s3.cognate.test"), None).unwrap(), "/b/k");
        assert!(matches!(path_style("/k", Some("Bad_Name.s3.cognate.test"), domain), Err(Refusal::BadRequest(_))));
        assert!(matches!(path_style("/k", Some("ab.s3.cognate.test"), domain), Err(Refusal::BadRequest(_))));
    }

    #[test]
    fn delete_objects_checks_every_key() {
        let body = b"<Delete><Object><Key>a&amp;b</Key></Object><Object><Key>c</Key><VersionId>v</VersionId></Object></Delete>";
        let checks = delete_checks("/bucket", body).unwrap();
        assert_eq!(checks[0].resource, "arn:aws:s3:::bucket/a&b");
        assert_eq!(checks[1].action, "s3:DeleteObjectVersion");
    }
}
