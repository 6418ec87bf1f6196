//! Where the pools' triggers run and their custom senders' codes are encrypted: the Lambda Invoke
//! API's endpoint and the AWS KMS API's, each with the keys that sign the calls to it.

use crate::aws::sigv4::AccessKeys;

/// The flags (flattened into `cognate serve`'s).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TriggerServicesArgs {
    /// The Lambda Invoke API that runs the pools' triggers (AWS Lambda, `sam local
    /// start-lambda`, an emulator) [default: none; a pool with a trigger cannot run it].
    #[arg(long, env = "COGNATE_LAMBDA_ENDPOINT")]
    pub lambda_endpoint: Option<String>,
    /// The access key that signs trigger invocations [default: unsigned].
    #[arg(long, env = "COGNATE_LAMBDA_ACCESS_KEY_ID")]
    pub lambda_access_key_id: Option<String>,
    /// Its secret.
    #[arg(long, env = "COGNATE_LAMBDA_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub lambda_secret_access_key: Option<String>,
    /// The AWS KMS API (AWS KMS, an emulator) under whose keys (a pool's `KMSKeyID`) the
    /// custom senders' codes are encrypted, as Cognito encrypts them [default: none; the
    /// senders get the codes as they are].
    #[arg(long, env = "COGNATE_KMS_ENDPOINT")]
    pub kms_endpoint: Option<String>,
    /// The access key that signs the calls to KMS [default: unsigned].
    #[arg(long, env = "COGNATE_KMS_ACCESS_KEY_ID")]
    pub kms_access_key_id: Option<String>,
    /// Its secret.
    #[arg(long, env = "COGNATE_KMS_SECRET_ACCESS_KEY", hide_env_values = true)]
    pub kms_secret_access_key: Option<String>,
}

/// The same, as the TOML file gives them (top-level keys).
#[derive(Debug, Clone, Default)]
pub struct TriggerServicesFile {
    pub lambda_endpoint: Option<String>,
    pub lambda_access_key_id: Option<String>,
    pub lambda_secret_access_key: Option<String>,
    pub kms_endpoint: Option<String>,
    pub kms_access_key_id: Option<String>,
    pub kms_secret_access_key: Option<String>,
}

/// A service's endpoint and the keys that sign the calls to it (none: unsigned).
#[derive(Debug, Clone)]
pub struct ServiceEndpoint {
    pub url: String,
    pub keys: Option<AccessKeys>,
}

/// The resolved settings.
#[derive(Debug, Clone, Default)]
pub struct TriggerServices {
    pub lambda: Option<ServiceEndpoint>,
    pub kms: Option<ServiceEndpoint>,
}

/// One service's settings: its URL (http or https) and both halves of its keys, or neither.
fn endpoint(name: &str, url: Option<String>, access_key_id: Option<String>, secret_access_key: Option<String>) -> Result<Option<ServiceEndpoint>, String> {
    let keys = match (access_key_id, secret_access_key) {
        (Some(access_key_id), Some(secret_access_key)) => Some(AccessKeys { access_key_id, secret_access_key }),
        (None, None) => None,
        _ => return Err(format!("{name}_access_key_id and {name}_secret_access_key go together")),
    };
    let Some(url) = url else {
        return Ok(None);
    };
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("the {name} endpoint must start with http:// or https://, got {url}"));
    }
    Ok(Some(ServiceEndpoint { url, keys }))
}

impl TriggerServices {
    pub fn resolve(args: TriggerServicesArgs, file: TriggerServicesFile) -> Result<TriggerServices, String> {
        Ok(TriggerServices {
            lambda: endpoint(
                "lambda",
                args.lambda_endpoint.or(file.lambda_endpoint),
                args.lambda_access_key_id.or(file.lambda_access_key_id),
                args.lambda_secret_access_key.or(file.lambda_secret_access_key),
            )?,
            kms: endpoint(
                "kms",
                args.kms_endpoint.or(file.kms_endpoint),
                args.kms_access_key_id.or(file.kms_access_key_id),
                args.kms_secret_access_key.or(file.kms_secret_access_key),
            )?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_needs_its_secret_and_an_endpoint_its_scheme() {
        let args = TriggerServicesArgs { kms_endpoint: Some("http://127.0.0.1:4566".into()), kms_access_key_id: Some("AKID".into()), ..Default::default() };
        assert_eq!(TriggerServices::resolve(args, TriggerServicesFile::default()).unwrap_err(), "kms_access_key_id and kms_secret_access_key go together");
        let file = TriggerServicesFile { lambda_endpoint: Some("127.0.0.1:3001".into()), ..Default::default() };
        assert!(TriggerServices::resolve(TriggerServicesArgs::default(), file).unwrap_err().contains("must start with http://"));
    }

    #[test]
    fn flags_win_over_the_file() {
        let args = TriggerServicesArgs { kms_endpoint: Some("https://kms.eu-west-1.amazonaws.com".into()), ..Default::default() };
        let file = TriggerServicesFile {
            kms_endpoint: Some("http://127.0.0.1:4566".into()),
            lambda_endpoint: Some("http://127.0.0.1:3001".into()),
            lambda_access_key_id: Some("AKID".into()),
            lambda_secret_access_key: Some("secret".into()),
            ..Default::default()
        };
        let services = TriggerServices::resolve(args, file).unwrap();
        assert_eq!(services.kms.map(|kms| (kms.url, kms.keys.is_none())), Some(("https://kms.eu-west-1.amazonaws.com".to_string(), true)));
        assert_eq!(services.lambda.and_then(|lambda| lambda.keys).map(|keys| keys.access_key_id), Some("AKID".to_string()));
    }
}
