//! The pool's Lambda triggers (its LambdaConfig), invoked through a [`LambdaInvoker`] with
//! Cognito's event envelope, and their answers applied as Cognito applies them: PreSignUp,
//! PreAuthentication, PostAuthentication, PreTokenGeneration (V1, V2 and V3), PostConfirmation
//! and UserMigration; the custom challenge's three run from `auth::custom`, CustomMessage and the
//! custom senders from `messages::compose`. Every trigger gets the ClientMetadata of the call it
//! runs in. A function error is
//! `UserLambdaValidationException` (`<Trigger> failed with error <message>.`), an answer that is
//! not a valid event `InvalidLambdaResponseException`, no answer `UnexpectedLambdaException`.

use serde_json::{json, Map, Value};

pub use super::channels::{InvokeFailure, LambdaInvoker};
use super::{TriggerData, User, UserPool, UserPoolService};
use crate::error::{DomainError, DomainResult};

/// A trigger of a pool's LambdaConfig.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    PreSignUp,
    PreAuthentication,
    PostAuthentication,
    PreTokenGeneration,
    DefineAuthChallenge,
    CreateAuthChallenge,
    VerifyAuthChallengeResponse,
    PostConfirmation,
    UserMigration,
    CustomMessage,
    CustomEmailSender,
    CustomSmsSender,
}

impl Trigger {
    /// The member of LambdaConfig, and the name in Cognito's error messages.
    pub fn name(self) -> &'static str {
        match self {
            Trigger::PreSignUp => "PreSignUp",
            Trigger::PreAuthentication => "PreAuthentication",
            Trigger::PostAuthentication => "PostAuthentication",
            Trigger::PreTokenGeneration => "PreTokenGeneration",
            Trigger::DefineAuthChallenge => "DefineAuthChallenge",
            Trigger::CreateAuthChallenge => "CreateAuthChallenge",
            Trigger::VerifyAuthChallengeResponse => "VerifyAuthChallengeResponse",
            Trigger::PostConfirmation => "PostConfirmation",
            Trigger::UserMigration => "UserMigration",
            Trigger::CustomMessage => "CustomMessage",
            Trigger::CustomEmailSender => "CustomEmailSender",
            Trigger::CustomSmsSender => "CustomSMSSender",
        }
    }
}

tokio::task_local! {
    /// The ClientMetadata of the API call being served, for every trigger it runs.
    static CLIENT_METADATA: Map<String, Value>;
}

/// Runs `work` (one API call) with its ClientMetadata, which every trigger it runs is given.
pub async fn with_client_metadata<F: std::future::Future>(metadata: std::collections::BTreeMap<String, String>, work: F) -> F::Output {
    let metadata = metadata.into_iter().map(|(name, value)| (name, Value::String(value))).collect();
    CLIENT_METADATA.scope(metadata, work).await
}

/// The ClientMetadata of the call being served (empty outside one).
pub fn client_metadata() -> Value {
    CLIENT_METADATA.try_with(|metadata| Value::Object(metadata.clone())).unwrap_or_else(|_| json!({}))
}

/// The function a pool runs for `trigger`, with the event version (`"1"`, or the
/// PreTokenGenerationConfig's `V2_0` as `"2"`).
pub fn trigger_function(pool: &UserPool, trigger: Trigger) -> Option<(String, &'static str)> {
    let config = pool.settings.opaque.get("LambdaConfig")?;
    if trigger == Trigger::PreTokenGeneration {
        if let Some(versioned) = config.get("PreTokenGenerationConfig") {
            let arn = versioned.get("LambdaArn").and_then(Value::as_str)?;
            let version = match versioned.get("LambdaVersion").and_then(Value::as_str) {
                Some("V2_0") => "2",
                Some("V3_0") => "3",
                _ => "1",
            };
            return Some((arn.to_string(), version));
        }
    }
    let function = match config.get(trigger.name())? {
        // The custom senders: {"LambdaVersion": "V1_0", "LambdaArn": ...}.
        Value::Object(sender) => sender.get("LambdaArn").and_then(Value::as_str),
        other => other.as_str(),
    };
    function.filter(|arn| !arn.is_empty()).map(|arn| (arn.to_string(), "1"))
}

