//! STS: AssumeRoleWithWebIdentity, AssumeRole and the minting of temporary credentials for a
//! role, opening a session from its access key, and the policy decisions for it (authorize, the
//! trust check).

use super::*;

/// Where a session keeps the keys of its transitive session tags (a name no policy can mean).
const TRANSITIVE_TAG_KEYS: &str = "cognate:TransitiveTagKeys";

impl IamService {
    // STS.

    /// AssumeRoleWithWebIdentity once the token is verified: the role must exist and trust the
    /// identity, the duration must fit the role, and an inline session policy must parse.
    pub async fn assume_role_with_web_identity(
        &self,
        role_arn: &str,
        session_name: &str,
        identity: &WebIdentity,
        duration_seconds: Option<i64>,
        session_policy: Option<&str>,
        policy_arns: &[String],
    ) -> DomainResult<AssumedRole> {
        check_session_name(session_name)?;
        self.check_session_policy_arns(policy_arns).await?;
        let denied = || DomainError::AccessDenied("Not authorized to perform sts:AssumeRoleWithWebIdentity".into());
        let role = self.find_role_by_arn(role_arn).await?.ok_or_else(denied)?;
        let duration = duration_seconds.unwrap_or(3600);
        if duration < 900 || duration > role.max_session_duration {
            return Err(validation(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role. It must be between 900 and {} seconds.",
                role.max_session_duration
            )));
        }
        let packed_policy_size = packed_size(session_policy)?;
        let mut context = web_identity_context(identity);
        let trust = parse_policy(&role.assume_role_policy_document, PolicyKind::Trust)?;
        let mut request = RequestContext::new("sts:AssumeRoleWithWebIdentity", role.arn.clone()).with_principal("Federated", &identity.principal);
        for (key, values) in &context {
            request.set_all(key, values.clone());
        }
        if !trust.decide(&request).is_allowed() {
            return Err(denied());
        }
        let who = format!("the identity of {}", identity.provider);
        context.extend(session_extras(&trust, &request, &identity.tags, identity.source_identity.as_deref(), &who, &role.arn)?);
        let (credentials, session) =
            self.mint_for_role(&role, session_name, duration, (session_policy.map(str::to_string), policy_arns.to_vec()), context).await?;
        Ok(AssumedRole {
            assumed_role_id: session.assumed_role_id(),
            arn: session.assumed_role_arn(&self.account_id),
            credentials,
            packed_policy_size,
            subject: identity.subject.clone(),
            audience: identity.audience.clone(),
            provider: identity.provider.clone(),
            source_identity: identity.source_identity.clone(),
        })
    }

    /// AssumeRole by an IAM user or a role session (role chaining, at most an hour). The
    /// caller's own policies must allow `sts:AssumeRole` on the role (the dispatcher checks them)
    /// and the role's trust policy must name the caller: its ARN, its role's, its account's root
    /// or account id, or `*`, with `sts:ExternalId` for its conditions.
    #[allow(clippy::too_many_arguments)]
    pub async fn assume_role(
        &self,
        caller: AwsCaller<'_>,
        role_arn: &str,
        session_name: &str,
        duration_seconds: Option<i64>,
        session_policy: Option<&str>,
        policy_arns: &[String],
        (external_id, mfa): (Option<&str>, Option<(&str, &str)>),
        (tags, transitive_keys): (&BTreeMap<String, String>, &[String]),
        source_identity: Option<&str>,
    ) -> DomainResult<AssumedRole> {
        check_session_name(session_name)?;
        self.check_session_policy_arns(policy_arns).await?;
        // MFA (SerialNumber, TokenCode): a code of one of the calling user's virtual devices,
        // spent; the trust policy and the session then see aws:MultiFactorAuthPresent.
        let mfa_proven = match (mfa, caller) {
            (None, _) => false,
            (Some(_), AwsCaller::Session(_)) => return Err(validation("SerialNumber and TokenCode are for IAM users assuming a role.")),
            (Some((serial, code)), AwsCaller::User(user)) => {
                self.prove_mfa(user, serial, code).await?;
                true
            }
        };
        let (caller_arn, mut aliases, user_id) = match caller {
            AwsCaller::User(user) => (user.arn.clone(), Vec::new(), user.user_id.clone()),
            AwsCaller::Session(session) => (session.assumed_role_arn(&self.account_id), vec![session.role_arn.clone()], session.assumed_role_id()),
        };
        aliases.push(crate::ids::arn::iam_root(&self.account_id));
        aliases.push(self.account_id.clone());
        let denied = || DomainError::AccessDenied(format!("User: {caller_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"));
        let role = self.find_role_by_arn(role_arn).await?.ok_or_else(denied)?;
        let duration = duration_seconds.unwrap_or(3600);
        if matches!(caller, AwsCaller::Session(_)) && duration > 3600 {
            return Err(validation("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."));
        }
        if duration < 900 || duration > role.max_session_duration {
            return Err(validation(format!(
                "The requested DurationSeconds exceeds the MaxSessionDuration set for this role. It must be between 900 and {} seconds.",
                role.max_session_duration
            )));
        }
        let packed_policy_size = packed_size(session_policy)?;
        let trust = parse_policy(&role.assume_role_policy_document, PolicyKind::Trust)?;
        let mut request = RequestContext::new("sts:AssumeRole", role.arn.clone()).with_principal("AWS", &caller_arn).with_principal_aliases(aliases);
        request.set("aws:PrincipalArn", caller_arn.clone());
        request.set("aws:userid", user_id);
        request.set("aws:PrincipalAccount", self.account_id.clone());
        if let AwsCaller::User(user) = caller {
            request.set("aws:username", user.name.clone());
        }
        if let Some(external_id) = external_id {
            request.set("sts:ExternalId", external_id.to_string());
        }
        if mfa_proven {
            request.set("aws:MultiFactorAuthPresent", "true".to_string());
            request.set("aws:MultiFactorAuthAge", "0".to_string());
        }
        if !trust.decide(&request).is_allowed() {
            return Err(denied());
        }
        // A chained session keeps the transitive session tags of the session that assumes the
        // role (which may not be set again to another value) and its source identity.
        let (mut tags, mut transitive): (BTreeMap<String, String>, Vec<String>) = (tags.clone(), transitive_keys.to_vec());
        if let AwsCaller::Session(session) = caller {
            for key in session.context.get(TRANSITIVE_TAG_KEYS).into_iter().flatten() {
                let Some(value) = session.context.get(&format!("aws:PrincipalTag/{key}")).and_then(|values| values.first()) else { continue };
                if tags.get(key).is_some_and(|asked| asked != value) {
                    return Err(validation(format!("The transitive session tag {key} of the calling session cannot be set to another value.")));
                }
                tags.insert(key.clone(), value.clone());
                if !transitive.contains(key) {
                    transitive.push(key.clone());
                }
            }
        }
        if !transitive.is_empty() {
            request.set_all("sts:TransitiveTagKeys", transitive.clone());
        }
        let inherited = match caller {
            AwsCaller::Session(session) => session.context.get("aws:SourceIdentity").and_then(|values| values.first()).cloned(),
            AwsCaller::User(_) => None,
        };
        if let (Some(inherited), Some(asked)) = (&inherited, source_identity) {
            if inherited != asked {
                return Err(DomainError::AccessDenied("The source identity of a session cannot be changed when it assumes another role.".into()));
            }
        }
        let source_identity = source_identity.map(str::to_string).or(inherited);
        let mut context = session_extras(&trust, &request, &tags, source_identity.as_deref(), &caller_arn, role_arn)?;
        if !transitive.is_empty() {
            context.insert(TRANSITIVE_TAG_KEYS.into(), transitive);
        }
        if mfa_proven {
            context.insert("aws:MultiFactorAuthPresent".into(), vec!["true".into()]);
        }
        let policies = (session_policy.map(str::to_string), policy_arns.to_vec());
        let (credentials, session) = self.mint_for_role(&role, session_name, duration, policies, context).await?;
        Ok(AssumedRole {
            assumed_role_id: session.assumed_role_id(),
            arn: session.assumed_role_arn(&self.account_id),
            credentials,
            packed_policy_size,
            subject: String::new(),
            audience: String::new(),
            provider: String::new(),
            source_identity,
        })
    }

    /// Mints credentials for a role, their token carrying the session. No trust check: callers make their
    /// own (AssumeRoleWithWebIdentity here, GetCredentialsForIdentity through [`Self::check_trust`]).
    pub async fn mint_for_role(
        &self,
        role: &Role,
        session_name: &str,
        duration_seconds: i64,
        (session_policy, session_policy_arns): (Option<String>, Vec<String>),
        context: BTreeMap<String, Vec<String>>,
    ) -> DomainResult<(TemporaryCredentials, StsSession)> {
        let now = self.now();
        let (credentials, session) = mint_credentials(&self.master_key, now, duration_seconds, |access_key_id, expires_ms| StsSession {
            access_key_id,
            created_ms: now,
            expires_ms,
            role_arn: role.arn.clone(),
            role_id: role.role_id.clone(),
            role_name: role.name.clone(),
            session_name: session_name.to_string(),
            session_policy,
            session_policy_arns,
            context,
            user_name: None,
            mfa_ms: None,
            federated_name: None,
            root: false,
        });
        Ok((credentials, session))
    }

    /// The session of a temporary access key and its secret, which its session token carries.
    /// `Ok(None)` when the token is missing or was not made for this key under this master key;
    /// `ExpiredToken` when the session has expired.
    pub async fn open_session(&self, access_key_id: &str, session_token: Option<&str>) -> DomainResult<Option<(StsSession, String)>> {
        let Some((session, secret)) = session_token.and_then(|token| session_tokens::open_token(&self.master_key, access_key_id, token)) else {
            return Ok(None);
        };
        if session.expires_ms <= self.now() {
            return Err(DomainError::ExpiredToken("The security token included in the request is expired".into()));
        }
        Ok(Some((session, secret)))
    }

    /// Decides whether a session may perform `action` on `resource`: the role's inline policies,
    /// narrowed by the session policy, with the session's context keys and `extra` ones.
    pub async fn authorize(&self, session: &StsSession, action: &str, resource: &str, extra: &[(&str, Vec<String>)]) -> DomainResult<Decision> {
        let identity_policies = self.holder_policies(Holder::Role(&session.role_name)).await?;
        // The session policies (one of them must allow) and the role's boundary each cap what the
        // role's policies allow.
        let mut session_policies = match &session.session_policy {
            Some(document) => vec![parse_policy(document, PolicyKind::Identity)?],
            None => Vec::new(),
        };
        session_policies.extend(self.session_managed_policies(&session.session_policy_arns).await?);
        let boundary = self.holder_boundary(Holder::Role(&session.role_name)).await?;
        let mut request = RequestContext::new(action, resource);
        // The role's tags first: the session's own tags (in its context) override them.
        for (key, value) in self.role_tags(&session.role_name).await? {
            request.set(&format!("aws:PrincipalTag/{key}"), value);
        }
        for (key, values) in &session.context {
            request.set_all(key, values.clone());
        }
        request.set("aws:PrincipalType", "AssumedRole".to_string());
        let now = self.now();
        request.set("aws:CurrentTime", format_iso8601(now.div_euclid(1000)));
        request.set("aws:EpochTime", now.div_euclid(1000).to_string());
        request.set("aws:PrincipalArn", session.role_arn.clone());
        request.set("aws:userid", session.assumed_role_id());
        request.set("aws:PrincipalAccount", self.account_id.clone());
        request.set("aws:TokenIssueTime", format_iso8601(session.created_ms.div_euclid(1000)));
        for (key, values) in extra {
            request.set_all(key, values.clone());
        }
        Ok(policy::evaluate_limited(&identity_policies, &[&session_policies, &boundary], &request))
    }

    /// Whether a role's trust policy lets `identity` assume it with web identity.
    pub fn check_trust(&self, role: &Role, identity: &WebIdentity) -> DomainResult<bool> {
        self.check_trust_action(role, identity, "sts:AssumeRoleWithWebIdentity")
    }

    /// [`Self::check_trust`] for another action of the same federated principal (`sts:TagSession`).
    pub fn check_trust_action(&self, role: &Role, identity: &WebIdentity, action: &str) -> DomainResult<bool> {
        let trust = parse_policy(&role.assume_role_policy_document, PolicyKind::Trust)?;
        let mut request = RequestContext::new(action, role.arn.clone())
            .with_principal("Federated", &identity.principal);
        for (key, values) in web_identity_context(identity) {
            request.set_all(&key, values);
        }
        Ok(trust.decide(&request).is_allowed())
    }
}

