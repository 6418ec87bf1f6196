//! Reverse proxies in front of cognate. Only a connection from a configured proxy
//! (`--trusted-proxy ADDRESS[/PREFIX]`) has its forwarding headers believed: `X-Forwarded-For`
//! names the client (the nearest address that is not itself a trusted proxy), which rate limits,
//! logs and sign-in records then see; `X-Forwarded-Host` and `X-Forwarded-Proto` name the host and
//! scheme the client asked for, which decide a custom domain's hosted pages. From anyone else
//! these headers are ignored. Every URL cognate issues (issuers, links) comes from
//! `--public-url`, never from a request.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

/// The networks whose forwarding headers are believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<(IpAddr, u8)>);

/// The host and scheme a client asked for: the connection's own, or what a trusted proxy says.
#[derive(Debug, Clone)]
pub struct ClientOrigin {
    pub scheme: &'static str,
    pub host: Option<String>,
}

impl TrustedProxies {
    /// Each entry an address (`10.0.0.7`, `::1`) or a network (`10.0.0.0/8`, `fd00::/8`).
    pub fn parse(entries: &[String]) -> Result<TrustedProxies, String> {
        let mut networks = Vec::new();
        for entry in entries.iter().map(|entry| entry.trim()).filter(|entry| !entry.is_empty()) {
            let refused = || format!("a trusted proxy must be an IP address or ADDRESS/PREFIX, got {entry}");
            let (address, prefix) = match entry.split_once('/') {
                Some((address, prefix)) => (address, Some(prefix.parse::<u8>().map_err(|_| refused())?)),
                None => (entry, None),
            };
            let address: IpAddr = address.parse().map_err(|_| refused())?;
            let longest = if address.is_ipv4() { 32 } else { 128 };
            let prefix = prefix.unwrap_or(longest);
            if prefix > longest {
                return Err(refused());
            }
            networks.push((address, prefix));
        }
        Ok(TrustedProxies(networks))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|(network, prefix)| match (network, address) {
            (IpAddr::V4(network), IpAddr::V4(address)) => masked(u32::from(*network).into(), 32, *prefix) == masked(u32::from(address).into(), 32, *prefix),
            (IpAddr::V6(network), IpAddr::V6(address)) => masked(u128::from(*network), 128, *prefix) == masked(u128::from(address), 128, *prefix),
            _ => false,
        })
    }

    /// The client behind a connection from `peer`, and the origin it asked for.
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap, tls: bool) -> (SocketAddr, ClientOrigin) {
        let own = ClientOrigin {
            scheme: if tls { "https" } else { "http" },
            host: headers.get("host").and_then(|value| value.to_str().ok()).map(str::to_string),
        };
        if !self.contains(peer.ip()) {
            return (peer, own);
        }
        let client = self.forwarded_for(headers).map(|address| SocketAddr::new(address, 0)).unwrap_or(peer);
        let first = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let scheme = match first("x-forwarded-proto").map(|scheme| scheme.to_ascii_lowercase()).as_deref() {
            Some("https") => "https",
            Some("http") => "http",
            _ => own.scheme,
        };
        (client, ClientOrigin { scheme, host: first("x-forwarded-host").or(own.host) })
    }

    /// The nearest address in `X-Forwarded-For` that is not a trusted proxy (the leftmost when
    /// they all are); None without a readable header.
    fn forwarded_for(&self, headers: &HeaderMap) -> Option<IpAddr> {
        let mut chain = Vec::new();
        for value in headers.get_all("x-forwarded-for") {
            for entry in value.to_str().ok()?.split(',') {
                chain.push(parse_forwarded_address(entry.trim())?);
            }
        }
        chain.iter().rev().find(|address| !self.contains(**address)).or(chain.first()).copied()
    }
}

fn masked(value: u128, width: u32, prefix: u8) -> u128 {
    if prefix == 0 {
        return 0;
    }
    let keep = u32::from(prefix).min(width);
    (value >> (width - keep)) << (width - keep)
}

/// `192.0.2.1`, `192.0.2.1:4711`, `2001:db8::1` or `[2001:db8::1]:4711`.
fn parse_forwarded_address(text: &str) -> Option<IpAddr> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Some(address);
    }
    text.parse::<SocketAddr>().ok().map(|address| address.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn forwarding_headers_count_only_from_a_trusted_proxy() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into(), "::1".into()]).unwrap();
        let forwarded = headers(&[("host", "inner:9229"), ("x-forwarded-for", "198.51.100.4, 10.1.2.3"), ("x-forwarded-proto", "https"), ("x-forwarded-host", "login.example.com")]);
        let (client, origin) = proxies.client("10.9.9.9:5000".parse().unwrap(), &forwarded, false);
        assert_eq!(client.ip().to_string(), "198.51.100.4", "the nearest untrusted address");
        assert_eq!((origin.scheme, origin.host.as_deref()), ("https", Some("login.example.com")));
        let (client, origin) = proxies.client("203.0.113.9:5000".parse().unwrap(), &forwarded, false);
        assert_eq!(client.ip().to_string(), "203.0.113.9", "an untrusted peer's headers are ignored");
        assert_eq!((origin.scheme, origin.host.as_deref()), ("http", Some("inner:9229")));
        let spoofed = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.4")]);
        let (client, _) = proxies.client("[::1]:5000".parse().unwrap(), &spoofed, true);
        assert_eq!(client.ip().to_string(), "198.51.100.4", "what the client itself wrote further left is not believed");
        let (client, _) = proxies.client("[::ffff:10.0.0.1]:1".parse().unwrap(), &headers(&[("x-forwarded-for", "[2001:db8::5]:80")]), true);
        assert_eq!(client.ip().to_string(), "2001:db8::5");
        let (client, _) = proxies.client("10.0.0.1:1".parse().unwrap(), &headers(&[("x-forwarded-for", "garbage")]), true);
        assert_eq!(client.ip().to_string(), "10.0.0.1", "an unreadable header leaves the peer");
        assert!(TrustedProxies::parse(&["10.0.0.0/33".into()]).is_err());
        assert!(TrustedProxies::parse(&["proxy.example.com".into()]).is_err());
        assert!(TrustedProxies::parse(&["0.0.0.0/0".into()]).unwrap().contains("8.8.8.8".parse().unwrap()));
    }
}
