//! The wire protocol itself: signatures, malformed requests, unknown and unimplemented
//! operations, body limits, CORS, health.

use crate::harness::{error_code, idp_client, idp_client_with_clock_offset, raw_post, Backend, TestServer, ACCESS_KEY_ID};

const TARGET: &str = "AWSCognitoIdentityProviderService";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signatures_are_verified_as_aws_does() {
    let server = TestServer::start(Backend::Sqlite).await;
    server.idp.list_user_pools().max_results(1).send().await.expect("the root key pair signs");

    let wrong_secret = idp_client(&server.base_url, ACCESS_KEY_ID, "not-the-secret");
    let error = wrong_secret.list_user_pools().max_results(1).send().await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidSignatureException");
    let unknown_key = idp_client(&server.base_url, "AKIAUNKNOWNKEY000000", "whatever");
    let error = unknown_key.list_user_pools().max_results(1).send().await.unwrap_err();
    assert_eq!(error_code(&error), "UnrecognizedClientException");
    let skewed = idp_client_with_clock_offset(&server.base_url, -20 * 60);
    let error = skewed.list_user_pools().max_results(1).send().await.unwrap_err();
    assert_eq!(error_code(&error), "InvalidSignatureException");
    let slightly_skewed = idp_client_with_clock_offset(&server.base_url, -5 * 60);
    slightly_skewed.list_user_pools().max_results(1).send().await.expect("a few minutes of skew are allowed");

    let (status, body, headers) = raw_post(&server.base_url, &format!("{TARGET}.ListUserPools"), r#"{"MaxResults": 1}"#).await;
    assert_eq!(status, 403);
    assert_eq!(body["__type"], "MissingAuthenticationTokenException");
    assert_eq!(headers["x-amzn-errortype"], "MissingAuthenticationTokenException");
    assert!(headers.contains_key("x-amzn-requestid"));

    let forged = reqwest::Client::new()
        .post(format!("{}/", server.base_url))
        .header("content-type", "application/x-amz-json-1.1")
        .header("x-amz-target", format!("{TARGET}.ListUserPools"))
        .header("x-amz-date", "20260101T000000Z")
        .header("authorization", "AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/cognito-idp/aws4_request")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let body: serde_json::Value = forged.json().await.unwrap();
    assert_eq!(body["__type"], "IncompleteSignatureException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_requests_get_clear_client_errors() {
    let server = TestServer::start(Backend::Sqlite).await;
    // Unsigned operations reach the body parser without credentials.
    let (status, body, _) = raw_post(&server.base_url, &format!("{TARGET}.InitiateAuth"), "{not json").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "SerializationException");
    let (status, body, _) = raw_post(&server.base_url, &format!("{TARGET}.InitiateAuth"), r#"{"AuthFlow": "USER_PASSWORD_AUTH"}"#).await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "InvalidParameterException", "{body}");
    let unimplemented = server.idp.delete_terms().user_pool_id("us-east-1_abc").terms_id("t").send().await.unwrap_err();
    assert_eq!(unimplemented.raw_response().map(|response| response.status().as_u16()), Some(501), "DeleteTerms is listed but not implemented yet");
    assert_eq!(crate::harness::error_code(&unimplemented), "NotImplementedException");

    let (status, body, _) = raw_post(&server.base_url, &format!("{TARGET}.NoSuchOperation"), "{}").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    let (status, body, _) = raw_post(&server.base_url, "SomeOtherService.Thing", "{}").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    let (status, body, _) = raw_post(&server.base_url, "", "{}").await;
    assert_eq!(status, 400);
    assert_eq!(body["__type"], "UnknownOperationException");

    let oversized = "x".repeat(100 * 1024);
    let (status, body, _) = raw_post(&server.base_url, &format!("{TARGET}.ListUserPools"), &oversized).await;
    assert_eq!(status, 413);
    assert_eq!(body["__type"], "RequestEntityTooLargeException");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_malformed_bodies_are_client_errors() {
    // The insecure development switch lets a plain HTTP client send signed-looking requests with
    // arbitrary bodies; the body checks are the same as for verified requests.
    let data_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let mut config = crate::harness::test_config(data_dir.path(), &format!("sqlite://{}/db", data_dir.path().display()));
    config.insecure_accept_any_signature = true;
    let server = TestServer::start_with(config, data_dir).await;
    let post = |target: &str, body: &str| {
        reqwest::Client::new()
            .post(format!("{}/", server.base_url))
            .header("content-type", "application/x-amz-json-1.1")
            .header("x-amz-target", format!("{TARGET}.{target}"))
            .header("host", "localhost")
            .header("x-amz-date", "20260101T000000Z")
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAANY/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000",
            )
            .body(body.to_string())
            .send()
    };
    let check = |response: reqwest::Response, status: u16, error_type: &'static str| async move {
        assert_eq!(response.status().as_u16(), status);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["__type"], error_type, "{body}");
        body
    };
    check(post("CreateUserPool", "{not json").await.unwrap(), 400, "SerializationException").await;
    check(post("CreateUserPool", "[]").await.unwrap(), 400, "SerializationException").await;
    let body = check(post("CreateUserPool", "{}").await.unwrap(), 400, "InvalidParameterException").await;
    assert_eq!(
        body["message"],
        "1 validation error detected: Value null at 'poolName' failed to satisfy constraint: Member must not be null"
    );
    check(post("CreateUserPool", r#"{"PoolName": 42}"#).await.unwrap(), 400, "SerializationException").await;
    check(post("ListUsers", r#"{"UserPoolId": "us-east-1_abc", "Limit": "ten"}"#).await.unwrap(), 400, "SerializationException").await;
    check(post("CreateUserPool", r#"{"PoolName": "p", "LambdaConfig": "nope"}"#).await.unwrap(), 400, "SerializationException").await;
    // Enumerated and bounded members are refused in AWS's validation wording.
    let body = check(post("RespondToAuthChallenge", r#"{"ClientId": "abc", "ChallengeName": "NOPE"}"#).await.unwrap(), 400, "InvalidParameterException").await;
    assert!(body["message"].as_str().unwrap().starts_with("1 validation error detected: Value 'NOPE' at 'challengeName' failed to satisfy constraint: Member must satisfy enum value set: [SMS_MFA, "), "{body}");
    let body = check(post("ListUserPools", r#"{"MaxResults": 61}"#).await.unwrap(), 400, "InvalidParameterException").await;
    assert_eq!(
        body["message"],
        "1 validation error detected: Value '61' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 60"
    );
    let listed = post("ListUserPools", r#"{"MaxResults": 60}"#).await.unwrap();
    let listed: serde_json::Value = listed.json().await.unwrap();
    assert_eq!(listed["UserPools"].as_array().map(Vec::len), Some(0), "nothing was half-created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_cors() {
    let server = TestServer::start(Backend::Sqlite).await;
    let health = reqwest::get(format!("{}/health", server.base_url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, format!("{}/", server.base_url))
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type,x-amz-target,x-amz-user-agent")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "http://localhost:3000");
    assert_eq!(preflight.headers()["access-control-allow-headers"], "content-type,x-amz-target,x-amz-user-agent");
    let (_, _, headers) = raw_post(&server.base_url, &format!("{TARGET}.ListUserPools"), "{}").await;
    assert!(headers["access-control-expose-headers"].to_str().unwrap().contains("x-amzn-RequestId"));
    let missing = reqwest::get(format!("{}/no/such/path", server.base_url)).await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_answers_503_when_the_database_is_gone() {
    use sqlx::Connection;
    let data_dir = std::sync::Arc::new(tempfile::tempdir().unwrap());
    let url = crate::harness::database_url(Backend::Postgres, data_dir.path()).await;
    let server = TestServer::start_with(crate::harness::test_config(data_dir.path(), &url), data_dir).await;
    let health = reqwest::get(format!("{}/health", server.base_url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);

    let (server_url, database) = url.rsplit_once('/').unwrap();
    let mut admin = sqlx::AnyConnection::connect(&format!("{server_url}/postgres")).await.unwrap();
    sqlx::raw_sql(&format!("DROP DATABASE {database} WITH (FORCE)")).execute(&mut admin).await.unwrap();
    let health = reqwest::get(format!("{}/health", server.base_url)).await.unwrap();
    assert_eq!(health.status().as_u16(), 503);
    let error = server.idp.list_user_pools().max_results(1).send().await.unwrap_err();
    assert_eq!(error_code(&error), "InternalErrorException", "a storage failure is a generic internal error");
}
