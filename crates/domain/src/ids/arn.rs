//! Every ARN cognate writes or reads: one builder per resource kind, and the parsers that take a
//! resource back out of an ARN naming it in this account.

/// `arn:aws:cognito-idp:<region>:<account>:userpool/<pool id>`.
pub fn user_pool(region: &str, account_id: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-idp:{region}:{account_id}:userpool/{pool_id}")
}

/// `arn:aws:cognito-identity:<region>:<account>:identitypool/<pool id>`.
pub fn identity_pool(region: &str, account_id: &str, pool_id: &str) -> String {
    format!("arn:aws:cognito-identity:{region}:{account_id}:identitypool/{pool_id}")
}

/// `arn:aws:cognito-sync:<region>:<account>:identitypool/<pool or *>[/identity/<id>[/dataset/<name>]]`,
/// the resource a Cognito Sync operation acts on.
pub fn sync_resource(
    region: &str,
    account_id: &str,
    pool_id: Option<&str>,
    identity_id: Option<&str>,
    dataset: Option<&str>,
) -> String {
    let mut arn = format!(
        "arn:aws:cognito-sync:{region}:{account_id}:identitypool/{}",
        pool_id.unwrap_or("*")
    );
    if let Some(identity_id) = identity_id {
        arn.push_str("/identity/");
        arn.push_str(identity_id);
        if let Some(dataset) = dataset {
            arn.push_str("/dataset/");
            arn.push_str(dataset);
        }
    }
    arn
}

/// `arn:aws:s3:::<bucket>`, or `arn:aws:s3:::<bucket>/<key>` for an object; `arn:aws:s3:::*`
/// for the account's bucket list.
pub fn s3(bucket: Option<&str>, key: Option<&str>) -> String {
    match (bucket, key) {
        (Some(bucket), Some(key)) => format!("arn:aws:s3:::{bucket}/{key}"),
        (Some(bucket), None) => format!("arn:aws:s3:::{bucket}"),
        (None, _) => "arn:aws:s3:::*".to_string(),
    }
}

/// `arn:aws:dynamodb:<region>:<account>:table/<table>`, or `*` for the account's table list.
pub fn dynamodb_table(region: &str, account_id: &str, table: Option<&str>) -> String {
    match table {
        Some(table) => format!("arn:aws:dynamodb:{region}:{account_id}:table/{table}"),
        None => format!("arn:aws:dynamodb:{region}:{account_id}:table/*"),
    }
}

/// `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>`, the resource of
/// `execute-api:Invoke`; `path` has no leading slash.
pub fn execute_api(region: &str, account_id: &str, api_id: &str, stage: &str, method: &str, path: &str) -> String {
    format!("arn:aws:execute-api:{region}:{account_id}:{api_id}/{stage}/{method}/{path}")
}

/// `arn:aws:iam::<account>:role<path><name>`; `path` starts and ends with `/`.
pub fn iam_role(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:role{path}{name}")
}

/// `arn:aws:iam::<account>:user<path><name>`, an IAM user.
pub fn iam_user(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:user{path}{name}")
}

/// `arn:aws:iam::<account>:group<path><name>`, an IAM group.
pub fn iam_group(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:group{path}{name}")
}

/// `arn:aws:iam::<account>:mfa<path><name>`, a virtual MFA device (its serial number).
pub fn iam_mfa(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:mfa{path}{name}")
}

/// `arn:aws:iam::<account>:policy<path><name>`, a customer managed policy.
pub fn iam_policy(account_id: &str, path: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:policy{path}{name}")
}

/// The name of the customer managed policy of `account_id` an ARN names.
pub fn policy_name_of<'a>(arn: &'a str, account_id: &str) -> Option<&'a str> {
    iam_name_of(arn, account_id, "policy")
}

/// The name in an IAM ARN of `account_id` of the given kind (`user`, `group`, `policy`):
/// `arn:aws:iam::<account>:<kind><path><name>`.
pub fn iam_name_of<'a>(arn: &'a str, account_id: &str, kind: &str) -> Option<&'a str> {
    arn.strip_prefix("arn:aws:iam::")?
        .strip_prefix(account_id)?
        .strip_prefix(':')?
        .strip_prefix(kind)?
        .strip_prefix('/')?
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
}

/// `arn:aws:iam::<account>:root`, the account's own principal.
pub fn iam_root(account_id: &str) -> String {
    format!("arn:aws:iam::{account_id}:root")
}

/// `arn:aws:iam::<account>:oidc-provider/<host and path>`.
pub fn oidc_provider(account_id: &str, host_and_path: &str) -> String {
    format!("arn:aws:iam::{account_id}:oidc-provider/{host_and_path}")
}

