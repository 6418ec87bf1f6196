//! IAM SAML providers (an identity provider's metadata, which STS trusts, and up to two private
//! keys its assertions may be encrypted to) and STS's AssumeRoleWithSAML: the response verified
//! against the provider's metadata, the role chosen from the assertion's Role attribute, the
//! trust policy decided with the `SAML:*` keys, each assertion spent once per role across all
//! nodes.

use super::sts::{packed_size, session_extras};
use super::*;
use crate::saml::{verify_response, Decryption, Expectation, IdpMetadata, Solicitation, VerifiedAssertion, SKEW_MS};

const SAML_PROVIDER: &str = "iam_saml_provider";
const SPENT_ASSERTION: &str = "sts_saml_assertion";

/// The recipient (ACS URL) and audiences AWS's own sign-in gives IdPs; an IdP configured for
/// AWS is accepted unchanged.
pub const AWS_SAML_RECIPIENT: &str = "https://signin.aws.amazon.com/saml";
const AWS_SAML_AUDIENCES: &[&str] = &["https://signin.aws.amazon.com/saml", "urn:amazon:webservices"];
const ROLE_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_NAME_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
const SOURCE_IDENTITY_ATTRIBUTE: &str = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
const TAG_ATTRIBUTE_PREFIX: &str = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
const NAME_ID_FORMAT_PREFIX: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
/// When the metadata sets no validUntil, IAM's provider is valid for a hundred years.
const DEFAULT_VALIDITY_SECONDS: i64 = 100 * 365 * 86_400;

/// A SAML identity provider registered in IAM.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlProvider {
    pub arn: String,
    pub name: String,
    pub uuid: String,
    pub metadata_document: String,
    pub created_ms: i64,
    /// Epoch seconds.
    pub valid_until: i64,
    pub tags: BTreeMap<String, String>,
    /// Whether assertions must come encrypted (`Required`) or may (`Allowed`, the default).
    #[serde(default)]
    pub assertion_encryption: Option<String>,
    /// The private keys assertions may be encrypted to (at most two, for rotation).
    #[serde(default)]
    pub private_keys: Vec<SamlPrivateKey>,
}

/// A private key of an IAM SAML provider: PKCS#8, sealed under the master key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SamlPrivateKey {
    pub key_id: String,
    pub sealed_key: String,
    pub created_ms: i64,
}

/// What CreateSAMLProvider and UpdateSAMLProvider ask of a provider's encryption.
#[derive(Debug, Clone, Default)]
pub struct SamlEncryptionChange {
    /// `Required` or `Allowed`.
    pub mode: Option<String>,
    /// A PEM private key (PKCS#8 or PKCS#1 RSA) to add.
    pub add_key: Option<String>,
    /// The KeyId of a key to remove.
    pub remove_key: Option<String>,
}

impl SamlProvider {
    /// AssertionEncryptionMode as GetSAMLProvider answers it.
    pub fn encryption_mode(&self) -> &str {
        self.assertion_encryption.as_deref().unwrap_or("Allowed")
    }

    /// Applies `change`: the mode checked, a key added (sealed) or removed; at most two keys,
    /// and `Required` only with one.
    fn apply(&mut self, change: &SamlEncryptionChange, master_key: &crate::crypto::MasterKey, now_ms: i64) -> DomainResult<()> {
        if let Some(mode) = &change.mode {
            if mode != "Required" && mode != "Allowed" {
                return Err(InvalidMember::error("assertionEncryptionMode", mode, Constraint::OneOf(vec!["Required", "Allowed"])));
            }
            self.assertion_encryption = Some(mode.clone());
        }
        if let Some(key_id) = &change.remove_key {
            let before = self.private_keys.len();
            self.private_keys.retain(|key| &key.key_id != key_id);
            if self.private_keys.len() == before {
                return Err(DomainError::InvalidConfiguration(format!("The SAML provider has no private key {key_id}.")));
            }
        }
        if let Some(pem) = &change.add_key {
            if self.private_keys.len() >= 2 {
                return Err(DomainError::LimitExceeded("A SAML provider holds at most two private keys; remove one first.".into()));
            }
            let der = pkcs8_of_pem(pem)?;
            let key_id = crate::crypto::random_string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 26);
            let sealed_key = master_key.seal(&der, &crate::sealing::iam_saml_private_key(&self.uuid));
            self.private_keys.push(SamlPrivateKey { key_id, sealed_key, created_ms: now_ms });
        }
        if self.encryption_mode() == "Required" && self.private_keys.is_empty() {
            return Err(DomainError::InvalidConfiguration("AssertionEncryptionMode Required needs a private key (AddPrivateKey).".into()));
        }
        Ok(())
    }
}

