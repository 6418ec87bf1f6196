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

/// A job whose node dies mid-file does not stay InProgress for ever: once its node has been
/// silent for two minutes, the next Describe finishes it as Failed with what it imported, once.
/// (The dead node is made by writing the job back to InProgress in the database, as a node that
/// stopped after its first thousand rows leaves it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_whose_node_died_is_finished_as_failed() {
    use std::sync::Arc;
    let started = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as i64;
    let clock = Arc::new(cognate_domain::clock::ManualClock::new(started));
    let data_dir = Arc::new(tempfile::tempdir().unwrap());
    let database = data_dir.path().join("db");
    let url = format!("sqlite://{}", database.display());
    let server = TestServer::start_with_clock(crate::harness::test_config(data_dir.path(), &url), data_dir.clone(), clock.clone()).await;
    let pool_id = create_pool(&server).await;
    let job = server.idp.create_user_import_job().user_pool_id(&pool_id).job_name("dies").cloud_watch_logs_role_arn(ROLE).send().await.unwrap().user_import_job.unwrap();
    let job_id = job.job_id.unwrap();
    let uploaded = reqwest::Client::new().put(job.pre_signed_url.unwrap()).body("cognito:username,email\nann,ann@example.com\n").send().await.unwrap();
    assert_eq!(uploaded.status().as_u16(), 200);
    server.idp.start_user_import_job().user_pool_id(&pool_id).job_id(&job_id).send().await.unwrap();
    let describe = || async { server.idp.describe_user_import_job().user_pool_id(&pool_id).job_id(&job_id).send().await.unwrap().user_import_job.unwrap() };
    for _ in 0..100 {
        if describe().await.status == Some(UserImportJobStatusType::Succeeded) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let writer = sqlx::SqlitePool::connect(&format!("sqlite://{}", database.display())).await.unwrap();
    let (data,): (String,) = sqlx::query_as("SELECT data FROM records WHERE kind = 'user-import-job' AND key = ?").bind(&job_id).fetch_one(&writer).await.unwrap();
    let mut stored: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(stored["status"], "Succeeded", "{stored}");
    stored["status"] = "InProgress".into();
    stored["completed_ms"] = serde_json::Value::Null;
    stored["completion_message"] = serde_json::Value::Null;
    stored["beat_ms"] = started.into();
    sqlx::query("UPDATE records SET data = ? WHERE kind = 'user-import-job' AND key = ?").bind(stored.to_string()).bind(&job_id).execute(&writer).await.unwrap();
    writer.close().await;

    clock.advance_millis(60_000);
    assert_eq!(describe().await.status, Some(UserImportJobStatusType::InProgress), "a node silent for a minute may only be slow");
    clock.advance_millis(61_000);
    let finished = describe().await;
    assert_eq!(finished.status, Some(UserImportJobStatusType::Failed));
    assert_eq!(finished.imported_users, 1, "what it wrote is kept and counted");
    assert!(finished.completion_message.as_deref().unwrap_or("").contains("stopped before the end"), "{:?}", finished.completion_message);
    let listed = server.idp.list_user_import_jobs().user_pool_id(&pool_id).max_results(10).send().await.unwrap();
    assert_eq!(listed.user_import_jobs()[0].status, Some(UserImportJobStatusType::Failed));
    let stop = server.idp.stop_user_import_job().user_pool_id(&pool_id).job_id(&job_id).send().await.unwrap_err();
    assert_eq!(error_code(&stop), "PreconditionNotMetException");
    server.stop().await;
}
