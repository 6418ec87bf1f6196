//! User import jobs: GetCSVHeader, CreateUserImportJob (with a pre-signed URL that cognate
//! itself serves for the CSV's upload), StartUserImportJob, StopUserImportJob,
//! DescribeUserImportJob and ListUserImportJobs. The uploaded file is kept in the database in
//! pieces (so any node can run the job) and read back a piece at a time; imported users are
//! RESET_REQUIRED, and each row that fails is kept with its error.

use serde::{Deserialize, Serialize};

use super::{UserPool, UserPoolService};
use crate::crypto::constant_time_eq;
use crate::error::{Constraint, DomainError, DomainResult, InvalidMember};
use crate::ids::UserPoolId;
use crate::records::{Document, Record, Records};

mod csv;
mod run;

/// How long the pre-signed upload URL is good for.
pub const UPLOAD_VALIDITY_SECONDS: i64 = 15 * 60;
/// A job not started within this long is Expired.
const START_WITHIN_MS: i64 = 24 * 60 * 60 * 1000;
/// A running job whose node has not reported for this long is taken to have lost its node.
pub const ABANDONED_AFTER_MS: i64 = 2 * 60 * 1000;
/// Cognito's limit on the file.
pub const MAX_CSV_BYTES: u64 = 100 * 1024 * 1024;
/// The pieces the file is kept in.
pub const CSV_PIECE_BYTES: usize = 256 * 1024;
const UPLOAD_MAC: &str = "user-import-upload";

/// One import job, as DescribeUserImportJob answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserImportJob {
    pub pool_id: String,
    pub job_id: String,
    pub job_name: String,
    pub cloud_watch_logs_role_arn: String,
    pub status: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub completed_ms: Option<i64>,
    pub imported: u64,
    pub skipped: u64,
    pub failed: u64,
    pub completion_message: Option<String>,
    /// The pieces of the uploaded file and its size; None before an upload.
    pub upload: Option<(u32, u64)>,
    /// The upload whose pieces those are (each PUT writes pieces of its own, so two at once
    /// never mix; the last to finish is the file).
    #[serde(default)]
    pub upload_id: Option<String>,
    /// When the node running the job last said it was at work (at the start and after each
    /// thousand rows). A job whose node has been silent for [`ABANDONED_AFTER_MS`] is finished
    /// as `Failed` (`Stopped` if it was stopping) by whoever reads it next.
    #[serde(default)]
    pub beat_ms: Option<i64>,
}

impl Document for UserImportJob {
    const KIND: &'static str = "user-import-job";
}

impl Record for UserImportJob {
    fn scope(&self) -> String {
        self.pool_id.clone()
    }
    fn key(&self) -> String {
        self.job_id.clone()
    }
}

/// A piece of an uploaded file, base64.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct CsvPiece {
    pub data: String,
}

impl Document for CsvPiece {
    const KIND: &'static str = "user-import-csv";
}

/// A row that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRowError {
    pub line: u64,
    pub username: String,
    pub message: String,
    /// Skipped (the user exists) rather than failed.
    pub skipped: bool,
}

impl Document for ImportRowError {
    const KIND: &'static str = "user-import-error";
}

fn job_scope(pool_id: &str, job_id: &str) -> String {
    format!("{pool_id}/{job_id}")
}

/// Where the pieces of one upload of a job are kept.
fn upload_scope(pool_id: &str, job_id: &str, upload_id: &str) -> String {
    format!("{pool_id}/{job_id}/{upload_id}")
}

/// How long an upload's pieces are kept at most: past the day a job has to start, and its run.
const PIECES_KEPT_MS: i64 = 2 * START_WITHIN_MS;

fn not_found(job_id: &str) -> DomainError {
    DomainError::NotFound(format!("Import job {job_id} does not exist."))
}

impl UserPoolService {
    /// GetCSVHeader: the pool's attributes (all but `sub` and `identities`), then
    /// `cognito:mfa_enabled` and `cognito:username`.
    pub async fn get_csv_header(&self, pool_id: &UserPoolId) -> DomainResult<Vec<String>> {
        let pool = self.load_pool(pool_id).await?;
        Ok(csv_header(&pool))
    }

