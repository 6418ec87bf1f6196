//! Generated inputs for every decoder a request passes through: AWS JSON 1.1 (cognito-idp and
//! cognito-identity, signed and unsigned), the query protocol (IAM, STS), the sync REST API,
//! SigV4 headers and presigned URLs, JWTs, SRP values, the hosted forms and the SAML bindings.
//! Thousands of cases from a seeded generator (`COGNATE_FUZZ_SEED`, `COGNATE_FUZZ_CASES`); every
//! one must get an answer (no panic, no dropped connection) that is not a server error (501 for
//! an operation cognate does not implement is allowed).

use std::sync::Arc;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Map, Value};

use crate::federation::{root, signed_request};
use crate::harness::{database_url, test_config, Backend, TestServer};

const MEMBERS: &[&str] = &[
    "UserPoolId", "ClientId", "Username", "Password", "PreviousPassword", "ProposedPassword", "AuthFlow", "AuthParameters",
    "ChallengeName", "ChallengeResponses", "Session", "AccessToken", "RefreshToken", "Token", "UserAttributes",
    "AttributeNames", "Filter", "Limit", "PaginationToken", "MaxResults", "NextToken", "IdentityPoolId", "IdentityId",
    "Logins", "LoginsToRemove", "IdentityPoolName", "AllowUnauthenticatedIdentities", "Roles", "RoleMappings",
    "ConfirmationCode", "SecretHash", "Schema", "PoolName", "Policies", "GroupName", "Precedence", "ResourceArn", "Tags",
    "TagKeys", "ClientName", "ExplicitAuthFlows", "CallbackURLs", "AllowedOAuthFlows", "Domain", "ProviderName",
    "ProviderType", "ProviderDetails", "AttributeMapping", "IdpIdentifiers", "Identifier", "Scopes", "IdentityIdsToDelete",
    "DeveloperProviderName", "DeveloperUserIdentifier", "TokenDuration", "CustomAttributes", "TemporaryPassword",
    "MessageAction", "DesiredDeliveryMediums", "ForceAliasCreation", "ClientMetadata", "UserContextData",
    "AnalyticsMetadata", "SyncSessionToken", "RecordPatches", "DeviceId", "Platform", "CognitoStreams", "PushSync",
];

const IDP_OPERATIONS: &[&str] = &[
    "InitiateAuth", "RespondToAuthChallenge", "SignUp", "ConfirmSignUp", "ResendConfirmationCode", "ForgotPassword",
    "ConfirmForgotPassword", "GetUser", "UpdateUserAttributes", "DeleteUserAttributes", "ChangePassword", "GlobalSignOut",
    "RevokeToken", "VerifyUserAttribute", "GetUserAttributeVerificationCode", "DeleteUser", "CreateUserPool",
    "DescribeUserPool", "UpdateUserPool", "ListUserPools", "CreateUserPoolClient", "UpdateUserPoolClient",
    "AdminCreateUser", "AdminGetUser", "AdminUpdateUserAttributes", "AdminSetUserPassword", "AdminInitiateAuth",
    "AdminRespondToAuthChallenge", "ListUsers", "CreateGroup", "AdminAddUserToGroup", "ListUsersInGroup",
    "CreateUserPoolDomain", "DescribeUserPoolDomain", "CreateIdentityProvider", "SetUICustomization",
    "CreateResourceServer", "TagResource", "UntagResource", "ListTagsForResource", "AdminLinkProviderForUser",
    "AddCustomAttributes", "AssociateSoftwareToken", "NoSuchOperation",
];

const IDENTITY_OPERATIONS: &[&str] = &[
    "GetId", "GetCredentialsForIdentity", "GetOpenIdToken", "UnlinkIdentity", "CreateIdentityPool", "DescribeIdentityPool",
    "UpdateIdentityPool", "SetIdentityPoolRoles", "GetIdentityPoolRoles", "ListIdentities", "DescribeIdentity",
    "DeleteIdentities", "GetOpenIdTokenForDeveloperIdentity", "LookupDeveloperIdentity", "MergeDeveloperIdentities",
    "ListIdentityPools", "TagResource",
];

