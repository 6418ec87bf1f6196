//! JSON Web Tokens as Cognito issues them: RS256 with a `kid`, signed by per-pool keys (one for
//! ID tokens, one for access tokens) whose private halves are stored sealed under the master key.
//! Verification is strict: the algorithm is pinned to RS256, the key must be one of the pool's,
//! and `iss`, `exp` and `token_use` are checked by the caller's expectations.

pub mod store;
mod verified;

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::crypto::MasterKey;
use crate::error::DomainError;

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyPurpose {
    IdToken,
    AccessToken,
    /// The identity pools' OpenID tokens (GetOpenIdToken), signed RS512 as Cognito signs them.
    OpenIdToken,
}

impl KeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::IdToken => "id",
            KeyPurpose::AccessToken => "access",
            KeyPurpose::OpenIdToken => "openid",
        }
    }

    /// The JWS algorithm keys of this purpose sign with.
    pub fn algorithm(self) -> JwsAlgorithm {
        match self {
            KeyPurpose::IdToken | KeyPurpose::AccessToken => JwsAlgorithm::Rs256,
            KeyPurpose::OpenIdToken => JwsAlgorithm::Rs512,
        }
    }
}

/// The RSA signature algorithms cognate signs and verifies with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwsAlgorithm {
    Rs256,
    Rs512,
}

impl JwsAlgorithm {
    pub fn name(self) -> &'static str {
        match self {
            JwsAlgorithm::Rs256 => "RS256",
            JwsAlgorithm::Rs512 => "RS512",
        }
    }

    pub fn from_name(name: &str) -> Option<JwsAlgorithm> {
        match name {
            "RS256" => Some(JwsAlgorithm::Rs256),
            "RS512" => Some(JwsAlgorithm::Rs512),
            _ => None,
        }
    }
}

/// A signing key as stored: the private key sealed under the master key, the public half in
/// clear for the JWKS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SigningKeyRecord {
    pub pool_id: String,
    pub kid: String,
    pub purpose: KeyPurpose,
    pub created_ms: i64,
    /// Base64url of the big-endian modulus and exponent.
    pub modulus: String,
    pub exponent: String,
    pub sealed_private_key: String,
}

/// A public key as published in a pool's JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicJwk {
    pub kid: String,
    /// The key's `alg` when its publisher pins one.
    pub algorithm: Option<String>,
    pub modulus: String,
    pub exponent: String,
}

/// A key ready to sign (AWS-LC's RSA implementation, from the stored PKCS#8 key).
pub struct LoadedSigningKey {
    pub kid: String,
    algorithm: JwsAlgorithm,
    key_pair: aws_lc_rs::signature::RsaKeyPair,
    /// The first part of every token it signs: its JOSE header, base64url-encoded.
    encoded_header: String,
}

impl std::fmt::Debug for LoadedSigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "LoadedSigningKey({})", self.kid)
    }
}

use crate::sealing::signing_key as seal_context;

/// Generates a 2048-bit RSA key for `purpose` and seals its private half.
pub fn generate_signing_key(
    master_key: &MasterKey,
    pool_id: &str,
    purpose: KeyPurpose,
    created_ms: i64,
) -> Result<SigningKeyRecord, DomainError> {
    let (key, der) = crate::crypto::new_rsa_key()?;
    let (modulus, exponent) = crate::crypto::rsa_public_numbers(&key);
    let mut kid_bytes = [0u8; 32];
    crate::crypto::fill_random(&mut kid_bytes);
    let kid = BASE64.encode(kid_bytes);
    Ok(SigningKeyRecord {
        pool_id: pool_id.to_string(),
        sealed_private_key: master_key.seal(&der, &seal_context(pool_id, &kid)),
        modulus: URL_SAFE_NO_PAD.encode(modulus),
        exponent: URL_SAFE_NO_PAD.encode(exponent),
        kid,
        purpose,
        created_ms,
    })
}

/// Opens a stored key for signing.
pub fn load_signing_key(master_key: &MasterKey, record: &SigningKeyRecord) -> Result<LoadedSigningKey, DomainError> {
    let der = master_key.open(&record.sealed_private_key, &seal_context(&record.pool_id, &record.kid))?;
    let key_pair = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).map_err(|error| DomainError::internal(format!("a stored key does not load: {error}")))?;
    let algorithm = record.purpose.algorithm();
    let header = match algorithm {
        JwsAlgorithm::Rs256 => serde_json::json!({ "kid": record.kid, "alg": "RS256" }),
        JwsAlgorithm::Rs512 => serde_json::json!({ "kid": record.kid, "typ": "JWS", "alg": "RS512" }),
    };
    let encoded_header = URL_SAFE_NO_PAD.encode(header.to_string());
    Ok(LoadedSigningKey { kid: record.kid.clone(), algorithm, key_pair, encoded_header })
}

