//! The pool's own identity as a SAML service provider: its RSA signing key and its RSA
//! encryption key (each sealed under the master key, made once on first use, the first stored
//! wins across nodes) with their self-signed certificates (GetSigningCertificate gives the
//! first), its metadata (`/saml2/metadata`), and the signature of the HTTP-Redirect binding that
//! its AuthnRequests and LogoutRequests carry.

use super::*;
use crate::federation::percent_encode;

/// The pool's SAML keys and certificates, filed under the pool as `current` (signing) and
/// `encryption`.
const SP_KEY: &str = "saml_sp_key";
/// How long the pool's signing certificate is valid (Cognito's are valid for ten years).
const CERTIFICATE_SECONDS: i64 = 10 * 365 * 86_400;
const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SpKey {
    pool_id: String,
    /// PKCS#8, sealed under the master key.
    sealed_private_key: String,
    /// The self-signed certificate, DER in base64.
    certificate: String,
    created_ms: i64,
}

impl Document for SpKey {
    const KIND: &'static str = SP_KEY;
}

/// The entity id of a pool as a SAML service provider, as Cognito names it.
pub fn sp_entity_id(pool_id: &str) -> String {
    format!("urn:amazon:cognito:sp:{pool_id}")
}

/// What a pool's SAML key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum KeyUse {
    Signing,
    Encryption,
}

impl KeyUse {
    fn record_key(self) -> &'static str {
        match self {
            KeyUse::Signing => "current",
            KeyUse::Encryption => "encryption",
        }
    }

    fn sealing_context(self, pool_id: &str) -> String {
        match self {
            KeyUse::Signing => crate::sealing::saml_sp_key(pool_id),
            KeyUse::Encryption => crate::sealing::saml_sp_encryption_key(pool_id),
        }
    }
}

/// The pool's metadata as a SAML service provider; the encryption certificate and the
/// algorithms taken when one of its providers encrypts.
fn sp_metadata_xml(pool_id: &str, pages: &str, certificate: &str, requests_signed: bool, encryption: Option<&str>) -> String {
    let escape = |text: String| text.replace('&', "&amp;").replace('"', "&quot;");
    let logout = escape(format!("{pages}/saml2/logout"));
    let encryption = encryption.map_or_else(String::new, |certificate| {
        let methods: String = crate::saml::xmlenc::data_algorithms()
            .chain(crate::saml::xmlenc::KEY_ALGORITHMS)
            .map(|algorithm| format!("<md:EncryptionMethod Algorithm=\"{algorithm}\"/>"))
            .collect();
        format!("<md:KeyDescriptor use=\"encryption\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>{methods}</md:KeyDescriptor>")
    });
    format!(
        "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" entityID=\"{}\">\
         <md:SPSSODescriptor AuthnRequestsSigned=\"{requests_signed}\" WantAssertionsSigned=\"true\" protocolSupportEnumeration=\"urn:oasis:names:tc:SAML:2.0:protocol\">\
         <md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{certificate}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>{encryption}\
         <md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect\" Location=\"{logout}\"/>\
         <md:SingleLogoutService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{logout}\"/>\
         <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified</md:NameIDFormat>\
         <md:AssertionConsumerService Binding=\"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST\" Location=\"{}\" index=\"1\" isDefault=\"true\"/>\
         </md:SPSSODescriptor></md:EntityDescriptor>",
        sp_entity_id(pool_id),
        escape(format!("{pages}/saml2/idpresponse")),
    )
}

impl UserPoolService {
    /// Signs an HTTP-Redirect binding's query (`SAMLRequest=…&RelayState=…`) with the pool's key:
    /// `SigAlg` is added, the whole signed with RSA-SHA256, and `Signature` appended.
    pub(super) async fn sign_redirect(&self, pool_id: &str, query: &mut String) -> DomainResult<()> {
        query.push_str(&format!("&SigAlg={}", percent_encode(RSA_SHA256)));
        let (key, _, _) = self.sp_key(pool_id, KeyUse::Signing).await?;
        let mut signature = vec![0u8; key.public_modulus_len()];
        key.sign(&aws_lc_rs::signature::RSA_PKCS1_SHA256, &aws_lc_rs::rand::SystemRandom::new(), query.as_bytes(), &mut signature)
            .map_err(|_| DomainError::internal("the SAML request could not be signed"))?;
        query.push_str(&format!("&Signature={}", percent_encode(&BASE64.encode(signature))));
        Ok(())
    }