const QUERY_ACTIONS: &[&str] = &[
    "AssumeRoleWithWebIdentity", "GetCallerIdentity", "AssumeRole", "CreateRole", "GetRole", "ListRoles", "PutRolePolicy",
    "GetRolePolicy", "DeleteRole", "CreateOpenIDConnectProvider", "GetOpenIDConnectProvider", "SimulatePrincipalPolicy",
    "TagRole", "UpdateAssumeRolePolicy", "NoSuchAction", "AssumeRoleWithSAML", "CreateSAMLProvider", "UpdateSAMLProvider",
    "SimulateCustomPolicy",
];

/// SAML documents the SAML members are built from: each mutated, then base64-encoded (a
/// response) or sent as it is (metadata).
const SAML_SHAPES: &[&str] = &[
    include_str!("../../../domain/src/saml/testdata/response_signed_assertion.xml"),
    include_str!("../../../domain/src/saml/testdata/response_signed_response.xml"),
    "<samlp:Response xmlns:samlp=\"urn:oasis:names:tc:SAML:2.0:protocol\" xmlns:saml=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"r\" Version=\"2.0\"><samlp:Status><samlp:StatusCode Value=\"urn:oasis:names:tc:SAML:2.0:status:Success\"/></samlp:Status><saml:Assertion ID=\"a\" Version=\"2.0\"><saml:Issuer>x</saml:Issuer><ds:Signature xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><ds:SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/><ds:Reference URI=\"#a\"><ds:Transforms><ds:Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/></ds:Transforms><ds:DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature><saml:Subject><saml:NameID>n</saml:NameID></saml:Subject></saml:Assertion></samlp:Response>",
    "<!DOCTYPE r [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;\">]><r>&b;</r>",
    "<md:EntityDescriptor xmlns:md=\"urn:oasis:names:tc:SAML:2.0:metadata\" entityID=\"e\"><md:IDPSSODescriptor><md:KeyDescriptor><ds:KeyInfo xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\"><ds:X509Data><ds:X509Certificate>MIIB</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor></md:IDPSSODescriptor></md:EntityDescriptor>",
];

struct Generator {
    rng: StdRng,
}