/// Who calls AssumeRole: an IAM user, or a role session (role chaining).
#[derive(Debug, Clone, Copy)]
pub enum AwsCaller<'a> {
    User(&'a IamUser),
    Session(&'a StsSession),
}

/// Session tags within STS's limits (at most 50; keys 1 to 128 characters, values at most 256),
/// and the request keys an `sts:TagSession` decision over them tests: `aws:TagKeys` and each
/// `aws:RequestTag/…`.
pub(super) fn tag_session_keys(tags: &BTreeMap<String, String>) -> DomainResult<Vec<(String, Vec<String>)>> {
    if tags.len() > 50 || tags.iter().any(|(key, value)| key.is_empty() || key.chars().count() > 128 || value.chars().count() > 256) {
        return Err(validation("Session tags: at most 50, each key 1 to 128 characters and each value at most 256."));
    }
    let mut keys = vec![("aws:TagKeys".to_string(), tags.keys().cloned().collect())];
    keys.extend(tags.iter().map(|(key, value)| (format!("aws:RequestTag/{key}"), vec![value.clone()])));
    Ok(keys)
}

/// The session's context keys of its tags (`aws:PrincipalTag/…`).
pub(super) fn principal_tags(tags: &BTreeMap<String, String>) -> impl Iterator<Item = (String, Vec<String>)> + '_ {
    tags.iter().map(|(key, value)| (format!("aws:PrincipalTag/{key}"), vec![value.clone()]))
}