    /// One of the pool's SAML keys with its certificate and its PKCS#8, made on first use (when
    /// nodes race, the first one stored is everyone's).
    pub(super) async fn sp_key(&self, pool_id: &str, key_use: KeyUse) -> DomainResult<(aws_lc_rs::signature::RsaKeyPair, Vec<u8>, Vec<u8>)> {
        let stored = match self.store.get_record_of::<SpKey>(pool_id, key_use.record_key(), 0).await? {
            Some(stored) => stored,
            None => {
                let (master_key, owner, now) = (self.master_key.clone(), pool_id.to_string(), self.now());
                let made = self.cpu.run(move || make_sp_key(&master_key, &owner, key_use, now)).await??;
                match self.store.write_records(&[made.insert_at(pool_id, key_use.record_key(), None)?]).await {
                    Ok(()) => made,
                    Err(StoreError::Conflict(_)) => self
                        .store
                        .get_record_of::<SpKey>(pool_id, key_use.record_key(), 0)
                        .await?
                        .ok_or_else(|| DomainError::internal("the pool's SAML key vanished"))?,
                    Err(other) => return Err(other.into()),
                }
            }
        };
        let der = self.master_key.open(&stored.sealed_private_key, &key_use.sealing_context(pool_id))?;
        let key = aws_lc_rs::signature::RsaKeyPair::from_pkcs8(&der).map_err(|_| DomainError::internal("the pool's SAML key does not load"))?;
        let certificate = BASE64.decode(&stored.certificate).map_err(DomainError::internal)?;
        Ok((key, certificate, der))
    }

    /// GetSigningCertificate: the pool's SAML signing certificate (DER, base64).
    pub async fn get_signing_certificate(&self, pool_id: &UserPoolId) -> DomainResult<String> {
        self.load_pool(pool_id).await?;
        let (_, certificate, _) = self.sp_key(pool_id.as_str(), KeyUse::Signing).await?;
        Ok(BASE64.encode(certificate))
    }

    /// The pool's service-provider metadata, with the ACS and logout URLs of its pages at `pages`
    /// (their origin and path prefix).
    pub async fn sp_metadata(&self, pool_id: &UserPoolId, pages: &str) -> DomainResult<String> {
        self.load_pool(pool_id).await?;
        let providers = self.all_providers(pool_id).await?;
        let signed = providers.iter().any(|provider| provider.details.contains_key("RequestSigningAlgorithm"));
        let (_, certificate, _) = self.sp_key(pool_id.as_str(), KeyUse::Signing).await?;
        let encryption = match providers.iter().any(encrypts) {
            true => Some(BASE64.encode(self.sp_key(pool_id.as_str(), KeyUse::Encryption).await?.1)),
            false => None,
        };
        Ok(sp_metadata_xml(pool_id.as_str(), pages, &BASE64.encode(certificate), signed, encryption.as_deref()))
    }
}

/// Whether a provider's identity provider encrypts its assertions (EncryptedResponses).
pub(super) fn encrypts(provider: &IdentityProvider) -> bool {
    provider.provider_type == "SAML" && provider.details.get("EncryptedResponses").is_some_and(|value| value == "true")
}

/// A fresh RSA key and its self-signed certificate, the key sealed for the pool.
fn make_sp_key(master_key: &crate::crypto::MasterKey, pool_id: &str, key_use: KeyUse, now_ms: i64) -> DomainResult<SpKey> {
    let (key, der) = crate::crypto::new_rsa_key()?;
    let now = now_ms / 1000;
    let certificate = crate::saml::certificate::self_signed(&key, &sp_entity_id(pool_id), now - 300, now + CERTIFICATE_SECONDS)?;
    Ok(SpKey {
        pool_id: pool_id.to_string(),
        sealed_private_key: master_key.seal(&der, &key_use.sealing_context(pool_id)),
        certificate: BASE64.encode(certificate),
        created_ms: now_ms,
    })
}

