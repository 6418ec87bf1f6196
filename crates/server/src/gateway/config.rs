//! The gateway's settings: where it listens and where each service's requests go, from
//! `--gateway-listen` and `--gateway-upstream SERVICE=URL` (the upstream's own access key in the
//! URL's userinfo, percent-encoded) or the `[gateway]` table of the TOML file.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use crate::secret::Secret;

/// The gateway's flags (flattened into `cognate serve`'s).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GatewayArgs {
    /// Start the SigV4 gateway (S3, DynamoDB, any HTTP API behind `execute-api`) on this address
    /// [default: no gateway].
    #[arg(long, env = "COGNATE_GATEWAY_LISTEN")]
    pub gateway_listen: Option<SocketAddr>,
    /// Where a service's requests go, `SERVICE=URL` (repeatable; `s3=http://KEY:SECRET@host:9000`,
    /// `dynamodb=…`, `execute-api:<api id>=…`); the upstream's access key, if it needs one, in
    /// the URL's userinfo, percent-encoded.
    #[arg(long = "gateway-upstream", env = "COGNATE_GATEWAY_UPSTREAM", value_delimiter = ',', hide_env_values = true)]
    pub gateway_upstream: Vec<String>,
    /// The domain S3 clients put their bucket in front of (`<bucket>.<domain>`, virtual-hosted
    /// style); its names must resolve to the gateway [default: path style only].
    #[arg(long, env = "COGNATE_GATEWAY_S3_DOMAIN")]
    pub gateway_s3_domain: Option<String>,
}

/// The `[gateway]` table of the TOML file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayFile {
    listen: Option<SocketAddr>,
    /// The domain of virtual-hosted S3 requests.
    s3_domain: Option<String>,
    /// `[gateway.upstreams.s3]`, `[gateway.upstreams."execute-api:abc123"]`, …
    #[serde(default)]
    upstreams: BTreeMap<String, UpstreamFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct UpstreamFile {
    url: String,
    access_key_id: Option<String>,
    secret_access_key: Option<String>,
    secret_access_key_file: Option<PathBuf>,
    session_token: Option<String>,
    /// The region requests are signed for upstream [default: the client's].
    region: Option<String>,
}

/// The resolved gateway settings.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub listen: SocketAddr,
    /// By service (`s3`, `dynamodb`, `execute-api:<api id>`, …).
    pub upstreams: BTreeMap<String, Upstream>,
    /// The domain of virtual-hosted S3 requests (`<bucket>.<domain>`), lower-cased.
    pub s3_domain: Option<String>,
}

/// Where one service's requests go, and the keys that sign them there.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// Scheme, host, port and any path prefix; no userinfo, no trailing slash.
    pub url: String,
    pub keys: Option<UpstreamKeys>,
    pub region: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UpstreamKeys {
    pub access_key_id: String,
    pub secret_access_key: Secret,
    pub session_token: Option<Secret>,
}

