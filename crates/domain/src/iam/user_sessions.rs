//! Temporary credentials of an IAM user. GetSessionToken's act as the user does (its own and its
//! groups' policies, its boundary), with MFA proven when the call gives the serial number of one
//! of the user's virtual MFA devices and a current code of it. GetFederationToken's act as a
//! federated user of the account, allowed what both the user's policies and the session policies
//! given allow, with the session tags given as its principal tags. Both are STS sessions
//! without a role, stored, sealed and resealed as the role sessions are.

use super::*;

/// How long GetSessionToken's credentials last for an IAM user: 15 minutes to 36 hours, 12 by
/// default, as in AWS.
const DEFAULT_SECONDS: i64 = 43_200;
const MIN_SECONDS: i64 = 900;
const MAX_SECONDS: i64 = 129_600;
/// The root's sessions last at most an hour, and an hour by default.
const ROOT_MAX_SECONDS: i64 = 3600;

impl IamService {
    /// GetSessionToken for `user`, or for the root (`None`: at most an hour, an hour by
    /// default); `mfa` is the SerialNumber and TokenCode given, checked against that device of
    /// the user (the code is spent). No MFA device of the root is kept here.
    pub async fn get_session_token(&self, user: Option<&IamUser>, duration_seconds: Option<i64>, mfa: Option<(&str, &str)>) -> DomainResult<TemporaryCredentials> {
        let (default, max) = if user.is_some() { (DEFAULT_SECONDS, MAX_SECONDS) } else { (ROOT_MAX_SECONDS, ROOT_MAX_SECONDS) };
        let duration = duration_seconds.unwrap_or(default);
        if !(MIN_SECONDS..=max).contains(&duration) {
            return Err(InvalidMember::error("durationSeconds", duration.to_string(), Constraint::Range { min: MIN_SECONDS, max }));
        }
        let now = self.now();
        let mfa_ms = match (mfa, user) {
            (None, _) => None,
            (Some((serial, code)), Some(user)) => {
                self.prove_mfa(user, serial, code).await?;
                Some(now)
            }
            (Some(_), None) => return Err(DomainError::AccessDenied("MultiFactorAuthentication failed: no MFA device of the root account is kept here.".into())),
        };
        self.mint_for_user(user, duration, (None, Vec::new()), mfa_ms, (None, BTreeMap::new())).await
    }

    /// GetFederationToken for `user`: credentials of the federated user `name`, whose session
    /// policies (inline and managed; without any, the session may do nothing) cap the user's.
    /// Session tags need `sts:TagSession` in the user's policies (which may test
    /// `aws:RequestTag/…` and `aws:TagKeys`); they are the session's `aws:PrincipalTag/…`,
    /// over the user's own tags of the same key in any case. Answers the credentials, the
    /// federated user's id and ARN, and the packed policy size.
    pub async fn get_federation_token(
        &self,
        user: Option<&IamUser>,
        name: &str,
        duration_seconds: Option<i64>,
        (session_policy, policy_arns): (Option<&str>, &[String]),
        tags: &BTreeMap<String, String>,
    ) -> DomainResult<(TemporaryCredentials, String, String, Option<i64>)> {
        let well_formed = name.chars().all(|character| character.is_ascii_alphanumeric() || "_+=,.@-".contains(character));
        if !(2..=32).contains(&name.chars().count()) || !well_formed {
            return Err(InvalidMember::error("name", name, Constraint::PatternAndLength { pattern: "[\\w+=,.@-]*", min: 2, max: 32 }));
        }
        let duration = duration_seconds.unwrap_or(DEFAULT_SECONDS);
        if !(MIN_SECONDS..=MAX_SECONDS).contains(&duration) {
            return Err(InvalidMember::error("durationSeconds", duration.to_string(), Constraint::Range { min: MIN_SECONDS, max: MAX_SECONDS }));
        }
        // The root's federation sessions last an hour at most: a longer one is given an hour.
        let duration = if user.is_none() { duration.min(ROOT_MAX_SECONDS) } else { duration };
        self.check_session_policy_arns(policy_arns).await?;
        let packed_policy_size = sts::packed_size(session_policy)?;
        let arn = crate::ids::arn::federated_user(&self.account_id, name);
        let context = self.federation_tags(user, &arn, tags).await?;
        let policies = (session_policy.map(str::to_string), policy_arns.to_vec());
        let credentials = self.mint_for_user(user, duration, policies, None, (Some(name), context)).await?;
        Ok((credentials, format!("{}:{name}", self.account_id), arn, packed_policy_size))
    }