/// `arn:aws:iam::<account>:saml-provider/<name>`.
pub fn saml_provider(account_id: &str, name: &str) -> String {
    format!("arn:aws:iam::{account_id}:saml-provider/{name}")
}

/// The name of a SAML provider ARN in this account.
pub fn saml_provider_of<'a>(arn: &'a str, account_id: &str) -> Option<&'a str> {
    arn.strip_prefix("arn:aws:iam::")?.strip_prefix(account_id)?.strip_prefix(":saml-provider/").filter(|name| !name.is_empty() && !name.contains('/'))
}

/// `arn:aws:sts::<account>:assumed-role/<role name>/<session name>`.
pub fn assumed_role(account_id: &str, role_name: &str, session_name: &str) -> String {
    format!("arn:aws:sts::{account_id}:assumed-role/{role_name}/{session_name}")
}

/// `arn:aws:sts::<account>:federated-user/<name>`: GetFederationToken's principal.
pub fn federated_user(account_id: &str, name: &str) -> String {
    format!("arn:aws:sts::{account_id}:federated-user/{name}")
}

/// The pool id of a user pool ARN in this account whose region is the pool's own.
pub fn user_pool_id_of<'a>(arn: &'a str, account_id: &str) -> Option<&'a str> {
    pool_id_of(arn, "cognito-idp", account_id, "userpool/")
}

/// The pool id of an identity pool ARN in this account whose region is the pool's own.
pub fn identity_pool_id_of<'a>(arn: &'a str, account_id: &str) -> Option<&'a str> {
    pool_id_of(arn, "cognito-identity", account_id, "identitypool/")
}

fn pool_id_of<'a>(arn: &'a str, service: &str, account_id: &str, kind: &str) -> Option<&'a str> {
    let rest = arn
        .strip_prefix("arn:aws:")?
        .strip_prefix(service)?
        .strip_prefix(':')?;
    let (region, rest) = rest.split_once(':')?;
    let pool_id = rest
        .strip_prefix(account_id)?
        .strip_prefix(':')?
        .strip_prefix(kind)?;
    (super::region_of(pool_id) == region).then_some(pool_id)
}

/// The host and path of an OIDC provider ARN in this account.
pub fn oidc_provider_of<'a>(arn: &'a str, account_id: &str) -> Option<&'a str> {
    arn.strip_prefix("arn:aws:iam::")?
        .strip_prefix(account_id)?
        .strip_prefix(":oidc-provider/")
}

/// Whether an ARN names an OIDC provider (in any account).
pub fn is_oidc_provider(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::") && arn.contains(":oidc-provider/")
}

/// The role name of a role ARN `arn:aws:iam::<account>:role/<path>/<name>`.
pub fn role_name_of(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (_, resource) = rest.split_once(':')?;
    let path_and_name = resource.strip_prefix("role/")?;
    path_and_name
        .rsplit('/')
        .next()
        .filter(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_are_built_and_read_back() {
        let arn = user_pool("eu-west-1", "123456789012", "eu-west-1_abc");
        assert_eq!(
            arn,
            "arn:aws:cognito-idp:eu-west-1:123456789012:userpool/eu-west-1_abc"
        );
        assert_eq!(user_pool_id_of(&arn, "123456789012"), Some("eu-west-1_abc"));
        assert_eq!(user_pool_id_of(&arn, "000000000000"), None);
        assert_eq!(
            user_pool_id_of(
                "arn:aws:cognito-idp:us-east-1:123456789012:userpool/eu-west-1_abc",
                "123456789012"
            ),
            None
        );
        let arn = identity_pool("us-east-1", "1", "us-east-1:0f");
        assert_eq!(identity_pool_id_of(&arn, "1"), Some("us-east-1:0f"));
        assert_eq!(
            sync_resource("r", "1", None, None, None),
            "arn:aws:cognito-sync:r:1:identitypool/*"
        );
        assert_eq!(
            sync_resource("r", "1", Some("p"), Some("i"), Some("d")),
            "arn:aws:cognito-sync:r:1:identitypool/p/identity/i/dataset/d"
        );
        assert_eq!(
            oidc_provider_of(&oidc_provider("1", "idp.example/x"), "1"),
            Some("idp.example/x")
        );
        assert_eq!(
            role_name_of(&iam_role("1", "/app/", "Reader")),
            Some("Reader")
        );
        assert_eq!(
            role_name_of("arn:aws:iam::123456789012:role/Reader"),
            Some("Reader")
        );
        assert_eq!(role_name_of("arn:aws:iam::123456789012:user/Reader"), None);
        assert_eq!(role_name_of("Reader"), None);
        assert_eq!(role_name_of("Reader"), None);
        assert_eq!(
            assumed_role("1", "r", "s"),
            "arn:aws:sts::1:assumed-role/r/s"
        );
    }
}
