//! Datasets: the owner's table (on disk, with its checksum), its public schema, its lifetime
//! budget and the released row estimate N̂ every fit plans with; and the analysts granted it.

use sqlx::{AnyConnection, Row};

use super::{Store, now_ms};
use crate::error::Result;

/// A dataset as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DatasetRow {
    pub(crate) id: String,
    pub(crate) owner_id: String,
    pub(crate) name: String,
    pub(crate) schema_json: String,
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: String,
    pub(crate) row_estimate_share: f64,
    /// `awaiting_data` or `ready`.
    pub(crate) state: String,
    pub(crate) format: Option<String>,
    pub(crate) file_name: Option<String>,
    pub(crate) file_sha256: Option<String>,
    pub(crate) file_bytes: Option<i64>,
    /// N̂: the noisy row count released at upload.
    pub(crate) row_estimate: Option<f64>,
    pub(crate) created_at: i64,
}

/// A dataset to insert (it waits for its table).
#[derive(Debug, Clone)]
pub(crate) struct NewDataset<'a> {
    pub(crate) id: &'a str,
    pub(crate) owner_id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) schema_json: &'a str,
    pub(crate) epsilon_total: f64,
    pub(crate) delta: f64,
    pub(crate) accountant: &'a str,
    pub(crate) row_estimate_share: f64,
}

const COLUMNS: &str = "id, owner_id, name, schema_json, epsilon_total, delta, accountant, \
    row_estimate_share, state, format, file_name, file_sha256, file_bytes, row_estimate, created_at";

fn dataset(row: &sqlx::any::AnyRow) -> Result<DatasetRow> {
    Ok(DatasetRow {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        name: row.try_get("name")?,
        schema_json: row.try_get("schema_json")?,
        epsilon_total: row.try_get("epsilon_total")?,
        delta: row.try_get("delta")?,
        accountant: row.try_get("accountant")?,
        row_estimate_share: row.try_get("row_estimate_share")?,
        state: row.try_get("state")?,
        format: row.try_get("format")?,
        file_name: row.try_get("file_name")?,
        file_sha256: row.try_get("file_sha256")?,
        file_bytes: row.try_get("file_bytes")?,
        row_estimate: row.try_get("row_estimate")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Inserts a dataset waiting for its table.
    pub(crate) async fn insert_dataset(
        &self,
        conn: &mut AnyConnection,
        d: &NewDataset<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO datasets (id, owner_id, name, schema_json, epsilon_total, delta, accountant, \
             row_estimate_share, state, chain_seq, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'awaiting_data', 0, $9)",
        )
        .bind(d.id)
        .bind(d.owner_id)
        .bind(d.name)
        .bind(d.schema_json)
        .bind(d.epsilon_total)
        .bind(d.delta)
        .bind(d.accountant)
        .bind(d.row_estimate_share)
        .bind(now_ms())
        .execute(conn)
        .await?;
        Ok(())
    }

    /// A dataset by id.
    pub(crate) async fn dataset(&self, id: &str) -> Result<Option<DatasetRow>> {
        let sql = format!("SELECT {COLUMNS} FROM datasets WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(dataset).transpose()
    }

    /// The datasets a principal sees: an owner's own, or those granted to an analyst.
    pub(crate) async fn datasets_visible_to(&self, principal: &str) -> Result<Vec<DatasetRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM datasets WHERE owner_id = $1 \
             OR id IN (SELECT dataset_id FROM dataset_grants WHERE analyst_id = $1) \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(principal)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(dataset).collect()
    }

    /// Whether `analyst` was granted `dataset`.
    pub(crate) async fn is_granted(&self, dataset: &str, analyst: &str) -> Result<bool> {
        let row = sqlx::query(
            "SELECT 1 AS one FROM dataset_grants WHERE dataset_id = $1 AND analyst_id = $2",
        )
        .bind(dataset)
        .bind(analyst)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.is_some())
    }

    /// Grants `dataset` to `analyst` (idempotent).
    pub(crate) async fn grant(
        &self,
        conn: &mut AnyConnection,
        dataset: &str,
        analyst: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO dataset_grants (dataset_id, analyst_id) VALUES ($1, $2) \
             ON CONFLICT (dataset_id, analyst_id) DO NOTHING",
        )
        .bind(dataset)
        .bind(analyst)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Withdraws a grant.
    pub(crate) async fn ungrant(&self, dataset: &str, analyst: &str) -> Result<()> {
        sqlx::query("DELETE FROM dataset_grants WHERE dataset_id = $1 AND analyst_id = $2")
            .bind(dataset)
            .bind(analyst)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Records the stored table and the released row estimate; the dataset becomes `ready`.
    /// Only a dataset still waiting for its table is changed: returns false otherwise.
    #[allow(clippy::too_many_arguments, reason = "one row's columns")]
    pub(crate) async fn set_dataset_table(
        &self,
        conn: &mut AnyConnection,
        id: &str,
        format: &str,
        file_name: &str,
        sha256: &str,
        bytes: u64,
        row_estimate: f64,
    ) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE datasets SET state = 'ready', format = $2, file_name = $3, file_sha256 = $4, \
             file_bytes = $5, row_estimate = $6 WHERE id = $1 AND state = 'awaiting_data'",
        )
        .bind(id)
        .bind(format)
        .bind(file_name)
        .bind(sha256)
        .bind(super::to_db(bytes))
        .bind(row_estimate)
        .execute(conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