impl SigningKeyRecord {
    pub fn public_jwk(&self) -> PublicJwk {
        PublicJwk {
            kid: self.kid.clone(),
            algorithm: Some(self.purpose.algorithm().name().to_string()),
            modulus: self.modulus.clone(),
            exponent: self.exponent.clone(),
        }
    }
}

/// Signs `claims` as a compact JWS with the header `{"kid": …, "alg": "RS256"}` (RS512 for
/// OpenID-token keys, with `"typ": "JWS"` as Cognito Identity writes it).
pub fn sign_jwt(key: &LoadedSigningKey, claims: &Value) -> String {
    let payload = serde_json::to_vec(claims).expect("a JSON value serializes");
    let signature_length = key.key_pair.public_modulus_len();
    // Header, payload and signature, each base64url, in one buffer sized for all three.
    let encoded = |length: usize| length.div_ceil(3) * 4;
    let mut token = String::with_capacity(key.encoded_header.len() + encoded(payload.len()) + encoded(signature_length) + 2);
    token.push_str(&key.encoded_header);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&payload, &mut token);
    let padding: &'static dyn aws_lc_rs::signature::RsaEncoding = match key.algorithm {
        JwsAlgorithm::Rs256 => &aws_lc_rs::signature::RSA_PKCS1_SHA256,
        JwsAlgorithm::Rs512 => &aws_lc_rs::signature::RSA_PKCS1_SHA512,
    };
    let mut signature = vec![0u8; signature_length];
    key.key_pair
        .sign(padding, &aws_lc_rs::rand::SystemRandom::new(), token.as_bytes(), &mut signature)
        .expect("signing with a loaded RSA key cannot fail");
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
    token
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    /// An `alg` that is not allowed, or a signature that does not verify.
    BadSignature,
    /// No key with the token's `kid` (the issuer may have rotated its keys).
    UnknownKey,
}

/// The decoded header of a token, given its first (base64url) part.
pub fn peek_header(encoded_header: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(encoded_header).ok()?;
    serde_json::from_slice::<Value>(&bytes).ok().filter(Value::is_object)
}

/// The unverified claims of a token, for routing (which pool issued it).
pub fn peek_claims(token: &str) -> Result<Value, TokenError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(TokenError::Malformed);
    }
    let payload = URL_SAFE_NO_PAD.decode(parts[1]).map_err(|_| TokenError::Malformed)?;
    let claims: Value = serde_json::from_slice(&payload).map_err(|_| TokenError::Malformed)?;
    if !claims.is_object() {
        return Err(TokenError::Malformed);
    }
    Ok(claims)
}

/// Verifies the signature of `token` against `keys` with the algorithm pinned to RS256, and
/// returns its claims. Expiry, issuer and use are the caller's to check.
pub fn verify_jwt(token: &str, keys: &[PublicJwk]) -> Result<Value, TokenError> {
    verify_jwt_with(token, keys, &[JwsAlgorithm::Rs256])
}

