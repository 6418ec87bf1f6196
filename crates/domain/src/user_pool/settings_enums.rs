//! The enumerated settings and requests of user pools, as closed types: MFA, tier, deletion
//! protection, the answer to unknown users, InitiateAuth's flows, the flows a client allows and
//! the challenges of a sign-in, and a user's status.

use crate::named::named_enum;

named_enum! {
    /// A pool's `MfaConfiguration`.
    MfaConfiguration, "mfaConfiguration" { Off => "OFF", On => "ON", Optional => "OPTIONAL" }
}

named_enum! {
    /// A pool's `UserPoolTier`.
    UserPoolTier, "userPoolTier" { Lite => "LITE", Essentials => "ESSENTIALS", Plus => "PLUS" }
}

named_enum! {
    /// A pool's `DeletionProtection`: an ACTIVE pool cannot be deleted.
    DeletionProtection, "deletionProtection" { Active => "ACTIVE", Inactive => "INACTIVE" }
}

named_enum! {
    /// A client's `PreventUserExistenceErrors`: ENABLED answers unknown users as known ones.
    PreventUserExistenceErrors, "preventUserExistenceErrors" { Legacy => "LEGACY", Enabled => "ENABLED" }
}

named_enum! {
    /// InitiateAuth's and AdminInitiateAuth's `AuthFlow` (the legacy names included).
    AuthFlow, "authFlow" {
        UserPasswordAuth => "USER_PASSWORD_AUTH",
        AdminUserPasswordAuth => "ADMIN_USER_PASSWORD_AUTH",
        AdminNoSrpAuth => "ADMIN_NO_SRP_AUTH",
        RefreshTokenAuth => "REFRESH_TOKEN_AUTH",
        RefreshToken => "REFRESH_TOKEN",
        UserSrpAuth => "USER_SRP_AUTH",
        CustomAuth => "CUSTOM_AUTH",
        UserAuth => "USER_AUTH",
    }
}

named_enum! {
    /// A client's `ExplicitAuthFlows`: the `ALLOW_` names, and the legacy names each standing
    /// for one of them.
    ExplicitAuthFlow, "explicitAuthFlows" {
        AdminNoSrpAuth => "ADMIN_NO_SRP_AUTH",
        CustomAuthFlowOnly => "CUSTOM_AUTH_FLOW_ONLY",
        UserPasswordAuth => "USER_PASSWORD_AUTH",
        AllowAdminUserPasswordAuth => "ALLOW_ADMIN_USER_PASSWORD_AUTH",
        AllowCustomAuth => "ALLOW_CUSTOM_AUTH",
        AllowUserPasswordAuth => "ALLOW_USER_PASSWORD_AUTH",
        AllowUserSrpAuth => "ALLOW_USER_SRP_AUTH",
        AllowRefreshTokenAuth => "ALLOW_REFRESH_TOKEN_AUTH",
        AllowUserAuth => "ALLOW_USER_AUTH",
    }
}

impl ExplicitAuthFlow {
    /// Whether this is one of the legacy names (without `ALLOW_`).
    pub fn is_legacy(self) -> bool {
        matches!(self, ExplicitAuthFlow::AdminNoSrpAuth | ExplicitAuthFlow::CustomAuthFlowOnly | ExplicitAuthFlow::UserPasswordAuth)
    }

    /// The `ALLOW_` flow a name allows (a legacy name its modern equivalent).
    pub fn allowed(self) -> ExplicitAuthFlow {
        match self {
            ExplicitAuthFlow::AdminNoSrpAuth => ExplicitAuthFlow::AllowAdminUserPasswordAuth,
            ExplicitAuthFlow::CustomAuthFlowOnly => ExplicitAuthFlow::AllowCustomAuth,
            ExplicitAuthFlow::UserPasswordAuth => ExplicitAuthFlow::AllowUserPasswordAuth,
            modern => modern,
        }
    }
}

named_enum! {
    /// A sign-in's `ChallengeName`.
    ChallengeName, "challengeName" {
        SmsMfa => "SMS_MFA",
        EmailOtp => "EMAIL_OTP",
        SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA",
        SelectMfaType => "SELECT_MFA_TYPE",
        MfaSetup => "MFA_SETUP",
        PasswordVerifier => "PASSWORD_VERIFIER",
        CustomChallenge => "CUSTOM_CHALLENGE",
        SelectChallenge => "SELECT_CHALLENGE",
        DeviceSrpAuth => "DEVICE_SRP_AUTH",
        DevicePasswordVerifier => "DEVICE_PASSWORD_VERIFIER",
        AdminNoSrpAuth => "ADMIN_NO_SRP_AUTH",
        NewPasswordRequired => "NEW_PASSWORD_REQUIRED",
        SmsOtp => "SMS_OTP",
        Password => "PASSWORD",
        WebAuthn => "WEB_AUTHN",
        PasswordSrp => "PASSWORD_SRP",
    }
}

/// A user's status. Stored under the variant names (`Confirmed`), answered in the model's
/// (`CONFIRMED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    Archived,
    Compromised,
    Unknown,
    ResetRequired,
    ForceChangePassword,
    ExternalProvider,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Unconfirmed => "UNCONFIRMED",
            UserStatus::Confirmed => "CONFIRMED",
            UserStatus::Archived => "ARCHIVED",
            UserStatus::Compromised => "COMPROMISED",
            UserStatus::Unknown => "UNKNOWN",
            UserStatus::ResetRequired => "RESET_REQUIRED",
            UserStatus::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            UserStatus::ExternalProvider => "EXTERNAL_PROVIDER",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::DomainError;

    #[test]
    fn stored_names_are_read_and_written_as_before() {
        // Settings stored as strings before these types existed read back unchanged.
        let stored: PreventUserExistenceErrors = serde_json::from_str("\"ENABLED\"").unwrap();
        assert_eq!(stored, PreventUserExistenceErrors::Enabled);
        assert_eq!(serde_json::to_string(&MfaConfiguration::Optional).unwrap(), "\"OPTIONAL\"");
        assert_eq!(AuthFlow::from_name("REFRESH_TOKEN"), Some(AuthFlow::RefreshToken));
        assert_eq!(AuthFlow::from_name("PASSWORD"), None);
        let session: ChallengeName = serde_json::from_str("\"NEW_PASSWORD_REQUIRED\"").unwrap();
        assert_eq!(session, ChallengeName::NewPasswordRequired);
        assert_eq!(ExplicitAuthFlow::UserPasswordAuth.allowed(), ExplicitAuthFlow::AllowUserPasswordAuth);
        assert!(ExplicitAuthFlow::AdminNoSrpAuth.is_legacy() && !ExplicitAuthFlow::AllowUserAuth.is_legacy());
        let refused = DeletionProtection::parse("ON").unwrap_err();
        let expected = crate::error::InvalidMember {
            member: "deletionProtection".into(),
            value: Some("ON".into()),
            constraint: crate::error::Constraint::OneOf(vec!["ACTIVE", "INACTIVE"]),
        };
        assert_eq!(refused, DomainError::InvalidMember(expected));
    }
}