/// The PKCS#8 of an RSA private key given as PEM (`PRIVATE KEY` or `RSA PRIVATE KEY`).
fn pkcs8_of_pem(pem: &str) -> DomainResult<Vec<u8>> {
    use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der};
    use base64::Engine as _;
    let refused = || DomainError::InvalidConfiguration("AddPrivateKey must be an RSA private key in PEM (PKCS#8 or PKCS#1).".into());
    let label = pem.lines().find(|line| line.starts_with("-----BEGIN ")).ok_or_else(refused)?;
    let body: String = pem.lines().skip_while(|line| !line.starts_with("-----BEGIN ")).skip(1).take_while(|line| !line.starts_with("-----END ")).map(str::trim).collect();
    let der = base64::engine::general_purpose::STANDARD.decode(body).map_err(|_| refused())?;
    match label.trim() {
        "-----BEGIN PRIVATE KEY-----" => {
            aws_lc_rs::rsa::PrivateDecryptingKey::from_pkcs8(&der).map_err(|_| refused())?;
            Ok(der)
        }
        "-----BEGIN RSA PRIVATE KEY-----" => {
            let key = aws_lc_rs::rsa::KeyPair::from_der(&der).map_err(|_| refused())?;
            let pkcs8: Pkcs8V1Der = key.as_der().map_err(|_| refused())?;
            Ok(pkcs8.as_ref().to_vec())
        }
        _ => Err(refused()),
    }
}

impl Document for SamlProvider {
    const KIND: &'static str = SAML_PROVIDER;
}

impl Record for SamlProvider {
    fn scope(&self) -> String {
        String::new()
    }

    fn key(&self) -> String {
        self.name.to_ascii_lowercase()
    }
}

/// An assertion already traded for a role's credentials, kept until it expires.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct SpentAssertion {
    role_arn: String,
}

impl Document for SpentAssertion {
    const KIND: &'static str = SPENT_ASSERTION;
}

/// What AssumeRoleWithSAML asks.
pub struct SamlAssumption<'a> {
    pub role_arn: &'a str,
    pub principal_arn: &'a str,
    pub assertion: &'a str,
    pub duration_seconds: Option<i64>,
    pub session_policy: Option<&'a str>,
    pub policy_arns: &'a [String],
    /// This server's own ACS URL (`<public URL>/saml`), accepted beside AWS's.
    pub own_recipient: &'a str,
}

/// What AssumeRoleWithSAML answers beyond the credentials.
#[derive(Debug, Clone)]
pub struct SamlAssumedRole {
    pub assumed: AssumedRole,
    pub subject_type: String,
    pub issuer: String,
    pub name_qualifier: String,
}

/// The metadata of a Create or UpdateSAMLProvider: its length is a constraint of the member
/// (ValidationError); a document that is not an IdP's metadata is InvalidInput, as in IAM.
fn metadata_of(document: &str) -> DomainResult<IdpMetadata> {
    if !(1000..=10_000_000).contains(&document.len()) {
        return Err(InvalidMember::error("sAMLMetadataDocument", "…", Constraint::Length { min: 1000, max: 10_000_000 }));
    }
    IdpMetadata::parse(document).map_err(|error| match error {
        DomainError::InvalidParameter(message) => DomainError::InvalidConfiguration(message),
        other => other,
    })
}

impl IamService {
    /// Accepts SAML signatures and digests made with SHA-1 (for IdPs that cannot do better).
    pub fn with_saml_sha1(mut self, allow: bool) -> Self {
        self.saml_allow_sha1 = allow;
        self
    }

    pub async fn create_saml_provider(&self, name: &str, metadata_document: &str, tags: BTreeMap<String, String>, encryption: &SamlEncryptionChange) -> DomainResult<SamlProvider> {
        check_iam_name(name, "name", 128)?;
        let metadata = metadata_of(metadata_document)?;
        let now = self.now();
        let mut provider = SamlProvider {
            arn: crate::ids::arn::saml_provider(&self.account_id, name),
            name: name.to_string(),
            uuid: uuid::Uuid::new_v4().to_string(),
            metadata_document: metadata_document.to_string(),
            created_ms: now,
            valid_until: metadata.valid_until.unwrap_or(now / 1000 + DEFAULT_VALIDITY_SECONDS),
            tags,
            assertion_encryption: None,
            private_keys: Vec::new(),
        };
        provider.apply(encryption, &self.master_key, now)?;
        match self.store.write_records(&[provider.insert()?]).await {
            Ok(()) => Ok(provider),
            Err(StoreError::Conflict(_)) => Err(DomainError::Conflict(format!("SAMLProvider {name} already exists."))),
            Err(other) => Err(DomainError::from(other)),
        }
    }

