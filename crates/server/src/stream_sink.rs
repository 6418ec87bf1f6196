//! `HttpStreamSink`: the domain's `StreamSink` for Cognito Streams, which POSTs each stream record
//! to `--stream-sink-url`, retried with backoff.

use std::time::Duration;

use cognate_domain::sync::{StreamRecord, StreamSink};

const SINK_ATTEMPTS: u32 = 4;
const SINK_FIRST_BACKOFF: Duration = Duration::from_millis(200);

pub struct HttpStreamSink {
    pub http: reqwest::Client,
    pub url: String,
}

#[async_trait::async_trait]
impl StreamSink for HttpStreamSink {
    async fn put(&self, record: &StreamRecord) -> bool {
        let mut backoff = SINK_FIRST_BACKOFF;
        for attempt in 1..=SINK_ATTEMPTS {
            match self.http.post(&self.url).json(record).send().await {
                Ok(response) if response.status().is_success() => return true,
                Ok(response) => tracing::warn!(status = %response.status(), attempt, "the stream sink refused a record"),
                Err(error) => tracing::warn!(%error, attempt, "the stream sink did not answer"),
            }
            if attempt < SINK_ATTEMPTS {
                tokio::time::sleep(backoff).await;
                backoff *= 4;
            }
        }
        false
    }
}
