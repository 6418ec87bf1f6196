//! CUSTOM_AUTH: the rounds a pool's DefineAuthChallenge, CreateAuthChallenge and
//! VerifyAuthChallengeResponse triggers run. DefineAuthChallenge reads the session's history and
//! issues tokens, fails the sign-in, or names the next challenge; CreateAuthChallenge makes a
//! CUSTOM_CHALLENGE (its public parameters go to the client, its private ones stay sealed in the
//! session); VerifyAuthChallengeResponse judges the answer, and the round is added to the history.
//! A user who does not exist (when the client hides that) goes through the same rounds with
//! `userNotFound`, and is never signed in. With `CHALLENGE_NAME: SRP_A`, the password comes first:
//! DefineAuthChallenge asks for PASSWORD_VERIFIER (USER_SRP_AUTH's answer), and the rounds go on
//! from a history of SRP_A and PASSWORD_VERIFIER.

use super::*;
use crate::user_pool::mfa::session::Step;
use crate::user_pool::triggers::{event_attributes, invalid_response, response_flag, Trigger};

/// The most challenges one sign-in may go through.
const MAX_ROUNDS: usize = 10;
/// The sealing context of a custom challenge's private parameters.
use crate::sealing::CUSTOM_CHALLENGE as PRIVATE_CONTEXT;

/// What DefineAuthChallenge decided.
enum Defined {
    Tokens,
    Fail,
    Challenge(String),
}

impl UserPoolService {
    /// InitiateAuth's CUSTOM_AUTH: the first DefineAuthChallenge, with an empty history.
    pub(crate) async fn custom_auth(&self, pool: &UserPool, client: &AppClient, parameters: &BTreeMap<String, String>) -> DomainResult<AuthOutcome> {
        let username = parameter(parameters, "USERNAME")?;
        let secret_hash = parameters.get("SECRET_HASH").map(String::as_str);
        let user = self.find_signing_in_user(pool, client, username, ClientProof::SecretHash(secret_hash)).await?;
        if parameters.get("CHALLENGE_NAME").is_some_and(|name| name == "SRP_A") {
            // The password first (SRP), then custom challenges: DefineAuthChallenge sees SRP_A
            // and is to ask for PASSWORD_VERIFIER, whose answer continues the rounds.
            let history = vec![json!({"challengeName": "SRP_A", "challengeResult": true})];
            return match self.define(pool, client, username, user.as_ref(), &history).await? {
                Defined::Challenge(name) if name == "PASSWORD_VERIFIER" => self.srp_start(pool, client, parameters, true).await,
                Defined::Fail => Err(incorrect_credentials()),
                Defined::Tokens | Defined::Challenge(_) => Err(invalid_response(
                    Trigger::DefineAuthChallenge,
                    "after SRP_A the next challenge must be PASSWORD_VERIFIER",
                )),
            };
        }
        if let Some(user) = &user {
            self.pre_authentication(pool, &client.client_id, user).await?;
        }
        self.custom_round(pool, client, username, user.as_ref(), Vec::new()).await
    }

    /// DefineAuthChallenge on a history: what it decides.
    async fn define(&self, pool: &UserPool, client: &AppClient, username: &str, user: Option<&User>, history: &[Value]) -> DomainResult<Defined> {
        let request = Self::custom_request(user, history);
        let source = "DefineAuthChallenge_Authentication";
        let Some(defined) = self.run_trigger(pool, Trigger::DefineAuthChallenge, source, username, Some(&client.client_id), request).await? else {
            return Err(DomainError::InvalidParameter("Custom auth lambda trigger is not configured for the user pool.".into()));
        };
        if response_flag(&defined, "failAuthentication", Trigger::DefineAuthChallenge)? {
            return Ok(Defined::Fail);
        }
        if response_flag(&defined, "issueTokens", Trigger::DefineAuthChallenge)? {
            return Ok(Defined::Tokens);
        }
        match defined.get("challengeName").and_then(Value::as_str) {
            Some(name) => Ok(Defined::Challenge(name.to_string())),
            None => Err(invalid_response(Trigger::DefineAuthChallenge, "neither issueTokens, failAuthentication nor a challengeName")),
        }
    }

    /// The event attributes of a custom round's user (none for a user who does not exist).
    fn custom_request(user: Option<&User>, history: &[Value]) -> Value {
        json!({
            "userAttributes": user.map(|user| event_attributes(user, true)).unwrap_or_else(|| json!({})),
            "session": history,
            "userNotFound": user.is_none(),
            "clientMetadata": {},
        })
    }