    pub async fn get_saml_provider(&self, arn: &str) -> DomainResult<SamlProvider> {
        let not_found = || DomainError::NotFound(format!("Manifest not found for arn {arn}"));
        let name = crate::ids::arn::saml_provider_of(arn, &self.account_id).ok_or_else(not_found)?;
        let provider: Option<SamlProvider> = self.store.get_record_of("", &name.to_ascii_lowercase(), 0).await?;
        provider.filter(|provider| provider.arn == arn).ok_or_else(not_found)
    }

    pub async fn list_saml_providers(&self) -> DomainResult<Vec<SamlProvider>> {
        self.store.list_records_of("", None, 1000).await
    }

    /// UpdateSAMLProvider: a new metadata document, or a change of its encryption, as a
    /// compare-and-set of the provider.
    pub async fn update_saml_provider(&self, arn: &str, metadata_document: Option<&str>, encryption: &SamlEncryptionChange) -> DomainResult<SamlProvider> {
        let metadata = metadata_document.map(metadata_of).transpose()?;
        let provider = self.get_saml_provider(arn).await?;
        let now = self.now();
        let changed = self
            .store
            .change_record_of::<SamlProvider, _>("", &provider.key(), |provider| {
                if let (Some(document), Some(metadata)) = (metadata_document, &metadata) {
                    provider.metadata_document = document.to_string();
                    provider.valid_until = metadata.valid_until.unwrap_or(now / 1000 + DEFAULT_VALIDITY_SECONDS);
                }
                provider.apply(encryption, &self.master_key, now)
            })
            .await?;
        changed.ok_or_else(|| DomainError::NotFound(format!("Manifest not found for arn {arn}")))
    }

    pub async fn delete_saml_provider(&self, arn: &str) -> DomainResult<()> {
        let provider = self.get_saml_provider(arn).await?;
        self.store.write_records(&[provider.delete()]).await.map_err(DomainError::from)
    }

    /// A SAML response verified against the IAM SAML provider `provider_arn`'s metadata, for AWS's
    /// sign-in recipient or this server's own (`<public URL>/saml`).
    pub async fn verify_saml_response(&self, provider_arn: &str, encoded: &str, own_recipient: &str) -> DomainResult<(SamlProvider, VerifiedAssertion)> {
        let provider = self
            .get_saml_provider(provider_arn)
            .await
            .map_err(|_| DomainError::InvalidIdentityToken(format!("SAML provider {provider_arn} does not exist.")))?;
        let now = self.now();
        if provider.valid_until * 1000 <= now {
            return Err(DomainError::InvalidIdentityToken("The SAML provider's metadata is no longer valid.".into()));
        }
        let metadata = IdpMetadata::parse(&provider.metadata_document)?;
        let recipients = vec![AWS_SAML_RECIPIENT.to_string(), own_recipient.to_string()];
        let mut audiences: Vec<String> = AWS_SAML_AUDIENCES.iter().map(|audience| audience.to_string()).collect();
        audiences.push(own_recipient.to_string());
        let keys = provider
            .private_keys
            .iter()
            .map(|key| self.master_key.open(&key.sealed_key, &crate::sealing::iam_saml_private_key(&provider.uuid)))
            .collect::<DomainResult<Vec<_>>>()?;
        let decryption = (!keys.is_empty()).then_some(Decryption { keys: &keys, required: provider.encryption_mode() == "Required" });
        let expectation = Expectation { metadata: &metadata, recipients: &recipients, audiences: &audiences, in_response_to: Solicitation::Any, now_ms: now, allow_sha1: self.saml_allow_sha1, decryption };
        let assertion = verify_response(encoded, &expectation)?;
        Ok((provider, assertion))
    }

    /// AssumeRoleWithSAML.
    pub async fn assume_role_with_saml(&self, request: SamlAssumption<'_>) -> DomainResult<SamlAssumedRole> {
        self.check_session_policy_arns(request.policy_arns).await?;
        let packed_policy_size = packed_size(request.session_policy)?;
        let (provider, assertion) = self.verify_saml_response(request.principal_arn, request.assertion, request.own_recipient).await?;
        let now = self.now();
        let denied = || DomainError::AccessDenied("Not authorized to perform sts:AssumeRoleWithSAML".into());
        if !saml_roles(&assertion, request.principal_arn).iter().any(|role| role == request.role_arn) {
            return Err(denied());
        }
        let session_name = single(&assertion.attributes, SESSION_NAME_ATTRIBUTE)
            .ok_or_else(|| DomainError::InvalidIdentityToken("The SAML assertion has no RoleSessionName attribute.".into()))?;
        check_session_name(session_name).map_err(|_| DomainError::InvalidIdentityToken(format!("The SAML assertion's RoleSessionName {session_name} is not valid.")))?;
        let role = self.find_role_by_arn(request.role_arn).await?.ok_or_else(denied)?;
        let requested = request.duration_seconds.unwrap_or(3600);
        if requested < 900 || requested > role.max_session_duration {
            return Err(validation(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role. It must be between 900 and {} seconds.",
                role.max_session_duration
            )));
        }
        let duration = match assertion.session_not_on_or_after_ms {
            Some(until) => requested.min((until - now) / 1000),
            None => requested,
        };
        if duration < 1 {
            return Err(DomainError::ExpiredToken("The SAML session has ended (SessionNotOnOrAfter).".into()));
        }