    /// CreateUserImportJob: a job in `Created`, and the URL to PUT its file to.
    pub async fn create_user_import_job(&self, pool_id: &UserPoolId, job_name: &str, role_arn: &str) -> DomainResult<(UserImportJob, String)> {
        let name_ok = (1..=128).contains(&job_name.chars().count())
            && job_name.chars().all(|c| c.is_alphanumeric() || c == '_' || c.is_whitespace() || "+=,.@-".contains(c));
        if !name_ok {
            let constraint = Constraint::PatternAndLength { pattern: "[\\w\\s+=,.@-]+", min: 1, max: 128 };
            return Err(InvalidMember::error("jobName", job_name, constraint));
        }
        super::validation::check_arn("cloudWatchLogsRoleArn", role_arn)?;
        self.load_pool(pool_id).await?;
        let now = self.now();
        let job = UserImportJob {
            pool_id: pool_id.to_string(),
            job_id: format!("import-{:012x}{}", now, &crate::ids::new_uuid()[..8]),
            job_name: job_name.to_string(),
            cloud_watch_logs_role_arn: role_arn.to_string(),
            status: "Created".into(),
            created_ms: now,
            started_ms: None,
            completed_ms: None,
            imported: 0,
            skipped: 0,
            failed: 0,
            completion_message: None,
            upload: None,
            upload_id: None,
            beat_ms: None,
        };
        self.store.write_records(&[job.insert()?]).await?;
        let url = self.upload_url(&job, now / 1000);
        Ok((job, url))
    }

    /// The pre-signed URL of a job's upload, as of `epoch_seconds`.
    pub fn upload_url(&self, job: &UserImportJob, epoch_seconds: i64) -> String {
        let date = crate::clock::amz_date(epoch_seconds);
        let signature = self.upload_signature(&job.pool_id, &job.job_id, &date);
        format!(
            "{}/_cognate/user-import/{}/{}?X-Amz-Date={date}&X-Amz-Expires={UPLOAD_VALIDITY_SECONDS}&X-Amz-Signature={signature}",
            self.issuer_base, job.pool_id, job.job_id
        )
    }

    fn upload_signature(&self, pool_id: &str, job_id: &str, date: &str) -> String {
        hex::encode(self.master_key.mac(UPLOAD_MAC, format!("{pool_id}/{job_id}/{date}/{UPLOAD_VALIDITY_SECONDS}").as_bytes()))
    }

