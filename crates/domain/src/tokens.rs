//! JSON Web Tokens as Cognito issues them: RS256 with a `kid`, signed by per-pool keys (one for
//! ID tokens, one for access tokens) whose private halves are stored sealed under the master key.
//! Verification is strict: the algorithm is pinned to RS256, the key must be one of the pool's,
//! and `iss`, `exp` and `token_use` are checked by the caller's expectations.

use base64::engine::general_purpose::{STANDARD as BASE64, URL_SAFE_NO_PAD};
use base64::Engine;
use rand::rngs::OsRng;
use rand::RngCore;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, RsaPrivateKey, RsaPublicKey};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

use crate::crypto::MasterKey;
use crate::error::DomainError;

/// What a key signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum KeyPurpose {
    IdToken,
    AccessToken,
}

impl KeyPurpose {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyPurpose::IdToken => "id",
            KeyPurpose::AccessToken => "access",
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
    pub modulus: String,
    pub exponent: String,
}

/// A key ready to sign.
pub struct LoadedSigningKey {
    pub kid: String,
    signing_key: SigningKey<Sha256>,
}

impl std::fmt::Debug for LoadedSigningKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "LoadedSigningKey({})", self.kid)
    }
}

fn seal_context(pool_id: &str, kid: &str) -> String {
    format!("signing-key:{pool_id}:{kid}")
}

/// Generates a 2048-bit RSA key for `purpose` and seals its private half.
pub fn generate_signing_key(
    master_key: &MasterKey,
    pool_id: &str,
    purpose: KeyPurpose,
    created_ms: i64,
) -> Result<SigningKeyRecord, DomainError> {
    let private_key = RsaPrivateKey::new(&mut OsRng, 2048).map_err(DomainError::internal)?;
    let mut kid_bytes = [0u8; 32];
    OsRng.fill_bytes(&mut kid_bytes);
    let kid = BASE64.encode(kid_bytes);
    let der = private_key.to_pkcs8_der().map_err(DomainError::internal)?;
    Ok(SigningKeyRecord {
        pool_id: pool_id.to_string(),
        sealed_private_key: master_key.seal(der.as_bytes(), &seal_context(pool_id, &kid)),
        modulus: URL_SAFE_NO_PAD.encode(private_key.n().to_bytes_be()),
        exponent: URL_SAFE_NO_PAD.encode(private_key.e().to_bytes_be()),
        kid,
        purpose,
        created_ms,
    })
}

/// Opens a stored key for signing.
pub fn load_signing_key(master_key: &MasterKey, record: &SigningKeyRecord) -> Result<LoadedSigningKey, DomainError> {
    let der = master_key.open(&record.sealed_private_key, &seal_context(&record.pool_id, &record.kid))?;
    let private_key = RsaPrivateKey::from_pkcs8_der(&der).map_err(DomainError::internal)?;
    Ok(LoadedSigningKey { kid: record.kid.clone(), signing_key: SigningKey::<Sha256>::new(private_key) })
}

impl SigningKeyRecord {
    pub fn public_jwk(&self) -> PublicJwk {
        PublicJwk { kid: self.kid.clone(), modulus: self.modulus.clone(), exponent: self.exponent.clone() }
    }
}

/// Signs `claims` as a compact JWS with the header `{"kid": …, "alg": "RS256"}`.
pub fn sign_jwt(key: &LoadedSigningKey, claims: &Value) -> String {
    let header = serde_json::json!({ "kid": key.kid, "alg": "RS256" });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = key.signing_key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()))
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenError {
    Malformed,
    /// `alg` other than RS256, unknown `kid`, or a signature that does not verify.
    BadSignature,
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
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(TokenError::Malformed);
    }
    let header_bytes = URL_SAFE_NO_PAD.decode(parts[0]).map_err(|_| TokenError::Malformed)?;
    let header: Value = serde_json::from_slice(&header_bytes).map_err(|_| TokenError::Malformed)?;
    if header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(TokenError::BadSignature);
    }
    let kid = header.get("kid").and_then(Value::as_str).ok_or(TokenError::BadSignature)?;
    let jwk = keys.iter().find(|key| key.kid == kid).ok_or(TokenError::BadSignature)?;
    let modulus = URL_SAFE_NO_PAD.decode(&jwk.modulus).map_err(|_| TokenError::BadSignature)?;
    let exponent = URL_SAFE_NO_PAD.decode(&jwk.exponent).map_err(|_| TokenError::BadSignature)?;
    let public_key = RsaPublicKey::new(BigUint::from_bytes_be(&modulus), BigUint::from_bytes_be(&exponent))
        .map_err(|_| TokenError::BadSignature)?;
    let signature_bytes = URL_SAFE_NO_PAD.decode(parts[2]).map_err(|_| TokenError::Malformed)?;
    let signature = Signature::try_from(signature_bytes.as_slice()).map_err(|_| TokenError::BadSignature)?;
    let signing_input = format!("{}.{}", parts[0], parts[1]);
    VerifyingKey::<Sha256>::new(public_key)
        .verify(signing_input.as_bytes(), &signature)
        .map_err(|_| TokenError::BadSignature)?;
    peek_claims(token)
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
        assert_eq!(verify_jwt(&token, &[other.public_jwk()]), Err(TokenError::BadSignature));

        let parts: Vec<&str> = token.split('.').collect();
        let none_header = URL_SAFE_NO_PAD.encode(format!(r#"{{"kid":"{}","alg":"none"}}"#, record.kid));
        assert_eq!(verify_jwt(&format!("{none_header}.{}.", parts[1]), &[record.public_jwk()]), Err(TokenError::BadSignature));
        let tampered_payload = URL_SAFE_NO_PAD.encode(r#"{"sub":"y","token_use":"access"}"#);
        let tampered = format!("{}.{tampered_payload}.{}", parts[0], parts[2]);
        assert_eq!(verify_jwt(&tampered, &[record.public_jwk()]), Err(TokenError::BadSignature));
        assert_eq!(verify_jwt("a.b", &[record.public_jwk()]), Err(TokenError::Malformed));
    }
}
