//! The enumerated settings and requests of user pools, as closed types: MFA, deletion
//! protection, the answer to unknown users, and InitiateAuth's flows.

use crate::named::named_enum;

named_enum! {
    /// A pool's `MfaConfiguration`.
    MfaConfiguration, "mfaConfiguration" { Off => "OFF", On => "ON", Optional => "OPTIONAL" }
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
        let refused = DeletionProtection::parse("ON").unwrap_err();
        let expected = crate::error::InvalidMember {
            member: "deletionProtection".into(),
            value: Some("ON".into()),
            constraint: crate::error::Constraint::OneOf(vec!["ACTIVE", "INACTIVE"]),
        };
        assert_eq!(refused, DomainError::InvalidMember(expected));
    }
}