/// What a session asks for beyond the role: session tags, which the trust policy must also
/// allow as `sts:TagSession` (it may test `aws:RequestTag/…` and `aws:TagKeys`), and a source
/// identity, which it must allow as `sts:SetSourceIdentity` (it may test `sts:SourceIdentity`).
/// Answers the context keys they give the session (`aws:PrincipalTag/…`, `aws:SourceIdentity`).
pub(super) fn session_extras(
    trust: &Policy,
    request: &RequestContext,
    tags: &BTreeMap<String, String>,
    source_identity: Option<&str>,
    caller: &str,
    role_arn: &str,
) -> DomainResult<BTreeMap<String, Vec<String>>> {
    let mut context = BTreeMap::new();
    if !tags.is_empty() {
        let mut tagging = request.clone();
        tagging.action = "sts:TagSession".into();
        for (key, values) in tag_session_keys(tags)? {
            tagging.set_all(&key, values);
        }
        context.extend(principal_tags(tags));
        if !trust.decide(&tagging).is_allowed() {
            return Err(DomainError::AccessDenied(format!("User: {caller} is not authorized to perform: sts:TagSession on resource: {role_arn}")));
        }
    }
    if let Some(source_identity) = source_identity {
        let valid = (2..=64).contains(&source_identity.len())
            && !source_identity.to_ascii_lowercase().starts_with("aws:")
            && source_identity.chars().all(|character| character.is_ascii_alphanumeric() || "_+=,.@-".contains(character));
        if !valid {
            return Err(InvalidMember::error("sourceIdentity", source_identity, Constraint::PatternAndLength { pattern: "[\\w+=,.@-]*", min: 2, max: 64 }));
        }
        let mut setting = request.clone();
        setting.action = "sts:SetSourceIdentity".into();
        setting.set("sts:SourceIdentity", source_identity.to_string());
        if !trust.decide(&setting).is_allowed() {
            return Err(DomainError::AccessDenied(format!("User: {caller} is not authorized to perform: sts:SetSourceIdentity on resource: {role_arn}")));
        }
        context.insert("aws:SourceIdentity".into(), vec![source_identity.to_string()]);
    }
    Ok(context)
}

/// An inline session policy checked and its packed size, as STS answers it (percent of the
/// allotted space).
pub(super) fn packed_size(session_policy: Option<&str>) -> DomainResult<Option<i64>> {
    let Some(document) = session_policy else {
        return Ok(None);
    };
    if document.chars().count() > MAX_SESSION_POLICY_CHARS {
        return Err(DomainError::LimitExceeded(format!(
            "Packed policy consumes {}% of allotted space, please use smaller policy for this session.",
            document.chars().count() * 100 / MAX_SESSION_POLICY_CHARS
        )));
    }
    parse_policy(document, PolicyKind::Identity)?;
    let compact = document.chars().filter(|character| !character.is_whitespace()).count();
    Ok(Some((compact * 100 / MAX_SESSION_POLICY_CHARS).max(1) as i64))
}
