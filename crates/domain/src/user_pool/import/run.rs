//! Running an import job: the file read back a piece at a time, its rows turned into users
//! (RESET_REQUIRED, no password: each sets one through ForgotPassword) and written a thousand to
//! a transaction, the job's counts brought up to date after each thousand, where a stop is seen.

use base64::Engine;

use super::csv::{CsvReader, Row};
use super::{csv_header, job_scope, not_found, upload_scope, CsvPiece, ImportRowError, UserImportJob};
use crate::error::{DomainError, DomainResult};
use crate::records::{Document, Records};
use crate::store::ConflictOn;
use crate::user_pool::mfa::MfaFactor;
use crate::user_pool::{Attribute, User, UserPool, UserPoolService, UserStatus};

/// Users written in one transaction.
const BATCH: usize = 1000;
/// Row errors kept per job; the counts go on past them.
const MAX_KEPT_ERRORS: u64 = 10_000;

/// Where a job's reading stands.
struct Progress {
    header: Option<Vec<String>>,
    batch: Vec<(u64, User)>,
    errors: Vec<ImportRowError>,
    kept_errors: u64,
    stopped: bool,
}

impl UserPoolService {
    /// Runs a `Pending` job to its end: `Succeeded` once every row is read (rows that fail are
    /// counted and kept with their errors), `Stopped` when StopUserImportJob asked, `Failed` when
    /// the file cannot be read as an import file (its header) or the database fails.
    pub async fn run_user_import_job(&self, pool_id: &str, job_id: &str) -> DomainResult<UserImportJob> {
        let pool = self.load_pool(pool_id).await?;
        let now = self.now();
        let job = self
            .store
            .change_record_of(pool_id, job_id, |job: &mut UserImportJob| {
                if job.status != "Pending" {
                    return Err(DomainError::PreconditionNotMet(format!("Import job {job_id} is {}, not Pending.", job.status)));
                }
                job.status = "InProgress".into();
                job.beat_ms = Some(now);
                Ok(())
            })
            .await?
            .ok_or_else(|| not_found(job_id))?;
        let outcome = self.import_rows(&pool, &job).await;
        // The file is read (or will not be): its pieces go.
        if let Some(upload_id) = &job.upload_id {
            if let Err(error) = self.remove_pieces(pool_id, job_id, upload_id).await {
                tracing::warn!(pool_id, job_id, %error, "removing an import file's pieces; they expire in two days");
            }
        }
        let now = self.now();
        let finished = self
            .store
            .change_record_of(pool_id, job_id, |job: &mut UserImportJob| {
                if job.status == "Failed" {
                    // Taken for abandoned while this node was silent: that verdict stands.
                    return Ok(());
                }
                job.completed_ms = Some(now);
                match &outcome {
                    Ok(false) => {
                        job.status = "Succeeded".into();
                        job.completion_message = Some("Import Job Completed Successfully.".into());
                    }
                    Ok(true) => {
                        job.status = "Stopped".into();
                        job.completion_message = Some("Import job stopped.".into());
                    }
                    Err(error) => {
                        job.status = "Failed".into();
                        job.completion_message = Some(match error {
                            DomainError::Internal(_) => "Import job failed: the database failed.".into(),
                            other => format!("Import job failed: {other}"),
                        });
                    }
                }
                Ok(())
            })
            .await?;
        if let Err(error) = &outcome {
            tracing::error!(pool_id, job_id, %error, "an import job failed");
        }
        finished.ok_or_else(|| not_found(job_id))
    }

    /// Reads the job's file and imports its rows; true when the job was stopped.
    async fn import_rows(&self, pool: &UserPool, job: &UserImportJob) -> DomainResult<bool> {
        let (Some((pieces, _)), Some(upload_id)) = (job.upload, job.upload_id.as_deref()) else {
            return Err(DomainError::PreconditionNotMet("No file has been uploaded.".into()));
        };
        let scope = upload_scope(&job.pool_id, &job.job_id, upload_id);
        let mut reader = CsvReader::new();
        let mut progress = Progress { header: None, batch: Vec::with_capacity(BATCH), errors: Vec::new(), kept_errors: 0, stopped: false };
        for index in 0..pieces {
            let piece: CsvPiece = self
                .store
                .get_record_of(&scope, &format!("{index:08}"), 0)
                .await?
                .ok_or_else(|| DomainError::internal("a piece of an import file is missing"))?;
            let bytes = base64::engine::general_purpose::STANDARD.decode(&piece.data).map_err(DomainError::internal)?;
            for row in reader.feed(&bytes) {
                self.take_row(pool, job, row, &mut progress).await?;
                if progress.stopped {
                    return Ok(true);
                }
            }
        }
        if let Some(row) = reader.finish() {
            self.take_row(pool, job, row, &mut progress).await?;
        }
        if progress.header.is_none() {
            return Err(DomainError::InvalidParameter("the file is empty.".into()));
        }
        self.flush(job, &mut progress).await?;
        Ok(progress.stopped)
    }

