//! Rate limits on everything a caller could guess at (sign-in, sign-up, codes, password
//! recovery, the token endpoint and the hosted forms): a token bucket per source address and
//! one per app client, on each node. A request over either answers TooManyRequestsException
//! (or OAuth's and the pages' equivalents) before any work is done.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{ConnectInfo, Request};


/// Buckets kept at most: past this, full ones are forgotten, and if every one is in use they
/// all are (memory stays bounded whatever the number of addresses).
const MAX_BUCKETS: usize = 100_000;

/// Token buckets: `rate` tokens a second up to `burst`, per key. A rate of 0 turns it off.
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    buckets: Mutex<HashMap<String, (f64, Instant)>>,
}

impl RateLimiter {
    pub fn new(per_second: u32) -> RateLimiter {
        RateLimiter { rate: f64::from(per_second), burst: f64::from(per_second) * 2.0, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes one token for `key`; false when there is none.
    pub fn allow(&self, key: &str) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().expect("rate limiter lock");
        if buckets.len() >= MAX_BUCKETS {
            let (rate, burst) = (self.rate, self.burst);
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
            if buckets.len() >= MAX_BUCKETS {
                tracing::warn!(buckets = buckets.len(), "rate limiter full of active buckets; starting afresh");
                buckets.clear();
            }
        }
        let (tokens, at) = buckets.entry(key.to_string()).or_insert((self.burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * self.rate).min(self.burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The per-address and per-client limiters of a node.
pub struct RateLimits {
    pub per_address: RateLimiter,
    pub per_client: RateLimiter,
}

impl RateLimits {
    pub fn new(per_address: u32, per_client: u32) -> RateLimits {
        RateLimits { per_address: RateLimiter::new(per_address), per_client: RateLimiter::new(per_client) }
    }

    /// Whether a guessable request from `address` for `client_id` may go on. IPv6 addresses
    /// count by their /64 (one host can hold a whole /64).
    pub fn allow(&self, address: Option<IpAddr>, client_id: Option<&str>) -> bool {
        let address_ok = address.is_none_or(|address| self.per_address.allow(&address_key(address)));
        address_ok && client_id.is_none_or(|client| self.per_client.allow(client))
    }
}

fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let segments = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", segments[0], segments[1], segments[2], segments[3])
            }
        },
    }
}

/// The cognito-idp operations whose callers could guess: passwords, codes, usernames.
pub fn guessable_idp_operation(name: &str) -> bool {
    matches!(
        name,
        "InitiateAuth"
            | "GetTokensFromRefreshToken"
            | "RespondToAuthChallenge"
            | "SignUp"
            | "ConfirmSignUp"
            | "ResendConfirmationCode"
            | "ForgotPassword"
            | "ConfirmForgotPassword"
            | "ChangePassword"
            | "VerifyUserAttribute"
            | "GetUserAttributeVerificationCode"
            | "RevokeToken"
            | "VerifySoftwareToken"
            | "UpdateAuthEventFeedback"
            | "AssociateSoftwareToken"
    )
}

/// The address a request came from, when the server loop recorded it.
pub fn peer_address(request: &Request) -> Option<IpAddr> {
    request.extensions().get::<ConnectInfo<SocketAddr>>().map(|connect| connect.0.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refuse_past_the_burst_and_refill() {
        let limiter = RateLimiter::new(5);
        let taken = (0..20).filter(|_| limiter.allow("a")).count();
        assert_eq!(taken, 10, "the burst is twice the rate");
        assert!(limiter.allow("b"), "keys are apart");
        std::thread::sleep(std::time::Duration::from_millis(450));
        assert!(limiter.allow("a"), "tokens come back with time");
        let off = RateLimiter::new(0);
        assert!((0..1000).all(|_| off.allow("a")));
    }

    #[test]
    fn ipv6_addresses_share_their_64() {
        let limits = RateLimits::new(1, 0);
        let first: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_64: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert!(limits.allow(Some(first), None) && limits.allow(Some(first), None));
        assert!(!limits.allow(Some(same_64), None), "the /64's burst is spent");
        assert!(limits.allow(Some(other_64), None));
        assert_eq!(address_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
