//! Multi-factor authentication: the pool's factors (SetUserPoolMfaConfig), a user's factors and
//! preference (SetUserMFAPreference, the legacy SetUserSettings), TOTP enrolment
//! (AssociateSoftwareToken, VerifySoftwareToken) and the challenges of a sign-in's second step.

pub mod challenge;
mod config;
pub(crate) mod session;
pub mod totp;
mod user;

use serde::{Deserialize, Serialize};

use super::settings_enums::{ChallengeName, MfaConfiguration};


/// A second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MfaFactor {
    #[serde(rename = "SMS_MFA")]
    Sms,
    #[serde(rename = "SOFTWARE_TOKEN_MFA")]
    SoftwareToken,
    #[serde(rename = "EMAIL_OTP")]
    Email,
}

impl MfaFactor {
    /// In the order Cognito lists them.
    pub const ALL: [MfaFactor; 3] = [MfaFactor::Sms, MfaFactor::SoftwareToken, MfaFactor::Email];

    /// The factor's name in `UserMFASettingList`, `PreferredMfaSetting`, `MFAS_CAN_CHOOSE` and
    /// as a challenge name.
    pub fn as_str(self) -> &'static str {
        match self {
            MfaFactor::Sms => "SMS_MFA",
            MfaFactor::SoftwareToken => "SOFTWARE_TOKEN_MFA",
            MfaFactor::Email => "EMAIL_OTP",
        }
    }

    pub fn from_name(name: &str) -> Option<MfaFactor> {
        MfaFactor::ALL.into_iter().find(|factor| factor.as_str() == name)
    }

    pub fn challenge(self) -> ChallengeName {
        match self {
            MfaFactor::Sms => ChallengeName::SmsMfa,
            MfaFactor::SoftwareToken => ChallengeName::SoftwareTokenMfa,
            MfaFactor::Email => ChallengeName::EmailOtp,
        }
    }

    /// The user attribute a code of this factor is sent to.
    pub(crate) fn attribute(self) -> Option<&'static str> {
        match self {
            MfaFactor::Sms => Some("phone_number"),
            MfaFactor::Email => Some("email"),
            MfaFactor::SoftwareToken => None,
        }
    }
}

/// SMS MFA as the pool has it: its message (`{####}` is the code) and the SNS configuration,
/// kept as given (cognate sends through its SMS webhook or the outbox).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SmsMfaSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configuration: Option<serde_json::Value>,
}

/// Email MFA as the pool has it: the message (`{####}` is the code) and subject.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct EmailMfaSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// The pool's passkey settings.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct WebAuthnSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relying_party_id: Option<String>,
    /// `required` or `preferred`.
    pub user_verification: String,
}

/// The factors a pool offers (its MfaConfiguration, OFF/ON/OPTIONAL, is a pool setting).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PoolMfa {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<SmsMfaSettings>,
    #[serde(default)]
    pub software_token: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailMfaSettings>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web_authn: Option<WebAuthnSettings>,
}

impl PoolMfa {
    pub fn offers(&self, factor: MfaFactor) -> bool {
        match factor {
            MfaFactor::Sms => self.sms.is_some(),
            MfaFactor::SoftwareToken => self.software_token,
            MfaFactor::Email => self.email.is_some(),
        }
    }
}

/// A user's verified authenticator app: its secret, sealed under the master key, and the step
/// of the last code accepted (each code is accepted once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpFactor {
    pub sealed_secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_step: Option<i64>,
}

/// A user's second factors: which are enabled, the preferred one, the verified authenticator
/// app and one being enrolled (AssociateSoftwareToken, before VerifySoftwareToken).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct UserMfa {
    #[serde(default)]
    pub enabled: Vec<MfaFactor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred: Option<MfaFactor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpFactor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_totp: Option<String>,
}

impl UserMfa {
    pub fn is_empty(&self) -> bool {
        *self == UserMfa::default()
    }

    pub fn has(&self, factor: MfaFactor) -> bool {
        self.enabled.contains(&factor)
    }

    /// Enables or disables a factor; a disabled factor is no longer preferred.
    fn set(&mut self, factor: MfaFactor, enabled: bool) {
        self.enabled.retain(|each| *each != factor);
        if enabled {
            self.enabled.push(factor);
            self.enabled.sort_by_key(|each| MfaFactor::ALL.iter().position(|one| one == each));
        } else if self.preferred == Some(factor) {
            self.preferred = None;
        }
    }
}

/// The sealing context of TOTP secrets.
use crate::sealing::TOTP_SECRET as TOTP_SECRET_CONTEXT;

/// What VerifySoftwareToken answers during MFA_SETUP: the session that completes the sign-in.
#[derive(Debug, Clone)]
pub struct SoftwareTokenVerified {
    pub session: Option<String>,
}

/// What SetUserPoolMfaConfig asks. SMS and email MFA are on when their member is given and off
/// when it is left out (they have no other switch); the TOTP switch, the passkey settings and
/// MfaConfiguration keep their current values when left out.
#[derive(Debug, Clone, Default)]
pub struct MfaConfigInput {
    pub mfa_configuration: Option<MfaConfiguration>,
    pub sms: Option<SmsMfaSettings>,
    pub software_token: Option<bool>,
    pub email: Option<EmailMfaSettings>,
    pub web_authn: Option<WebAuthnSettings>,
}

/// One factor's part of SetUserMFAPreference: `Enabled` and `PreferredMfa`, each when given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactorPreference {
    pub factor: MfaFactor,
    pub enabled: Option<bool>,
    pub preferred: Option<bool>,
}

/// How GetUser and AdminGetUser show a user's factors.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MfaView {
    /// `UserMFASettingList`: the enabled factors.
    pub settings: Vec<&'static str>,
    /// `PreferredMfaSetting`.
    pub preferred: Option<&'static str>,
    /// `MFAOptions` (legacy): SMS to phone_number when SMS MFA is enabled.
    pub sms_option: bool,
}