impl Generator {
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.rng.gen_range(0..items.len())]
    }

    fn chance(&mut self, percent: u32) -> bool {
        self.rng.gen_range(0..100) < percent
    }

    fn string(&mut self) -> String {
        match self.rng.gen_range(0..12) {
            0 => String::new(),
            1 => "x".repeat(self.rng.gen_range(100..5000)),
            2 => "üñíçødé ✓ 🙂 \u{202e}".into(),
            3 => "\u{0}\u{1}\n\r\t\"'\\<>&".into(),
            4 => format!("us-east-1_{}", { let length = self.rng.gen_range(0..12); self.ascii(length) }),
            5 => format!("us-east-1:{}", uuid::Uuid::new_v4()),
            6 => self.rng.gen::<i64>().to_string(),
            7 => "arn:aws:iam::123456789012:role/x".into(),
            8 => format!("{}.{}.{}", self.base64(20), self.base64(40), self.base64(30)),
            9 => "%00%ff%zz".into(),
            10 => "${cognito-identity.amazonaws.com:sub}*".into(),
            _ => { let length = self.rng.gen_range(1..40); self.ascii(length) },
        }
    }

    fn ascii(&mut self, length: usize) -> String {
        (0..length).map(|_| char::from(self.rng.gen_range(0x20u8..0x7f))).collect()
    }

    fn base64(&mut self, length: usize) -> String {
        let bytes: Vec<u8> = (0..length).map(|_| self.rng.gen()).collect();
        URL_SAFE_NO_PAD.encode(bytes)
    }

    fn value(&mut self, depth: u32) -> Value {
        let kind = if depth > 3 { self.rng.gen_range(0..5) } else { self.rng.gen_range(0..8) };
        match kind {
            0 => Value::Null,
            1 => json!(self.rng.gen::<bool>()),
            2 => match self.rng.gen_range(0..4) {
                0 => json!(self.rng.gen::<i64>()),
                1 => json!(self.rng.gen::<f64>() * 1e300),
                2 => json!(-1),
                _ => json!(self.rng.gen_range(0..100)),
            },
            3 | 4 => json!(self.string()),
            5 => Value::Array((0..self.rng.gen_range(0..6)).map(|_| self.value(depth + 1)).collect()),
            _ => self.object(depth + 1),
        }
    }

    fn object(&mut self, depth: u32) -> Value {
        let mut object = Map::new();
        for _ in 0..self.rng.gen_range(0..8) {
            let name = if self.chance(80) { self.pick(MEMBERS).to_string() } else { self.string() };
            let value = self.value(depth);
            object.insert(name, value);
        }
        Value::Object(object)
    }

    /// A body: usually a JSON object with known members, sometimes text that is not JSON.
    fn json_body(&mut self, seed: Option<Value>) -> String {
        let mut value = seed.unwrap_or_else(|| self.object(0));
        if let Value::Object(object) = &mut value {
            for _ in 0..self.rng.gen_range(0..3) {
                let name = self.pick(MEMBERS).to_string();
                let replacement = self.value(1);
                object.insert(name, replacement);
            }
        }
        let text = value.to_string();
        match self.rng.gen_range(0..10) {
            0 => self.mutate(&text),
            1 => {
                let keep = self.rng.gen_range(0..=text.chars().count());
                text.chars().take(keep).collect()
            }
            2 => "[]".into(),
            3 => "null".into(),
            4 => format!("{{\"a\":{}}}", "[".repeat(self.rng.gen_range(1..200))),
            _ => text,
        }
    }

    /// Flips, deletes and inserts characters.
    fn mutate(&mut self, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..self.rng.gen_range(1..6) {
            if chars.is_empty() {
                chars.push('{');
            }
            let at = self.rng.gen_range(0..chars.len());
            match self.rng.gen_range(0..3) {
                0 => chars[at] = char::from(self.rng.gen_range(0x20u8..0x7f)),
                1 => {
                    chars.remove(at);
                }
                _ => chars.insert(at, *self.pick(&['"', '{', '}', '[', ']', ',', ':', '\\', '\u{0}', 'é'])),
            }
        }
        chars.into_iter().collect()
    }

    fn form(&mut self, pairs: &[(String, String)]) -> String {
        pairs
            .iter()
            .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
            .collect::<Vec<_>>()
            .join("&")
    }

    fn jwt(&mut self) -> String {
        let header = match self.rng.gen_range(0..5) {
            0 => json!({"alg": "none"}),
            1 => json!({"alg": "RS256", "kid": self.string()}),
            2 => json!({"alg": "HS256", "typ": "JWT"}),
            3 => self.value(2),
            _ => json!({"alg": "RS256", "kid": "x", "jku": "http://127.0.0.1:1/"}),
        };
        let claims = match self.rng.gen_range(0..3) {
            0 => json!({"iss": self.string(), "token_use": "access", "exp": self.rng.gen::<i64>(), "origin_jti": self.string(), "username": self.string(), "client_id": self.string(), "scope": "aws.cognito.signin.user.admin"}),
            1 => self.value(2),
            _ => json!({"sub": self.string(), "aud": self.value(2), "iat": "now"}),
        };
        let part = |value: &Value| URL_SAFE_NO_PAD.encode(value.to_string());
        let mut token = format!("{}.{}.{}", part(&header), part(&claims), { let length = self.rng.gen_range(0..300); self.base64(length) });
        if self.chance(20) {
            token = self.mutate(&token);
        }
        token
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) { (byte as char).to_string() } else { format!("%{byte:02X}") })
        .collect()
}

/// One generated request.
struct Case {
    what: &'static str,
    method: &'static str,
    path: String,
    headers: Vec<(String, String)>,
    body: String,
    /// Sign for this service with the root credentials.
    sign_as: Option<&'static str>,
}

fn idp_headers(operation: &str) -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/x-amz-json-1.1".into()),
        ("x-amz-target".into(), format!("AWSCognitoIdentityProviderService.{operation}")),
    ]
}