    /// Checks an upload's pre-signed URL (the job must still be `Created`, the signature right and
    /// the URL not expired); answers the id the upload's pieces are kept under.
    pub async fn begin_import_upload(&self, pool_id: &str, job_id: &str, date: &str, signature: &str) -> DomainResult<String> {
        let expected = self.upload_signature(pool_id, job_id, date);
        if !constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            return Err(DomainError::NotAuthorized("The request signature does not match.".into()));
        }
        let signed = crate::clock::parse_amz_date(date).ok_or_else(|| DomainError::NotAuthorized("X-Amz-Date is not a date.".into()))?;
        if self.now() / 1000 > signed + UPLOAD_VALIDITY_SECONDS {
            return Err(DomainError::NotAuthorized("Request has expired".into()));
        }
        let job: UserImportJob = self.store.get_record_of(pool_id, job_id, 0).await?.ok_or_else(|| not_found(job_id))?;
        if job.status != "Created" {
            return Err(DomainError::PreconditionNotMet(format!("Import job {job_id} is {}; its file can no longer be changed.", job.status)));
        }
        Ok(crate::ids::new_uuid())
    }

    /// Stores piece `index` of an upload of a job's file (purged after two days if the upload
    /// never finishes).
    pub async fn store_import_piece(&self, pool_id: &str, job_id: &str, upload_id: &str, index: u32, bytes: &[u8]) -> DomainResult<()> {
        use base64::Engine;
        let piece = CsvPiece { data: base64::engine::general_purpose::STANDARD.encode(bytes) };
        let scope = upload_scope(pool_id, job_id, upload_id);
        self.store.write_records(&[piece.put_at(&scope, &format!("{index:08}"), Some(self.now() + PIECES_KEPT_MS))?]).await?;
        Ok(())
    }

    /// Records a finished upload of `pieces` pieces and `bytes` bytes as the job's file
    /// (compare-and-set: a job started meanwhile keeps the file it started with); the pieces of
    /// the file it replaces are removed.
    pub async fn finish_import_upload(&self, pool_id: &str, job_id: &str, upload_id: &str, pieces: u32, bytes: u64) -> DomainResult<()> {
        let mut replaced = None;
        let changed = self
            .store
            .change_record_of(pool_id, job_id, |job: &mut UserImportJob| {
                if job.status != "Created" {
                    return Err(DomainError::PreconditionNotMet(format!("Import job {job_id} has already started.")));
                }
                replaced = job.upload_id.replace(upload_id.to_string());
                job.upload = Some((pieces, bytes));
                Ok(())
            })
            .await?;
        changed.ok_or_else(|| not_found(job_id))?;
        if let Some(replaced) = replaced {
            self.remove_pieces(pool_id, job_id, &replaced).await?;
        }
        Ok(())
    }

    /// Removes the pieces of one upload of a job.
    pub(crate) async fn remove_pieces(&self, pool_id: &str, job_id: &str, upload_id: &str) -> DomainResult<()> {
        let scope = upload_scope(pool_id, job_id, upload_id);
        self.store.write_records(&[crate::records::RecordWrite::DeleteScope { kind: CsvPiece::KIND, scope }]).await?;
        Ok(())
    }

    /// DescribeUserImportJob (a job never started within a day is `Expired`).
    pub async fn describe_user_import_job(&self, pool_id: &UserPoolId, job_id: &str) -> DomainResult<UserImportJob> {
        self.load_pool(pool_id).await?;
        let job: UserImportJob = self.store.get_record_of(pool_id, job_id, 0).await?.ok_or_else(|| not_found(job_id))?;
        Ok(self.as_seen(self.settled(job).await?))
    }

    /// The job, finished if its node has stopped reporting (see [`UserImportJob::beat_ms`]):
    /// the users it wrote stay, the rest of the file is not read; written once, by
    /// compare-and-set, so a node that is only slow finds the job finished and stops.
    async fn settled(&self, job: UserImportJob) -> DomainResult<UserImportJob> {
        let now = self.now();
        let abandoned = |job: &UserImportJob| {
            matches!(job.status.as_str(), "Pending" | "InProgress" | "Stopping") && job.beat_ms.is_some_and(|beat| now > beat + ABANDONED_AFTER_MS)
        };
        if !abandoned(&job) {
            return Ok(job);
        }
        let changed = self
            .store
            .change_record_of(&job.pool_id, &job.job_id, |job: &mut UserImportJob| {
                if !abandoned(job) {
                    return Ok(());
                }
                job.completed_ms = Some(now);
                if job.status == "Stopping" {
                    job.status = "Stopped".into();
                    job.completion_message = Some("Import job stopped.".into());
                } else {
                    job.status = "Failed".into();
                    job.completion_message = Some(format!(
                        "Import job failed: the server running it stopped before the end of the file; {} users were imported. Import the remaining rows in a new job.",
                        job.imported
                    ));
                }
                Ok(())
            })
            .await?;
        if changed.as_ref().is_some_and(|changed| changed.status != job.status) {
            tracing::warn!(pool_id = job.pool_id, job_id = job.job_id, "an import job's node stopped reporting; the job is finished");
        }
        changed.ok_or_else(|| not_found(&job.job_id))
    }

    fn as_seen(&self, mut job: UserImportJob) -> UserImportJob {
        if job.status == "Created" && self.now() > job.created_ms + START_WITHIN_MS {
            job.status = "Expired".into();
        }
        job
    }

    /// ListUserImportJobs: the pool's jobs, oldest first, `max_results` at a time.
    pub async fn list_user_import_jobs(&self, pool_id: &UserPoolId, max_results: i32, after: Option<&str>) -> DomainResult<super::Page<UserImportJob>> {
        if !(1..=60).contains(&max_results) {
            return Err(InvalidMember::error("maxResults", max_results.to_string(), Constraint::Range { min: 1, max: 60 }));
        }
        self.load_pool(pool_id).await?;
        let limit = max_results as u32;
        let mut jobs: Vec<UserImportJob> = self.store.list_records_of(pool_id, after, limit + 1).await?;
        let next_token = (jobs.len() > limit as usize).then(|| {
            jobs.truncate(limit as usize);
            jobs.last().map(|job| job.job_id.clone()).unwrap_or_default()
        });
        let mut items = Vec::with_capacity(jobs.len());
        for job in jobs {
            items.push(self.as_seen(self.settled(job).await?));
        }
        Ok(super::Page { items, next_token })
    }

    /// StartUserImportJob: a `Created` job whose file was uploaded becomes `Pending`; the caller
    /// then runs it ([`Self::run_user_import_job`]).
    pub async fn start_user_import_job(&self, pool_id: &UserPoolId, job_id: &str) -> DomainResult<UserImportJob> {
        self.load_pool(pool_id).await?;
        let now = self.now();
        let job = self
            .store
            .change_record_of(pool_id, job_id, |job: &mut UserImportJob| {
                if job.status != "Created" || now > job.created_ms + START_WITHIN_MS {
                    return Err(DomainError::PreconditionNotMet(format!("Import job {job_id} cannot be started: it is {}.", self.as_seen(job.clone()).status)));
                }
                if job.upload.is_none() {
                    return Err(DomainError::PreconditionNotMet("No file has been uploaded for this import job.".into()));
                }
                job.status = "Pending".into();
                job.started_ms = Some(now);
                job.beat_ms = Some(now);
                Ok(())
            })
            .await?;
        job.ok_or_else(|| not_found(job_id))
    }

    /// StopUserImportJob: a job not yet finished stops (a running one after the rows it is
    /// writing; `Stopping` until then).
    pub async fn stop_user_import_job(&self, pool_id: &UserPoolId, job_id: &str) -> DomainResult<UserImportJob> {
        self.load_pool(pool_id).await?;
        let now = self.now();
        let job = self
            .store
            .change_record_of(pool_id, job_id, |job: &mut UserImportJob| {
                match job.status.as_str() {
                    "Pending" | "InProgress" => job.status = "Stopping".into(),
                    "Created" => {
                        job.status = "Stopped".into();
                        job.completed_ms = Some(now);
                        job.completion_message = Some("Import job stopped before it started.".into());
                    }
                    other => return Err(DomainError::PreconditionNotMet(format!("Import job {job_id} is {other}; it cannot be stopped."))),
                }
                Ok(())
            })
            .await?;
        job.ok_or_else(|| not_found(job_id))
    }

    /// The rows of a job that were not imported, in file order, from `after_line`.
    pub async fn user_import_errors(&self, pool_id: &UserPoolId, job_id: &str, after_line: Option<u64>, limit: u32) -> DomainResult<Vec<ImportRowError>> {
        self.describe_user_import_job(pool_id, job_id).await?;
        let after = after_line.map(|line| format!("{line:012}"));
        self.store.list_records_of(&job_scope(pool_id, job_id), after.as_deref(), limit.clamp(1, 1000)).await
    }
}

/// The columns an import file may have.
pub(crate) fn csv_header(pool: &UserPool) -> Vec<String> {
    let mut header: Vec<String> = pool
        .shape
        .schema
        .iter()
        .map(|attribute| attribute.name.clone())
        .filter(|name| name != "sub" && name != "identities")
        .collect();
    header.push("cognito:mfa_enabled".into());
    header.push("cognito:username".into());
    header
}
