//! `SqlStore` as the domain's `OutboxStore`: the outbox of messages to users.

use super::*;

#[async_trait]
impl OutboxStore for SqlStore {
    async fn insert_outbox_message(&self, message: &OutboxMessage) -> StoreResult<()> {
        let _turn = self.turn().await?;
        sqlx::query("INSERT INTO outbox (id, pool_id, created_ms, data) VALUES ($1, $2, $3, $4)")
            .bind(message.id.as_str())
            .bind(message.pool_id.as_str())
            .bind(message.created_ms)
            .bind(encode(message)?)
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn list_outbox_messages(&self, pool_id: Option<&str>, page_size: u32) -> StoreResult<Vec<OutboxMessage>> {
        let mut messages: Vec<OutboxMessage> = match pool_id {
            Some(pool_id) => {
                self.fetch_page(
                    "SELECT data FROM outbox WHERE pool_id = $1 ORDER BY created_ms DESC, id DESC LIMIT $2",
                    &[pool_id],
                    page_size,
                )
                .await?
            }
            None => self.fetch_page("SELECT data FROM outbox ORDER BY created_ms DESC, id DESC LIMIT $1", &[], page_size).await?,
        };
        messages.reverse();
        Ok(messages)
    }
}