/// The user's attributes as the events give them: strings by name, with `sub` and (for a user
/// who exists) `cognito:user_status`.
pub fn event_attributes(user: &User, with_status: bool) -> Value {
    let mut attributes: Map<String, Value> = user.attributes.iter().map(|attribute| (attribute.name.clone(), json!(attribute.value))).collect();
    attributes.insert("sub".into(), json!(user.sub));
    if with_status {
        attributes.insert("cognito:user_status".into(), json!(user.status.as_str()));
    }
    Value::Object(attributes)
}

/// PreSignUp's answer: what the trigger asks of the new user.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PreSignUpAnswer {
    pub auto_confirm: bool,
    pub auto_verify_email: bool,
    pub auto_verify_phone: bool,
}

/// A member of a trigger's response that must be a boolean (or absent or null).
pub fn response_flag(response: &Value, name: &str, trigger: Trigger) -> DomainResult<bool> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(_) => Err(invalid_response(trigger, &format!("{name} is not a boolean"))),
    }
}

pub fn invalid_response(trigger: Trigger, why: &str) -> DomainError {
    DomainError::TriggerOutputInvalid(format!("Invalid {} response: {why}.", trigger.name()))
}

impl UserPoolService {
    /// PreSignUp (`PreSignUp_SignUp` or `PreSignUp_AdminCreateUser`) for a user about to be
    /// created; its answer is applied by the caller before anything is written.
    pub(crate) async fn pre_sign_up(
        &self,
        pool: &UserPool,
        source: &str,
        username: &str,
        client_id: Option<&str>,
        attributes: &[super::Attribute],
        data: &TriggerData,
    ) -> DomainResult<PreSignUpAnswer> {
        let user_attributes: Map<String, Value> = attributes.iter().map(|attribute| (attribute.name.clone(), json!(attribute.value))).collect();
        let request = json!({"userAttributes": user_attributes, "validationData": data.validation_data, "clientMetadata": data.client_metadata});
        let Some(response) = self.run_trigger(pool, Trigger::PreSignUp, source, username, client_id, request).await? else {
            return Ok(PreSignUpAnswer::default());
        };
        Ok(PreSignUpAnswer {
            auto_confirm: response_flag(&response, "autoConfirmUser", Trigger::PreSignUp)?,
            auto_verify_email: response_flag(&response, "autoVerifyEmail", Trigger::PreSignUp)?,
            auto_verify_phone: response_flag(&response, "autoVerifyPhone", Trigger::PreSignUp)?,
        })
    }

    /// Runs `trigger` when the pool has it: the event of `source` for `user_name`, with
    /// `request`; answers the returned event's `response` (an object), or None when the pool has
    /// no such trigger.
    pub(crate) async fn run_trigger(&self, pool: &UserPool, trigger: Trigger, source: &str, user_name: &str, client_id: Option<&str>, request: Value) -> DomainResult<Option<Value>> {
        self.run_trigger_for(pool, trigger, source, json!(user_name), client_id, request).await
    }