impl GatewayConfig {
    /// None when no listen address is set; an error for an upstream that cannot be used.
    pub fn resolve(args: GatewayArgs, file: Option<GatewayFile>) -> Result<Option<GatewayConfig>, String> {
        let file = file.unwrap_or_default();
        let Some(listen) = args.gateway_listen.or(file.listen) else {
            if !args.gateway_upstream.is_empty() || !file.upstreams.is_empty() {
                return Err("gateway upstreams are set but not the gateway's listen address (--gateway-listen)".into());
            }
            return Ok(None);
        };
        let mut upstreams = BTreeMap::new();
        for (service, entry) in file.upstreams {
            let secret = match (entry.secret_access_key, entry.secret_access_key_file) {
                (Some(secret), _) => Some(Secret(secret)),
                (None, Some(path)) => Some(Secret(
                    std::fs::read_to_string(&path).map_err(|error| format!("reading {}: {error}", path.display()))?.trim().to_string(),
                )),
                (None, None) => None,
            };
            let keys = match (entry.access_key_id, secret) {
                (Some(access_key_id), Some(secret_access_key)) => {
                    Some(UpstreamKeys { access_key_id, secret_access_key, session_token: entry.session_token.map(Secret) })
                }
                (None, None) => None,
                _ => return Err(format!("the gateway upstream {service}: set both access_key_id and secret_access_key, or neither")),
            };
            let (url, in_url) = split_userinfo(&entry.url).map_err(|error| format!("the gateway upstream {service}: {error}"))?;
            upstreams.insert(checked_service(&service)?, Upstream { url, keys: keys.or(in_url), region: entry.region });
        }
        for flag in args.gateway_upstream {
            let (service, url) = flag
                .split_once('=')
                .ok_or_else(|| format!("--gateway-upstream takes SERVICE=URL, got {}", redact(&flag)))?;
            let (url, keys) = split_userinfo(url).map_err(|error| format!("the gateway upstream {service}: {error}"))?;
            upstreams.insert(checked_service(service)?, Upstream { url, keys, region: None });
        }
        let s3_domain = args.gateway_s3_domain.or(file.s3_domain).map(|domain| domain.trim_end_matches('.').to_ascii_lowercase());
        if let Some(domain) = &s3_domain {
            let labels_ok = domain.split('.').all(|label| !label.is_empty() && label.len() <= 63 && label.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-'));
            if !labels_ok || domain.len() > 200 {
                return Err(format!("the gateway's S3 domain must be a DNS name, got {domain}"));
            }
        }
        Ok(Some(GatewayConfig { listen, upstreams, s3_domain }))
    }
}

fn checked_service(service: &str) -> Result<String, String> {
    let name = service.strip_prefix("execute-api:").unwrap_or(service);
    let valid = !name.is_empty() && name.len() <= 64 && name.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    if valid {
        Ok(service.to_string())
    } else {
        Err(format!("a gateway upstream's service must be a service name or execute-api:<api id>, got {service}"))
    }
}

/// The URL without its userinfo, and the access key the userinfo held.
fn split_userinfo(url: &str) -> Result<(String, Option<UpstreamKeys>), String> {
    let (scheme, rest) = url
        .split_once("://")
        .filter(|(scheme, _)| matches!(*scheme, "http" | "https"))
        .ok_or_else(|| format!("the URL must start with http:// or https://, got {}", redact(url)))?;
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let (userinfo, host) = match authority.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, authority),
    };
    if host.is_empty() {
        return Err(format!("the URL has no host: {}", redact(url)));
    }
    let keys = match userinfo {
        None => None,
        Some(userinfo) => {
            let (key, secret) = userinfo.split_once(':').ok_or("the URL's userinfo must be ACCESS_KEY_ID:SECRET")?;
            let decode = |text: &str| percent_encoding::percent_decode_str(text).decode_utf8_lossy().into_owned();
            Some(UpstreamKeys { access_key_id: decode(key), secret_access_key: Secret(decode(secret)), session_token: None })
        }
    };
    Ok((format!("{scheme}://{host}{}", path.trim_end_matches('/')), keys))
}

/// A flag's text with any userinfo hidden, for error messages.
fn redact(text: &str) -> String {
    match (text.find("://"), text.rfind('@')) {
        (Some(start), Some(at)) if at > start => format!("{}***{}", &text[..start + 3], &text[at..]),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstreams_come_from_flags_with_their_keys() {
        let args = GatewayArgs {
            gateway_listen: Some("127.0.0.1:0".parse().unwrap()),
            gateway_upstream: vec!["s3=http://AKID:se%2Fcret@127.0.0.1:5000/".into(), "execute-api:abc123=http://127.0.0.1:8080/api".into()],
            gateway_s3_domain: Some("S3.Example.Test.".into()),
        };
        let config = GatewayConfig::resolve(args, None).unwrap().unwrap();
        let s3 = &config.upstreams["s3"];
        assert_eq!(s3.url, "http://127.0.0.1:5000");
        let keys = s3.keys.as_ref().unwrap();
        assert_eq!((keys.access_key_id.as_str(), keys.secret_access_key.0.as_str()), ("AKID", "se/cret"));
        assert_eq!(config.upstreams["execute-api:abc123"].url, "http://127.0.0.1:8080/api");
        assert!(config.upstreams["execute-api:abc123"].keys.is_none());
        assert_eq!(config.s3_domain.as_deref(), Some("s3.example.test"));
    }

    #[test]
    fn bad_upstreams_are_refused_without_showing_secrets() {
        let listen = Some("127.0.0.1:0".parse().unwrap());
        let bad = GatewayConfig::resolve(GatewayArgs { gateway_listen: listen, gateway_upstream: vec!["ftp://KEY:SECRET@host".into()], ..GatewayArgs::default() }, None);
        assert!(bad.unwrap_err().contains("SERVICE=URL"));
        let bad = GatewayConfig::resolve(GatewayArgs { gateway_listen: listen, gateway_upstream: vec!["s3=ftp://KEY:SECRET@host".into()], ..GatewayArgs::default() }, None);
        let message = bad.unwrap_err();
        assert!(!message.contains("SECRET"), "{message}");
        let without_listen = GatewayConfig::resolve(GatewayArgs { gateway_listen: None, gateway_upstream: vec!["s3=http://h".into()], ..GatewayArgs::default() }, None);
        assert!(without_listen.is_err());
        assert!(GatewayConfig::resolve(GatewayArgs::default(), None).unwrap().is_none());
        let bad_domain = GatewayArgs { gateway_listen: listen, gateway_s3_domain: Some("not a domain".into()), ..GatewayArgs::default() };
        assert!(GatewayConfig::resolve(bad_domain, None).unwrap_err().contains("S3 domain"));
    }
}