    /// One round: DefineAuthChallenge on the history, then tokens, a refusal, or the next
    /// challenge (CreateAuthChallenge).
    pub(super) async fn custom_round(&self, pool: &UserPool, client: &AppClient, username: &str, user: Option<&User>, history: Vec<Value>) -> DomainResult<AuthOutcome> {
        if history.len() >= MAX_ROUNDS {
            return Err(incorrect_credentials());
        }
        match self.define(pool, client, username, user, &history).await? {
            Defined::Fail => return Err(incorrect_credentials()),
            Defined::Tokens => {
                let user = user.ok_or_else(incorrect_credentials)?;
                let user = self.signing_in_user(pool, user).await?;
                return self.finish_sign_in(pool, client, &user, &Progress::at(self.now())).await;
            }
            Defined::Challenge(name) if name == "CUSTOM_CHALLENGE" => {}
            Defined::Challenge(other) => {
                return Err(DomainError::NotImplemented(format!(
                    "DefineAuthChallenge asked for {other}; cognate runs CUSTOM_CHALLENGE rounds (and PASSWORD_VERIFIER after SRP_A) in a custom flow."
                )))
            }
        }
        let mut request = Self::custom_request(user, &history);
        request["challengeName"] = json!("CUSTOM_CHALLENGE");
        let source = "CreateAuthChallenge_Authentication";
        let Some(created) = self.run_trigger(pool, Trigger::CreateAuthChallenge, source, username, Some(&client.client_id), request).await? else {
            return Err(DomainError::InvalidParameter("Custom auth lambda trigger is not configured for the user pool.".into()));
        };
        let strings = |name: &str| -> DomainResult<BTreeMap<String, String>> {
            match created.get(name) {
                None | Some(Value::Null) => Ok(BTreeMap::new()),
                Some(Value::Object(map)) => map
                    .iter()
                    .map(|(key, value)| value.as_str().map(|text| (key.clone(), text.to_string())).ok_or_else(|| invalid_response(Trigger::CreateAuthChallenge, &format!("{name} holds a non-string"))))
                    .collect(),
                Some(_) => Err(invalid_response(Trigger::CreateAuthChallenge, &format!("{name} is not an object"))),
            }
        };
        let public = strings("publicChallengeParameters")?;
        let private = strings("privateChallengeParameters")?;
        let metadata = created.get("challengeMetadata").and_then(Value::as_str).map(str::to_string);
        let sealed_private = self.master_key.seal(&serde_json::to_vec(&private).map_err(DomainError::internal)?, PRIVATE_CONTEXT);
        let step = Step::Custom { history, sealed_private, metadata };
        let username_key = user.map(|user| pool.username_key(&user.username)).unwrap_or_else(|| pool.username_key(username));
        let session = self.open_challenge_for(pool, client, username_key, step, &Progress::at(self.now())).await?;
        let mut parameters = public;
        parameters.insert("USERNAME".to_string(), user.map(|user| user.username.clone()).unwrap_or_else(|| username.to_string()));
        Ok(AuthOutcome::Challenge { name: ChallengeName::CustomChallenge, parameters, session: Some(session) })
    }

    /// Answers CUSTOM_CHALLENGE (USERNAME, ANSWER): VerifyAuthChallengeResponse judges it, the
    /// round joins the history, and DefineAuthChallenge decides what follows. Each session is
    /// answered once.
    pub(crate) async fn answer_custom_challenge(&self, pool: &UserPool, client: &AppClient, responses: &BTreeMap<String, String>, session: Option<&str>) -> DomainResult<AuthOutcome> {
        let open = self.read_challenge(session, Some(client)).await?;
        let Step::Custom { history, sealed_private, metadata } = &open.session.step else {
            return Err(invalid_session());
        };
        let answer = parameter(responses, "ANSWER")?;
        let (user, canonical) = self.answering_user(pool, client, &open, responses).await?;
        let private: Value = serde_json::from_slice(&self.master_key.open(sealed_private, PRIVATE_CONTEXT)?).map_err(DomainError::internal)?;
        let mut request = Self::custom_request(user.as_ref(), history);
        request["privateChallengeParameters"] = private;
        request["challengeAnswer"] = json!(answer);
        let source = "VerifyAuthChallengeResponse_Authentication";
        let Some(verified) = self.run_trigger(pool, Trigger::VerifyAuthChallengeResponse, source, &canonical, Some(&client.client_id), request).await? else {
            return Err(DomainError::InvalidParameter("Custom auth lambda trigger is not configured for the user pool.".into()));
        };
        let correct = response_flag(&verified, "answerCorrect", Trigger::VerifyAuthChallengeResponse)?;
        let mut history = history.clone();
        let mut round = json!({"challengeName": "CUSTOM_CHALLENGE", "challengeResult": correct});
        if let Some(metadata) = metadata {
            round["challengeMetadata"] = json!(metadata);
        }
        history.push(round);
        self.custom_round(pool, client, &canonical, user.as_ref(), history).await
    }

    /// The user a custom flow signs in, as it is now: enabled and confirmed.
    async fn signing_in_user(&self, pool: &UserPool, user: &User) -> DomainResult<User> {
        let user = self.store.get_user(&pool.id, &pool.username_key(&user.username)).await?.ok_or_else(incorrect_credentials)?;
        if !user.enabled {
            return Err(DomainError::NotAuthorized("User is disabled.".into()));
        }
        match user.status {
            UserStatus::Confirmed => Ok(user),
            UserStatus::Unconfirmed => Err(DomainError::UserNotConfirmed("User is not confirmed.".into())),
            UserStatus::ResetRequired => Err(DomainError::PasswordResetRequired("Password reset required for the user".into())),
            _ => Err(incorrect_credentials()),
        }
    }
}