    /// As [`Self::run_trigger`], for an event whose `userName` may be null (a client's own token).
    async fn run_trigger_for(&self, pool: &UserPool, trigger: Trigger, source: &str, user_name: Value, client_id: Option<&str>, request: Value) -> DomainResult<Option<Value>> {
        let Some((function, version)) = trigger_function(pool, trigger) else {
            return Ok(None);
        };
        let mut request = request;
        if request.get("clientMetadata").is_some_and(|given| given.as_object().is_some_and(Map::is_empty)) {
            request["clientMetadata"] = client_metadata();
        }
        let Some(invoker) = &self.lambda else {
            return Err(DomainError::TriggerUnavailable(format!("{} is set, and this server has no Lambda endpoint to invoke it.", trigger.name())));
        };
        let event = json!({
            "version": version,
            "triggerSource": source,
            "region": crate::ids::region_of(&pool.id),
            "userPoolId": pool.id,
            "userName": user_name,
            "callerContext": {"awsSdkVersion": "aws-sdk-unknown-unknown", "clientId": client_id.unwrap_or("CLIENT_ID_NOT_APPLICABLE")},
            "request": request,
            "response": {},
        });
        let started = std::time::Instant::now();
        let answer = invoker.invoke(&function, &event).await;
        let outcome = match &answer {
            Ok(answer) if answer.get("response").is_none_or(|response| response.is_object() || response.is_null()) && answer.is_object() => "ok",
            Ok(_) => "invalid",
            Err(InvokeFailure::Function(_)) => "refused",
            Err(InvokeFailure::Unreachable(_)) => "unreachable",
        };
        self.count(crate::tally::Counted::Trigger { trigger: trigger.name(), outcome, latency: started.elapsed() });
        match answer {
            Ok(answer) => match answer.get("response") {
                Some(response @ Value::Object(_)) => Ok(Some(response.clone())),
                None | Some(Value::Null) if answer.is_object() => Ok(Some(json!({}))),
                _ => Err(invalid_response(trigger, "the answer is not the event with a response object")),
            },
            Err(InvokeFailure::Function(message)) => Err(DomainError::TriggerRefused(format!("{} failed with error {message}.", trigger.name()))),
            Err(InvokeFailure::Unreachable(detail)) => {
                tracing::warn!(trigger = trigger.name(), %detail, "a trigger did not answer");
                Err(DomainError::TriggerUnavailable(format!("{} did not answer.", trigger.name())))
            }
        }
    }

    /// PostConfirmation (`PostConfirmation_ConfirmSignUp` or `_ConfirmForgotPassword`) once a
    /// user is confirmed (the confirmation stands when it fails; its error is the call's).
    pub(crate) async fn post_confirmation(&self, pool: &UserPool, client_id: Option<&str>, user: &User, source: &str) -> DomainResult<()> {
        let request = json!({"userAttributes": event_attributes(user, true), "clientMetadata": {}});
        self.run_trigger(pool, Trigger::PostConfirmation, source, &user.username, client_id, request).await.map(|_| ())
    }

    /// PreAuthentication (`PreAuthentication_Authentication`) before a user's first factor is
    /// checked: the function may refuse the sign-in by failing.
    pub(crate) async fn pre_authentication(&self, pool: &UserPool, client_id: &str, user: &User) -> DomainResult<()> {
        // InitiateAuth's ClientMetadata is the event's validationData (Cognito's documented way).
        let request = json!({"userAttributes": event_attributes(user, true), "validationData": client_metadata(), "clientMetadata": {}});
        self.run_trigger(pool, Trigger::PreAuthentication, "PreAuthentication_Authentication", &user.username, Some(client_id), request).await.map(|_| ())
    }

    /// PostAuthentication (`PostAuthentication_Authentication`) once a sign-in has passed, before
    /// its tokens are issued.
    pub(crate) async fn post_authentication(&self, pool: &UserPool, client_id: &str, user: &User, new_device_used: bool) -> DomainResult<()> {
        let request = json!({"userAttributes": event_attributes(user, true), "newDeviceUsed": new_device_used, "clientMetadata": {}});
        self.run_trigger(pool, Trigger::PostAuthentication, "PostAuthentication_Authentication", &user.username, Some(client_id), request).await.map(|_| ())
    }