        let subject_type = match assertion.name_id_format.as_deref() {
            Some(format) => format.strip_prefix(NAME_ID_FORMAT_PREFIX).unwrap_or(format).to_string(),
            None => "unspecified".to_string(),
        };
        let name_qualifier = {
            use base64::Engine as _;
            let text = format!("{}{}/{}", assertion.issuer, self.account_id, provider.name);
            base64::engine::general_purpose::STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, text.as_bytes()))
        };
        let mut context: BTreeMap<String, Vec<String>> = BTreeMap::new();
        context.insert("SAML:aud".into(), vec![assertion.recipient.clone()]);
        context.insert("SAML:iss".into(), vec![assertion.issuer.clone()]);
        context.insert("SAML:sub".into(), vec![assertion.name_id.clone()]);
        context.insert("SAML:sub_type".into(), vec![subject_type.clone()]);
        context.insert("SAML:namequalifier".into(), vec![name_qualifier.clone()]);
        let trust = parse_policy(&role.assume_role_policy_document, PolicyKind::Trust)?;
        let mut decision = RequestContext::new("sts:AssumeRoleWithSAML", role.arn.clone()).with_principal("Federated", &provider.arn);
        for (key, values) in &context {
            decision.set_all(key, values.clone());
        }
        if !trust.decide(&decision).is_allowed() {
            return Err(denied());
        }
        let tags: BTreeMap<String, String> = assertion
            .attributes
            .iter()
            .filter_map(|(name, values)| Some((name.strip_prefix(TAG_ATTRIBUTE_PREFIX)?.to_string(), values.first()?.clone())))
            .collect();
        let source_identity = single(&assertion.attributes, SOURCE_IDENTITY_ATTRIBUTE).map(str::to_string);
        context.extend(session_extras(&trust, &decision, &tags, source_identity.as_deref(), &provider.arn, &role.arn)?);

        // Spent once per role, on every node: the same assertion again for this role is a replay.
        let spent_key = sha256_hex(&format!("{}\n{}\n{}", assertion.issuer, assertion.id, role.arn));
        let spent = SpentAssertion { role_arn: role.arn.clone() }.insert_at("", &spent_key, Some(assertion.not_on_or_after_ms + SKEW_MS))?;
        match self.store.write_records(&[spent]).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => return Err(DomainError::InvalidIdentityToken("This SAML assertion has already been used for this role.".into())),
            Err(other) => return Err(other.into()),
        }
        let policies = (request.session_policy.map(str::to_string), request.policy_arns.to_vec());
        let (credentials, session) = self.mint_for_role(&role, session_name, duration, policies, context).await?;
        Ok(SamlAssumedRole {
            assumed: AssumedRole {
                assumed_role_id: session.assumed_role_id(),
                arn: session.assumed_role_arn(&self.account_id),
                credentials,
                packed_policy_size,
                subject: assertion.name_id.clone(),
                audience: assertion.recipient.clone(),
                provider: provider.arn.clone(),
                source_identity,
            },
            subject_type,
            issuer: assertion.issuer,
            name_qualifier,
        })
    }
}

/// The roles the assertion's Role attribute pairs with the provider `provider_arn` (each value
/// `<role ARN>,<provider ARN>`, in either order).
pub fn saml_roles(assertion: &VerifiedAssertion, provider_arn: &str) -> Vec<String> {
    let mut roles = Vec::new();
    for pair in assertion.attributes.get(ROLE_ATTRIBUTE).into_iter().flatten() {
        let arns: Vec<&str> = pair.split(',').map(str::trim).collect();
        match arns.as_slice() {
            [first, second] if *second == provider_arn => roles.push(first.to_string()),
            [first, second] if *first == provider_arn => roles.push(second.to_string()),
            _ => {}
        }
    }
    roles
}

/// The one value of a single-valued attribute.
fn single<'a>(attributes: &'a BTreeMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    attributes.get(name).and_then(|values| values.first()).map(String::as_str).filter(|value| !value.is_empty())
}
