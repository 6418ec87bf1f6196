//! User import jobs on both backends: the file PUT to the pre-signed URL, the job run, its counts
//! and the imported users.

use aws_sdk_cognitoidentityprovider::types::{MessageActionType, UserImportJobStatusType, UserStatusType};

use crate::harness::{create_pool, error_code, TestServer};
use crate::on_both_backends;

const ROLE: &str = "arn:aws:iam::123456789012:role/CognitoImport";

async fn imports_a_file(server: TestServer) {
    let pool_id = create_pool(&server).await;
    server.idp.admin_create_user().user_pool_id(&pool_id).username("taken").message_action(MessageActionType::Suppress).send().await.unwrap();
    let job = server
        .idp
        .create_user_import_job()
        .user_pool_id(&pool_id)
        .job_name("nightly")
        .cloud_watch_logs_role_arn(ROLE)
        .send()
        .await
        .unwrap()
        .user_import_job
        .unwrap();
    let job_id = job.job_id.unwrap();
    // 2,500 rows: three transactions of the import, one username taken, one row too short.
    let mut csv = String::from("cognito:username,email,email_verified,cognito:mfa_enabled\n");
    for number in 0..2500 {
        csv.push_str(&format!("user{number},user{number}@example.com,true,false\n"));
    }
    csv.push_str("taken,taken@example.com,true,false\nshort\n");
    let url = job.pre_signed_url.unwrap();
    let client = reqwest::Client::new();
    let forged = client.put(url.replace("X-Amz-Signature=", "X-Amz-Signature=00")).body("cognito:username\nmallory\n").send().await.unwrap();
    assert_eq!(forged.status().as_u16(), 403);
    let uploaded = client.put(&url).header("x-amz-server-side-encryption", "aws:kms").body(csv).send().await.unwrap();
    assert_eq!(uploaded.status().as_u16(), 200);
    server.idp.start_user_import_job().user_pool_id(&pool_id).job_id(&job_id).send().await.unwrap();
    let mut finished = None;
    for _ in 0..300 {
        let described = server.idp.describe_user_import_job().user_pool_id(&pool_id).job_id(&job_id).send().await.unwrap().user_import_job.unwrap();
        if described.status == Some(UserImportJobStatusType::Succeeded) || described.status == Some(UserImportJobStatusType::Failed) {
            finished = Some(described);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let finished = finished.expect("the job finishes");
    assert_eq!(finished.status, Some(UserImportJobStatusType::Succeeded));
    assert_eq!((finished.imported_users, finished.skipped_users, finished.failed_users), (2500, 1, 1));
    let user = server.idp.admin_get_user().user_pool_id(&pool_id).username("user2499").send().await.unwrap();
    assert_eq!(user.user_status, Some(UserStatusType::ResetRequired));
    let again = server.idp.start_user_import_job().user_pool_id(&pool_id).job_id(&job_id).send().await.unwrap_err();
    assert_eq!(error_code(&again), "PreconditionNotMetException");
}

on_both_backends!(import_jobs_import_a_file, super::imports_a_file);