    async fn take_row(&self, pool: &UserPool, job: &UserImportJob, row: Row, progress: &mut Progress) -> DomainResult<()> {
        let Some(header) = &progress.header else {
            progress.header = Some(check_header(pool, row.fields)?);
            return Ok(());
        };
        match self.row_user(pool, header, &row.fields) {
            Ok(user) => progress.batch.push((row.line, user)),
            Err((username, error)) => progress.errors.push(ImportRowError { line: row.line, username, message: error, skipped: false }),
        }
        if progress.batch.len() >= BATCH {
            self.flush(job, progress).await?;
        }
        Ok(())
    }

    /// The user of one row, or its username and why it cannot be imported.
    fn row_user(&self, pool: &UserPool, header: &[String], fields: &[String]) -> Result<User, (String, String)> {
        let column = |name: &str| header.iter().position(|column| column == name).and_then(|index| fields.get(index)).map(String::as_str);
        let username = column("cognito:username").unwrap_or("").trim().to_string();
        if fields.len() != header.len() {
            return Err((username, format!("The row has {} fields and the header {}.", fields.len(), header.len())));
        }
        if username.is_empty() {
            return Err((username, "cognito:username is empty.".into()));
        }
        let mut attributes = Vec::new();
        for (name, value) in header.iter().zip(fields) {
            if value.is_empty() || name.starts_with("cognito:") {
                continue;
            }
            let value = if name.ends_with("_verified") { value.to_ascii_lowercase() } else { value.clone() };
            attributes.push(Attribute { name: name.clone(), value });
        }
        let mfa = match column("cognito:mfa_enabled").unwrap_or("").to_ascii_lowercase().as_str() {
            "" | "false" => false,
            "true" => true,
            other => return Err((username, format!("cognito:mfa_enabled is {other}, not TRUE or FALSE."))),
        };
        let (canonical, attributes, sub) = self.prepare_new_user(pool, &username, &attributes).map_err(|error| (username.clone(), error.to_string()))?;
        let mut user = User::new(&pool.id, canonical, sub, attributes, UserStatus::ResetRequired, self.now());
        if mfa {
            if user.attribute("phone_number").is_none() {
                return Err((username, "cognito:mfa_enabled is TRUE and the user has no phone_number.".into()));
            }
            user.mfa.enabled.push(MfaFactor::Sms);
        }
        Ok(user)
    }

    /// Writes the rows read so far and their errors, brings the job's counts up to date, and
    /// sees whether the job was asked to stop.
    async fn flush(&self, job: &UserImportJob, progress: &mut Progress) -> DomainResult<()> {
        let pool = self.load_pool(&job.pool_id).await?;
        let batch = std::mem::take(&mut progress.batch);
        let records: Vec<_> = batch.iter().map(|(_, user)| self.user_record(&pool, user)).collect();
        let outcomes = if records.is_empty() { Vec::new() } else { self.store.insert_users(&records).await? };
        let (mut imported, mut skipped, mut failed) = (0u64, 0u64, progress.errors.len() as u64);
        for ((line, user), outcome) in batch.iter().zip(outcomes) {
            let (message, was_skipped) = match outcome {
                None => {
                    imported += 1;
                    continue;
                }
                Some(ConflictOn::Key) => ("User already exists; skipped.".to_string(), true),
                Some(ConflictOn::Alias(attribute)) => (format!("An account with the given {attribute} already exists."), false),
                Some(other) => (format!("The user could not be written ({other:?})."), false),
            };
            if was_skipped {
                skipped += 1;
            } else {
                failed += 1;
            }
            progress.errors.push(ImportRowError { line: *line, username: user.username.clone(), message, skipped: was_skipped });
        }
        let scope = job_scope(&job.pool_id, &job.job_id);
        let room = MAX_KEPT_ERRORS.saturating_sub(progress.kept_errors) as usize;
        let writes = std::mem::take(&mut progress.errors)
            .into_iter()
            .take(room)
            .map(|error| error.put_at(&scope, &format!("{:012}", error.line), None))
            .collect::<DomainResult<Vec<_>>>()?;
        if !writes.is_empty() {
            progress.kept_errors += writes.len() as u64;
            self.store.write_records(&writes).await?;
        }
        let now = self.now();
        let changed = self
            .store
            .change_record_of(&job.pool_id, &job.job_id, |stored: &mut UserImportJob| {
                stored.imported += imported;
                stored.skipped += skipped;
                stored.failed += failed;
                stored.beat_ms = Some(now);
                if stored.status == "Stopping" {
                    stored.completed_ms = Some(now);
                }
                Ok(())
            })
            .await?
            .ok_or_else(|| not_found(&job.job_id))?;
        progress.stopped = changed.status == "Stopping" || changed.status == "Failed";
        Ok(())
    }
}

/// The header row: every column one of [`csv_header`]'s, and `cognito:username` among them.
fn check_header(pool: &UserPool, columns: Vec<String>) -> DomainResult<Vec<String>> {
    let known = csv_header(pool);
    let columns: Vec<String> = columns.into_iter().map(|column| column.trim().trim_start_matches('\u{feff}').to_string()).collect();
    if let Some(unknown) = columns.iter().find(|column| !known.contains(column)) {
        return Err(DomainError::InvalidParameter(format!("the header has the column {unknown}, which is not an attribute of the pool.")));
    }
    if !columns.iter().any(|column| column == "cognito:username") {
        return Err(DomainError::InvalidParameter("the header has no cognito:username column.".into()));
    }
    Ok(columns)
}