    /// PreTokenGeneration (V1 or V2, by the pool's PreTokenGenerationConfig) on the claims about
    /// to be signed: claims added, overridden or suppressed (never the protected ones), groups and
    /// roles overridden, and (V2) access-token scopes added or suppressed.
    pub(crate) async fn pre_token_generation(
        &self,
        pool: &UserPool,
        client_id: &str,
        user: &User,
        source: &str,
        id_claims: &mut Map<String, Value>,
        access_claims: &mut Map<String, Value>,
    ) -> DomainResult<()> {
        let Some((_, version)) = trigger_function(pool, Trigger::PreTokenGeneration) else {
            return Ok(());
        };
        let list = |claims: &Map<String, Value>, name: &str| claims.get(name).cloned().unwrap_or_else(|| json!([]));
        let mut request = json!({
            "userAttributes": event_attributes(user, true),
            "groupConfiguration": {
                "groupsToOverride": list(id_claims, "cognito:groups"),
                "iamRolesToOverride": list(id_claims, "cognito:roles"),
                "preferredRole": id_claims.get("cognito:preferred_role").cloned().unwrap_or(Value::Null),
            },
            "clientMetadata": {},
        });
        if version != "1" {
            let scopes: Vec<&str> = access_claims.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').filter(|scope| !scope.is_empty()).collect();
            request["scopes"] = json!(scopes);
        }
        let Some(response) = self.run_trigger(pool, Trigger::PreTokenGeneration, source, &user.username, Some(client_id), request).await? else {
            return Ok(());
        };
        let invalid = |why: &str| invalid_response(Trigger::PreTokenGeneration, why);
        if version == "1" {
            let details = response.get("claimsOverrideDetails").cloned().unwrap_or(Value::Null);
            if !details.is_null() {
                apply_claims(id_claims, &details, true).map_err(|why| invalid(&why))?;
                apply_groups(id_claims, access_claims, details.get("groupOverrideDetails")).map_err(|why| invalid(&why))?;
            }
            return Ok(());
        }
        let details = response.get("claimsAndScopeOverrideDetails").cloned().unwrap_or(Value::Null);
        if details.is_null() {
            return Ok(());
        }
        if let Some(generation) = details.get("idTokenGeneration").filter(|value| !value.is_null()) {
            apply_claims(id_claims, generation, false).map_err(|why| invalid(&why))?;
        }
        if let Some(generation) = details.get("accessTokenGeneration").filter(|value| !value.is_null()) {
            apply_claims(access_claims, generation, false).map_err(|why| invalid(&why))?;
            apply_scopes(access_claims, generation).map_err(|why| invalid(&why))?;
        }
        apply_groups(id_claims, access_claims, details.get("groupOverrideDetails")).map_err(|why| invalid(&why))
    }

    /// PreTokenGeneration V3 (`TokenGeneration_ClientCredentials`) on a client_credentials
    /// access token: claims and scopes of the access token (no user, so no groups). Versions 1
    /// and 2 are not run for clients, as in Cognito.
    pub(crate) async fn pre_token_generation_for_client(&self, pool: &UserPool, client_id: &str, access_claims: &mut Map<String, Value>) -> DomainResult<()> {
        if !trigger_function(pool, Trigger::PreTokenGeneration).is_some_and(|(_, version)| version == "3") {
            return Ok(());
        }
        let scopes: Vec<&str> = access_claims.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').filter(|scope| !scope.is_empty()).collect();
        let request = json!({
            "userAttributes": {},
            "groupConfiguration": {"groupsToOverride": [], "iamRolesToOverride": [], "preferredRole": null},
            "scopes": scopes,
            "clientMetadata": {},
        });
        let source = "TokenGeneration_ClientCredentials";
        let Some(response) = self.run_trigger_for(pool, Trigger::PreTokenGeneration, source, Value::Null, Some(client_id), request).await? else {
            return Ok(());
        };
        let invalid = |why: String| invalid_response(Trigger::PreTokenGeneration, &why);
        let details = response.get("claimsAndScopeOverrideDetails").cloned().unwrap_or(Value::Null);
        if let Some(generation) = details.get("accessTokenGeneration").filter(|value| !value.is_null()) {
            apply_claims(access_claims, generation, false).map_err(invalid)?;
            apply_scopes(access_claims, generation).map_err(invalid)?;
        }
        Ok(())
    }
}