fn generate(generator: &mut Generator, pool: &str, client: &str) -> Case {
    let json_case = |what, operation: &str, body: String, sign_as| Case { what, method: "POST", path: "/".into(), headers: idp_headers(operation), body, sign_as };
    match generator.rng.gen_range(0..11) {
        0 | 1 => {
            let operation = *generator.pick(IDP_OPERATIONS);
            let body = generator.json_body(None);
            json_case("aws-json unsigned", operation, body, None)
        }
        2 => {
            let operation = *generator.pick(IDP_OPERATIONS);
            let seed = json!({"UserPoolId": pool, "Username": generator.string()});
            let body = generator.json_body(Some(seed));
            json_case("aws-json signed", operation, body, Some("cognito-idp"))
        }
        3 => {
            let operation = *generator.pick(IDENTITY_OPERATIONS);
            let body = generator.json_body(None);
            let sign = generator.chance(50).then_some("cognito-identity");
            Case {
                what: "cognito-identity",
                method: "POST",
                path: "/".into(),
                headers: vec![
                    ("content-type".into(), "application/x-amz-json-1.1".into()),
                    ("x-amz-target".into(), format!("AWSCognitoIdentityService.{operation}")),
                ],
                body,
                sign_as: sign,
            }
        }
        4 => {
            let action = generator.pick(QUERY_ACTIONS).to_string();
            let mut pairs = vec![("Action".to_string(), action)];
            if generator.chance(80) {
                let version = if generator.chance(50) { "2010-05-08" } else { "2011-06-15" };
                pairs.push(("Version".into(), version.into()));
            }
            if generator.chance(30) {
                let shape = generator.pick(SAML_SHAPES).to_string();
                let mut document = generator.mutate(&shape);
                // Past the 1,000 characters IAM wants of metadata, sometimes.
                if generator.chance(50) {
                    document.push_str(&" ".repeat(1000));
                }
                pairs.push(("SAMLAssertion".into(), base64::engine::general_purpose::STANDARD.encode(&document)));
                pairs.push(("SAMLMetadataDocument".into(), document));
                pairs.push(("PrincipalArn".into(), "arn:aws:iam::000000000000:saml-provider/Corp".into()));
            }
            for _ in 0..generator.rng.gen_range(0..8) {
                let name = match generator.rng.gen_range(0..4) {
                    0 => format!("Tags.member.{}.Key", generator.rng.gen_range(0..5)),
                    1 => format!("ClientIDList.member.{}", generator.rng.gen_range(0..5)),
                    2 => generator.string(),
                    _ => generator.pick(&["RoleName", "RoleArn", "WebIdentityToken", "RoleSessionName", "PolicyDocument", "AssumeRolePolicyDocument", "Url", "DurationSeconds", "PolicySourceArn", "ActionNames.member.1", "Policy", "Name", "SAMLProviderArn", "PolicyInputList.member.1"]).to_string(),
                };
                pairs.push((name, generator.string()));
            }
            let mut body = generator.form(&pairs);
            if generator.chance(10) {
                body = generator.mutate(&body);
            }
            let service = if pairs.iter().any(|(_, value)| value == "2010-05-08") { "iam" } else { "sts" };
            Case {
                what: "query",
                method: "POST",
                path: "/".into(),
                headers: vec![("content-type".into(), "application/x-www-form-urlencoded; charset=utf-8".into())],
                body,
                sign_as: generator.chance(80).then_some(service),
            }
        }
        5 => {
            let segment = |generator: &mut Generator| if generator.chance(70) { encode(&generator.string()) } else { "us-east-1%3Ax".into() };
            let path = match generator.rng.gen_range(0..5) {
                0 => "/identitypools".to_string(),
                1 => format!("/identitypools/{}", segment(generator)),
                2 => format!("/identitypools/{}/identities/{}/datasets", segment(generator), segment(generator)),
                3 => format!("/identitypools/{}/identities/{}/datasets/{}", segment(generator), segment(generator), segment(generator)),
                _ => format!("/identitypools/{}/identities/{}/datasets/{}/records?maxResults={}&lastSyncCount={}", segment(generator), segment(generator), segment(generator), segment(generator), segment(generator)),
            };
            let method = *generator.pick(&["GET", "POST", "DELETE", "PUT"]);
            let body = if method == "POST" { generator.json_body(None) } else { String::new() };
            Case {
                what: "sync REST",
                method,
                path,
                headers: vec![("content-type".into(), "application/json".into())],
                body,
                sign_as: generator.chance(70).then_some("cognito-sync"),
            }
        }
        6 => {
            // A hand-made Authorization header and date.
            let credential = match generator.rng.gen_range(0..4) {
                0 => format!("AKIATESTROOT00000001/20260101/us-east-1/cognito-idp/aws4_request"),
                1 => generator.string(),
                2 => "AKIA/2026/x/y/z/aws4_request/extra".into(),
                _ => format!("{}/{}", generator.ascii(20), generator.ascii(30)),
            };
            let signed_headers = generator.pick(&["host;x-amz-date", "", ";;;", "HOST;X-AMZ-DATE;content-type;x-amz-target", "x-amz-date"]).to_string();
            let signature = if generator.chance(50) { "0".repeat(64) } else { { let length = generator.rng.gen_range(0..80); generator.ascii(length) } };
            let operation = *generator.pick(IDP_OPERATIONS);
            let mut headers = idp_headers(operation);
            headers.push(("authorization".into(), format!("AWS4-HMAC-SHA256 Credential={credential}, SignedHeaders={signed_headers}, Signature={signature}")));
            if generator.chance(70) {
                let date = if generator.chance(50) { "20260101T000000Z".to_string() } else { generator.ascii(16) };
                headers.push(("x-amz-date".into(), date));
            }
            if generator.chance(30) {
                headers.push(("x-amz-security-token".into(), generator.ascii(50)));
            }
            Case { what: "sigv4 header", method: "POST", path: "/".into(), headers, body: generator.json_body(None), sign_as: None }
        }
        7 => {
            let mut pairs: Vec<(String, String)> = Vec::new();
            for name in ["IdentityPoolId", "IdentityId", "DeviceId", "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"] {
                if generator.chance(75) {
                    let value = match name {
                        "X-Amz-Algorithm" => "AWS4-HMAC-SHA256".to_string(),
                        "X-Amz-Expires" => generator.pick(&["0", "1", "604801", "-5", "abc", "300"]).to_string(),
                        "X-Amz-Date" => generator.pick(&["20260101T000000Z", "99999999T999999Z", ""]).to_string(),
                        "X-Amz-Credential" => format!("AKIATESTROOT00000001/20260101/{}/cognito-sync/aws4_request", generator.ascii(5)),
                        _ => generator.string(),
                    };
                    pairs.push((name.to_string(), value));
                }
            }
            Case { what: "presigned URL", method: "GET", path: format!("/sync/push?{}", generator.form(&pairs)), headers: vec![], body: String::new(), sign_as: None }
        }
        8 => {
            let token = generator.jwt();
            match generator.rng.gen_range(0..3) {
                0 => json_case("JWT GetUser", "GetUser", json!({"AccessToken": token}).to_string(), None),
                1 => Case {
                    what: "JWT userInfo",
                    method: "GET",
                    path: format!("/{pool}/oauth2/userInfo"),
                    headers: vec![("authorization".into(), format!("Bearer {}", token.chars().filter(|c| c.is_ascii_graphic()).collect::<String>()))],
                    body: String::new(),
                    sign_as: None,
                },
                _ => Case {
                    what: "JWT GetId",
                    method: "POST",
                    path: "/".into(),
                    headers: vec![
                        ("content-type".into(), "application/x-amz-json-1.1".into()),
                        ("x-amz-target".into(), "AWSCognitoIdentityService.GetId".into()),
                    ],
                    body: json!({"IdentityPoolId": "us-east-1:00000000-0000-0000-0000-000000000000", "Logins": {format!("cognito-idp.us-east-1.amazonaws.com/{pool}"): token, "accounts.google.com": generator.jwt()}}).to_string(),
                    sign_as: None,
                },
            }
        }
        9 => {
            let srp_a = match generator.rng.gen_range(0..6) {
                0 => "0".to_string(),
                1 => "f".repeat(generator.rng.gen_range(1..2000)),
                2 => generator.string(),
                3 => "-1".into(),
                _ => (0..768).map(|_| *generator.pick(&['0', '1', '7', 'a', 'f'])).collect(),
            };
            if generator.chance(50) {
                let body = json!({"ClientId": client, "AuthFlow": "USER_SRP_AUTH", "AuthParameters": {"USERNAME": generator.pick(&["alice", "nobody"]), "SRP_A": srp_a}});
                json_case("SRP start", "InitiateAuth", body.to_string(), None)
            } else {
                let responses = json!({
                    "USERNAME": "alice",
                    "PASSWORD_CLAIM_SECRET_BLOCK": if generator.chance(50) { { let length = generator.rng.gen_range(0..400); generator.base64(length) } } else { generator.string() },
                    "PASSWORD_CLAIM_SIGNATURE": generator.string(),
                    "TIMESTAMP": generator.pick(&["Mon Jan 1 00:00:00 UTC 2026", "", "Tue Feb 30 25:61:61 UTC 99999"]).to_string(),
                });
                let body = json!({"ClientId": client, "ChallengeName": "PASSWORD_VERIFIER", "ChallengeResponses": responses});
                json_case("SRP answer", "RespondToAuthChallenge", body.to_string(), None)
            }
        }
        _ => {
            let page = *generator.pick(&["login", "signup", "confirm", "confirmForgotPassword", "forgotPassword", "newPassword", "oauth2/token", "oauth2/revoke", "logout", "oauth2/authorize", "oauth2/idpresponse", "saml2/idpresponse", "saml2/logout"]);
            let mut pairs = Vec::new();
            for name in ["client_id", "redirect_uri", "response_type", "scope", "state", "code", "code_verifier", "username", "password", "_csrf", "grant_type", "refresh_token", "identity_provider", "code_challenge", "code_challenge_method", "token", "email", "SAMLRequest", "SAMLResponse", "RelayState", "SigAlg", "Signature"] {
                if generator.chance(40) {
                    let value = match name {
                        "client_id" if generator.chance(50) => client.to_string(),
                        // A SAML message of the right encoding, holding noise.
                        "SAMLRequest" | "SAMLResponse" | "Signature" if generator.chance(50) => { let length = generator.rng.gen_range(0..600); generator.base64(length) }
                        _ => generator.string(),
                    };
                    pairs.push((name.to_string(), value));
                }
            }
            let form = generator.form(&pairs);
            let get = matches!(page, "logout" | "oauth2/authorize") || generator.chance(20);
            let mut headers = vec![("content-type".into(), "application/x-www-form-urlencoded".into())];
            if generator.chance(50) {
                headers.push(("cookie".into(), format!("cognate-csrf={}; cognate-session={}", generator.ascii(20), generator.ascii(30)).replace(';', "; ")));
            }
            if generator.chance(20) {
                headers.push(("authorization".into(), format!("Basic {}", generator.base64(30))));
            }
            Case {
                what: "hosted form",
                method: if get { "GET" } else { "POST" },
                path: if get { format!("/{pool}/{page}?{form}") } else { format!("/{pool}/{page}") },
                headers,
                body: if get { String::new() } else { form },
                sign_as: None,
            }
        }
    }
}