    /// The context of a federated session's tags, once the user (the root always) may tag the
    /// session.
    async fn federation_tags(&self, user: Option<&IamUser>, arn: &str, tags: &BTreeMap<String, String>) -> DomainResult<BTreeMap<String, Vec<String>>> {
        if tags.is_empty() {
            return Ok(BTreeMap::new());
        }
        let keys = sts::tag_session_keys(tags)?;
        let lowered: BTreeSet<String> = tags.keys().map(|key| key.to_lowercase()).collect();
        if lowered.len() != tags.len() {
            return Err(validation("Session tags: keys must be unique in any case."));
        }
        let extra: Vec<(&str, Vec<String>)> = keys.iter().map(|(key, values)| (key.as_str(), values.clone())).collect();
        if let Some(user) = user {
            if !self.authorize_user_session(user, None, "sts:TagSession", arn, &extra).await?.is_allowed() {
                return Err(DomainError::AccessDenied(format!("User: {} is not authorized to perform: sts:TagSession on resource: {arn}", user.arn)));
            }
        }
        Ok(sts::principal_tags(tags).collect())
    }

    /// Mints credentials acting as `user` or the root (or as their federated user
    /// `federated_name`); the token carries the session.
    async fn mint_for_user(
        &self,
        user: Option<&IamUser>,
        duration: i64,
        (session_policy, session_policy_arns): (Option<String>, Vec<String>),
        mfa_ms: Option<i64>,
        (federated_name, context): (Option<&str>, BTreeMap<String, Vec<String>>),
    ) -> DomainResult<TemporaryCredentials> {
        let now = self.now();
        let (credentials, _) = mint_credentials(&self.master_key, now, duration, |access_key_id, expires_ms| StsSession {
            access_key_id,
            created_ms: now,
            expires_ms,
            role_arn: String::new(),
            role_id: String::new(),
            role_name: String::new(),
            session_name: String::new(),
            session_policy,
            session_policy_arns,
            context,
            user_name: user.map(|user| user.name.clone()),
            mfa_ms,
            federated_name: federated_name.map(str::to_string),
            root: user.is_none(),
        });
        Ok(credentials)
    }

    /// What a session of the root may do: anything for GetSessionToken's (the dispatcher keeps
    /// it from IAM and from STS but AssumeRole and GetCallerIdentity, as AWS does); for
    /// GetFederationToken's, what its session policies allow, and nothing without one.
    pub async fn authorize_root_session(&self, session: &StsSession, action: &str, resource: &str, extra: &[(&str, Vec<String>)]) -> DomainResult<Decision> {
        let Some(name) = &session.federated_name else { return Ok(Decision::Allowed) };
        let mut request = RequestContext::new(action, resource);
        let now = self.now();
        request.set("aws:CurrentTime", format_iso8601(now.div_euclid(1000)));
        request.set("aws:EpochTime", now.div_euclid(1000).to_string());
        request.set("aws:PrincipalAccount", self.account_id.clone());
        request.set("aws:PrincipalArn", crate::ids::arn::federated_user(&self.account_id, name));
        request.set("aws:PrincipalType", "FederatedUser".to_string());
        request.set("aws:userid", format!("{}:{name}", self.account_id));
        for (key, values) in self.session_user_context(session).into_iter().chain(extra.iter().cloned()) {
            request.set_all(key, values);
        }
        for (key, values) in &session.context {
            request.set_all(key, values.clone());
        }
        let mut session_policies = Vec::new();
        if let Some(document) = &session.session_policy {
            session_policies.push(parse_policy(document, PolicyKind::Identity)?);
        }
        session_policies.extend(self.session_managed_policies(&session.session_policy_arns).await?);
        if session_policies.is_empty() {
            return Ok(Decision::ImplicitDeny);
        }
        let everything = parse_policy(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#, PolicyKind::Identity)?;
        Ok(policy::evaluate_limited(&[everything], &[&session_policies], &request))
    }

    /// The IAM user a GetSessionToken session acts as; None when the user is gone (or the key
    /// it was minted under no longer is the user's: a user deleted and made again is another).
    pub async fn session_user(&self, session: &StsSession) -> DomainResult<Option<IamUser>> {
        let Some(name) = &session.user_name else { return Ok(None) };
        let user: Option<IamUser> = self.store.get_record_of("", &name.to_ascii_lowercase(), 0).await?;
        Ok(user.filter(|user| user.created_ms <= session.created_ms))
    }

    /// The context keys of a request signed with a GetSessionToken session's credentials:
    /// `aws:MultiFactorAuthPresent`, `aws:MultiFactorAuthAge` when MFA was proven, and
    /// `aws:TokenIssueTime`.
    pub fn session_user_context(&self, session: &StsSession) -> Vec<(&'static str, Vec<String>)> {
        let mut context = vec![
            ("aws:MultiFactorAuthPresent", vec![session.mfa_ms.is_some().to_string()]),
            ("aws:TokenIssueTime", vec![format_iso8601(session.created_ms.div_euclid(1000))]),
        ];
        if let Some(proven) = session.mfa_ms {
            context.push(("aws:MultiFactorAuthAge", vec![((self.now() - proven) / 1000).max(0).to_string()]));
        }
        context
    }
}