/// Verifies `token` with one of the `allowed` algorithms; the header's `alg` must be one of them
/// and agree with the key's own `alg` when the key pins one.
pub fn verify_jwt_with(token: &str, keys: &[PublicJwk], allowed: &[JwsAlgorithm]) -> Result<Value, TokenError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(TokenError::Malformed);
    }
    let header_bytes = URL_SAFE_NO_PAD.decode(parts[0]).map_err(|_| TokenError::Malformed)?;
    let header: Value = serde_json::from_slice(&header_bytes).map_err(|_| TokenError::Malformed)?;
    let algorithm = header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(JwsAlgorithm::from_name)
        .filter(|algorithm| allowed.contains(algorithm))
        .ok_or(TokenError::BadSignature)?;
    let kid = header.get("kid").and_then(Value::as_str).ok_or(TokenError::BadSignature)?;
    let jwk = keys.iter().find(|key| key.kid == kid).ok_or(TokenError::UnknownKey)?;
    if jwk.algorithm.as_deref().is_some_and(|pinned| pinned != algorithm.name()) {
        return Err(TokenError::BadSignature);
    }
    let (token_digest, fingerprint) = (verified::token_digest(token), verified::key_fingerprint(kid, &jwk.modulus, &jwk.exponent, algorithm.name()));
    if verified::seen(&token_digest, &fingerprint) {
        return peek_claims(token);
    }
    let modulus = URL_SAFE_NO_PAD.decode(&jwk.modulus).map_err(|_| TokenError::BadSignature)?;
    let exponent = URL_SAFE_NO_PAD.decode(&jwk.exponent).map_err(|_| TokenError::BadSignature)?;
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).map_err(|_| TokenError::Malformed)?;
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    let parameters: &aws_lc_rs::signature::RsaParameters = match algorithm {
        JwsAlgorithm::Rs256 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA256,
        JwsAlgorithm::Rs512 => &aws_lc_rs::signature::RSA_PKCS1_2048_8192_SHA512,
    };
    let verified = aws_lc_rs::signature::RsaPublicKeyComponents { n: &modulus, e: &exponent }.verify(parameters, signing_input.as_bytes(), &signature);
    verified.map_err(|_| TokenError::BadSignature)?;
    let claims = peek_claims(token)?;
    verified::remember(token_digest, fingerprint);
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_key_and_rs256() {
        let master_key = MasterKey::generate();
        let record = generate_signing_key(&master_key, "us-east-1_abc", KeyPurpose::AccessToken, 0).unwrap();
        assert_eq!(record.kid.len(), 44);
        assert!(!record.sealed_private_key.contains("BEGIN"));
        let key = load_signing_key(&master_key, &record).unwrap();
        let token = sign_jwt(&key, &serde_json::json!({"sub": "x", "token_use": "access"}));
        let claims = verify_jwt(&token, &[record.public_jwk()]).unwrap();
        assert_eq!(claims["sub"], "x");

        let other = generate_signing_key(&master_key, "us-east-1_abc", KeyPurpose::AccessToken, 0).unwrap();
        let mut impostor = other.public_jwk();
        impostor.kid = record.kid.clone();
        assert_eq!(verify_jwt(&token, &[impostor]), Err(TokenError::BadSignature));
        assert_eq!(verify_jwt(&token, &[other.public_jwk()]), Err(TokenError::UnknownKey));

        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{}","alg":"none"}}"#, record.kid));
        assert_eq!(verify_jwt(&format!("{none_header}.{}.", parts[1]), &[record.public_jwk()]), Err(TokenError::BadSignature));
        let tampered_payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"y","token_use":"access"}"#);
        let tampered = format!("{}.{tampered_payload}.{}", parts[0], parts[2]);
        assert_eq!(verify_jwt(&tampered, &[record.public_jwk()]), Err(TokenError::BadSignature));
        assert_eq!(verify_jwt("a.b", &[record.public_jwk()]), Err(TokenError::Malformed));
    }

    #[test]
    fn a_remembered_signature_answers_only_for_its_token_under_its_key() {
        let master_key = MasterKey::generate();
        let record = generate_signing_key(&master_key, "us-east-1_abc", KeyPurpose::IdToken, 0).unwrap();
        let key = load_signing_key(&master_key, &record).unwrap();
        let token = sign_jwt(&key, &serde_json::json!({"sub": "x", "token_use": "id"}));
        let jwk = record.public_jwk();
        let fingerprint = verified::key_fingerprint(&jwk.kid, &jwk.modulus, &jwk.exponent, "RS256");
        assert!(!verified::seen(&verified::token_digest(&token), &fingerprint));
        assert_eq!(verify_jwt(&token, &[jwk.clone()]).unwrap()["sub"], "x");
        assert!(verified::seen(&verified::token_digest(&token), &fingerprint), "a verified signature is remembered");
        assert_eq!(verify_jwt(&token, &[jwk.clone()]).unwrap()["sub"], "x");
        // Once the key has left the set, or its kid names other material, the token does not verify.
        assert_eq!(verify_jwt(&token, &[]), Err(TokenError::UnknownKey));
        let other = generate_signing_key(&master_key, "us-east-1_abc", KeyPurpose::IdToken, 0).unwrap();
        let mut impostor = other.public_jwk();
        impostor.kid = jwk.kid.clone();
        assert_eq!(verify_jwt(&token, &[impostor]), Err(TokenError::BadSignature));
        // Another token with the same header and signature is not taken for it.
        let parts: Vec<&str> = token.split('.').collect();
        let forged = format!("{}.{}.{}", parts[0], URL_SAFE_NO_PAD.encode(r#"{"sub":"y","token_use":"id"}"#), parts[2]);
        assert_eq!(verify_jwt(&forged, &[jwk]), Err(TokenError::BadSignature));
    }

    #[test]
    fn openid_token_keys_sign_rs512_and_verify_only_as_rs512() {
        let master_key = MasterKey::generate();
        let record = generate_signing_key(&master_key, "cognito-identity", KeyPurpose::OpenIdToken, 0).unwrap();
        let key = load_signing_key(&master_key, &record).unwrap();
        let token = sign_jwt(&key, &serde_json::json!({"sub": "us-east-1:x"}));
        let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(token.split('.').next().unwrap()).unwrap()).unwrap();
        assert_eq!(header["alg"], "RS512");
        assert_eq!(verify_jwt_with(&token, &[record.public_jwk()], &[JwsAlgorithm::Rs512]).unwrap()["sub"], "us-east-1:x");
        assert_eq!(verify_jwt(&token, &[record.public_jwk()]), Err(TokenError::BadSignature));
        let mut unpinned = record.public_jwk();
        unpinned.algorithm = Some("RS256".into());
        assert_eq!(verify_jwt_with(&token, &[unpinned], &[JwsAlgorithm::Rs256, JwsAlgorithm::Rs512]), Err(TokenError::BadSignature));
    }
}