async fn send(base: &str, case: &Case) -> Result<u16, String> {
    let url = format!("{base}{}", case.path);
    if let Some(service) = case.sign_as {
        let headers: Vec<(&str, &str)> = case.headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
        let outcome = tokio::spawn({
            let (method, url, body) = (case.method, url.clone(), case.body.clone());
            let headers: Vec<(String, String)> = headers.iter().map(|(name, value)| (name.to_string(), value.to_string())).collect();
            async move {
                let headers: Vec<(&str, &str)> = headers.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
                signed_request(method, &url, service, &root(), &headers, &body).await.0
            }
        })
        .await;
        return outcome.map_err(|error| format!("the signed request failed: {error}"));
    }
    let method = reqwest::Method::from_bytes(case.method.as_bytes()).unwrap();
    let mut request = reqwest::Client::new().request(method, &url).body(case.body.clone());
    for (name, value) in &case.headers {
        request = request.header(name.as_str(), value.as_str());
    }
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            response.bytes().await.map_err(|error| format!("reading the answer: {error}"))?;
            Ok(status)
        }
        Err(error) if error.is_builder() => Ok(0),
        Err(error) => Err(format!("no answer: {error}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_inputs_never_cause_server_errors() {
    let seed: u64 = std::env::var("COGNATE_FUZZ_SEED").ok().and_then(|text| text.parse().ok()).unwrap_or(20_261_204);
    let cases: usize = std::env::var("COGNATE_FUZZ_CASES").ok().and_then(|text| text.parse().ok()).unwrap_or(3000);
    let data = Arc::new(tempfile::tempdir().unwrap());
    let url = database_url(Backend::Sqlite, data.path()).await;
    let mut config = test_config(data.path(), &url);
    config.rate_limit_per_address = 0;
    config.rate_limit_per_client = 0;
    let server = TestServer::start_with(config, data).await;
    let pool = crate::harness::create_pool(&server).await;
    let (status, created) = crate::trust::idp_call(
        &server.base_url,
        &root(),
        "CreateUserPoolClient",
        json!({"UserPoolId": pool, "ClientName": "fuzz", "ExplicitAuthFlows": ["ALLOW_USER_SRP_AUTH", "ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
               "AllowedOAuthFlowsUserPoolClient": true, "AllowedOAuthFlows": ["code"], "AllowedOAuthScopes": ["openid"], "CallbackURLs": ["https://app.example.com/cb"], "SupportedIdentityProviders": ["COGNITO"]}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let client = created["UserPoolClient"]["ClientId"].as_str().unwrap().to_string();
    let (status, body) = crate::trust::idp_call(&server.base_url, &root(), "AdminCreateUser", json!({"UserPoolId": pool, "Username": "alice", "MessageAction": "SUPPRESS", "TemporaryPassword": "Temp-Pass-123"})).await;
    assert_eq!(status, 200, "{body}");
    // A SAML provider for the fixture IdP, so AssumeRoleWithSAML cases reach the verifier.
    let metadata = include_str!("../../../domain/src/saml/testdata/idp_metadata.xml");
    let (status, body) = crate::federation::query(&server.base_url, "iam", &root(), &[("Action", "CreateSAMLProvider"), ("Name", "Corp"), ("SAMLMetadataDocument", metadata)]).await;
    assert_eq!(status, 200, "{body}");

    let mut generator = Generator { rng: StdRng::seed_from_u64(seed) };
    let generated: Vec<Case> = (0..cases).map(|_| generate(&mut generator, &pool, &client)).collect();
    let base = server.base_url.clone();
    let outcomes: Vec<(usize, Result<u16, String>)> = futures_util::stream::iter(generated.iter().enumerate())
        .map(|(index, case)| {
            let base = base.clone();
            async move { (index, send(&base, case).await) }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    let mut failures = Vec::new();
    let mut by_kind: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for (index, outcome) in &outcomes {
        let case = &generated[*index];
        let entry = by_kind.entry(case.what).or_default();
        entry.0 += 1;
        match outcome {
            Ok(status) if (500..600).contains(status) && *status != 501 => {
                failures.push(format!("{} {} {} -> {status}: headers {:?} body {:?}", case.what, case.method, case.path, case.headers, case.body.chars().take(300).collect::<String>()))
            }
            Ok(status) if (400..500).contains(status) => entry.1 += 1,
            Ok(_) => {}
            Err(error) => failures.push(format!("{} {} {}: {error}", case.what, case.method, case.path)),
        }
    }
    eprintln!("fuzz seed {seed}, {cases} cases; (sent, refused with 4xx) by decoder: {by_kind:?}");
    assert!(failures.is_empty(), "{} of {cases} cases failed (seed {seed}):\n{}", failures.len(), failures.join("\n"));
    assert!(by_kind.len() >= 10, "every decoder was exercised: {by_kind:?}");
    let health = reqwest::get(format!("{}/health", server.base_url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200, "the server is still well");
}