/// Claims a PreTokenGeneration trigger cannot change.
const PROTECTED_CLAIMS: &[&str] = &[
    "acr", "amr", "aud", "at_hash", "auth_time", "azp", "cognito:username", "exp", "iat", "identities", "iss", "jti", "nbf", "nonce",
    "origin_jti", "sub", "token_use", "client_id", "username", "device_key", "event_id", "scope",
];

fn string_list(value: Option<&Value>, name: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(|item| item.as_str().map(str::to_string).ok_or_else(|| format!("{name} holds a non-string"))).collect(),
        Some(_) => Err(format!("{name} is not a list")),
    }
}

/// `claimsToAddOrOverride` (strings only for V1) and `claimsToSuppress`.
fn apply_claims(claims: &mut Map<String, Value>, generation: &Value, strings_only: bool) -> Result<(), String> {
    match generation.get("claimsToAddOrOverride") {
        None | Some(Value::Null) => {}
        Some(Value::Object(added)) => {
            for (name, value) in added {
                if strings_only && !value.is_string() {
                    return Err(format!("claim {name} is not a string"));
                }
                if !PROTECTED_CLAIMS.contains(&name.as_str()) {
                    claims.insert(name.clone(), value.clone());
                }
            }
        }
        Some(_) => return Err("claimsToAddOrOverride is not an object".into()),
    }
    for name in string_list(generation.get("claimsToSuppress"), "claimsToSuppress")? {
        if !PROTECTED_CLAIMS.contains(&name.as_str()) {
            claims.remove(&name);
        }
    }
    Ok(())
}

/// V2's `scopesToAdd` and `scopesToSuppress` on the access token's `scope`.
fn apply_scopes(access_claims: &mut Map<String, Value>, generation: &Value) -> Result<(), String> {
    let mut scopes: Vec<String> = access_claims.get("scope").and_then(Value::as_str).unwrap_or("").split(' ').filter(|scope| !scope.is_empty()).map(str::to_string).collect();
    for scope in string_list(generation.get("scopesToAdd"), "scopesToAdd")? {
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }
    let suppressed = string_list(generation.get("scopesToSuppress"), "scopesToSuppress")?;
    scopes.retain(|scope| !suppressed.contains(scope));
    access_claims.insert("scope".into(), json!(scopes.join(" ")));
    Ok(())
}

/// `groupOverrideDetails`: the groups of both tokens, the ID token's roles and preferred role.
fn apply_groups(id_claims: &mut Map<String, Value>, access_claims: &mut Map<String, Value>, details: Option<&Value>) -> Result<(), String> {
    let Some(details) = details.filter(|details| !details.is_null()) else {
        return Ok(());
    };
    if details.get("groupsToOverride").is_some_and(|value| !value.is_null()) {
        let groups = string_list(details.get("groupsToOverride"), "groupsToOverride")?;
        for claims in [&mut *id_claims, &mut *access_claims] {
            if groups.is_empty() {
                claims.remove("cognito:groups");
            } else {
                claims.insert("cognito:groups".into(), json!(groups));
            }
        }
    }
    if details.get("iamRolesToOverride").is_some_and(|value| !value.is_null()) {
        let roles = string_list(details.get("iamRolesToOverride"), "iamRolesToOverride")?;
        if roles.is_empty() {
            id_claims.remove("cognito:roles");
        } else {
            id_claims.insert("cognito:roles".into(), json!(roles));
        }
    }
    match details.get("preferredRole") {
        None => {}
        Some(Value::Null) => {}
        Some(Value::String(role)) => {
            id_claims.insert("cognito:preferred_role".into(), json!(role));
        }
        Some(_) => return Err("preferredRole is not a string".into()),
    }
    Ok(())
}
