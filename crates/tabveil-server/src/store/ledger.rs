//! The stored hash chain of each dataset (`ledger_entries`), appended under the dataset's lock.

use sqlx::{AnyConnection, Row};

use super::{Store, from_db, to_db};
use crate::chain::ChainLink;
use crate::error::Result;

impl Store {
    /// Takes the dataset's write lock for the rest of the transaction (SQLite: the database's
    /// write lock; PostgreSQL: the dataset row's lock). Returns false for an unknown dataset.
    pub(crate) async fn lock_dataset(&self, conn: &mut AnyConnection, id: &str) -> Result<bool> {
        let done = sqlx::query("UPDATE datasets SET chain_seq = chain_seq WHERE id = $1")
            .bind(id)
            .execute(conn)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Every link of the dataset's chain, in order.
    pub(crate) async fn links(
        &self,
        conn: &mut AnyConnection,
        dataset: &str,
    ) -> Result<Vec<ChainLink>> {
        let rows = sqlx::query(
            "SELECT seq, prev_hash, hash, body FROM ledger_entries WHERE dataset_id = $1 ORDER BY seq",
        )
        .bind(dataset)
        .fetch_all(conn)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ChainLink {
                    seq: from_db(r.try_get("seq")?),
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                    body: r.try_get("body")?,
                })
            })
            .collect()
    }

    /// Every link of the dataset's chain, read on a pooled connection outside any transaction
    /// (for views and exports; charges read theirs under the dataset's lock).
    pub(crate) async fn chain(&self, dataset: &str) -> Result<Vec<ChainLink>> {
        let mut conn = self.pool().acquire().await?;
        self.links(&mut conn, dataset).await
    }

    /// Appends a link (call under [`lock_dataset`](Self::lock_dataset)).
    pub(crate) async fn append_link(
        &self,
        conn: &mut AnyConnection,
        dataset: &str,
        link: &ChainLink,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO ledger_entries (dataset_id, seq, prev_hash, hash, body) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(dataset)
        .bind(to_db(link.seq))
        .bind(&link.prev_hash)
        .bind(&link.hash)
        .bind(&link.body)
        .execute(&mut *conn)
        .await?;
        sqlx::query("UPDATE datasets SET chain_seq = $2 WHERE id = $1")
            .bind(dataset)
            .bind(to_db(link.seq))
            .execute(conn)
            .await?;
        Ok(())
    }
}
