//! Generators: fit jobs and their outcome (state, progress, the saved model and its checksum,
//! the chain entries of their charge).

use serde::Serialize;
use sqlx::{AnyConnection, Row};

use super::{Store, from_db, now_ms, to_db};
use crate::error::Result;

/// Progress of a fit, as stored and as live (public values only: the plan's epochs and steps,
/// and ε spent, which the accountant computes from the ledger's parameters).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub(crate) struct LiveProgress {
    /// `queued`, `running`, `done`, `failed` or `cancelled`.
    pub(crate) state: String,
    /// Epochs completed.
    pub(crate) epoch: u64,
    /// Epochs planned.
    pub(crate) epochs: u64,
    /// Optimiser steps taken.
    pub(crate) steps: u64,
    /// ε spent so far by this fit at its own δ.
    pub(crate) epsilon_spent: Option<f64>,
}

impl LiveProgress {
    pub(crate) fn is_final(&self) -> bool {
        matches!(self.state.as_str(), "done" | "failed" | "cancelled")
    }
}

/// A generator as stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct GeneratorRow {
    pub(crate) id: String,
    pub(crate) dataset_id: String,
    pub(crate) requested_by: String,
    pub(crate) model: String,
    pub(crate) settings_json: String,
    /// State and progress as last recorded.
    pub(crate) progress: LiveProgress,
    pub(crate) target_epsilon: f64,
    pub(crate) delta: f64,
    pub(crate) error: Option<String>,
    pub(crate) error_code: Option<String>,
    pub(crate) model_file: Option<String>,
    pub(crate) model_sha256: Option<String>,
    pub(crate) planned_seq: Option<u64>,
    pub(crate) settled_seq: Option<u64>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// A generator to insert (queued).
#[derive(Debug, Clone)]
pub(crate) struct NewGenerator<'a> {
    pub(crate) id: &'a str,
    pub(crate) dataset_id: &'a str,
    pub(crate) requested_by: &'a str,
    pub(crate) model: &'a str,
    pub(crate) settings_json: &'a str,
    pub(crate) epochs: u64,
    pub(crate) target_epsilon: f64,
    pub(crate) delta: f64,
    pub(crate) planned_seq: u64,
}

/// The end of a fit.
#[derive(Debug, Clone, Default)]
pub(crate) struct GeneratorUpdate<'a> {
    pub(crate) state: &'a str,
    pub(crate) epoch: u64,
    pub(crate) steps: u64,
    pub(crate) epsilon_spent: Option<f64>,
    pub(crate) error: Option<&'a str>,
    pub(crate) error_code: Option<&'a str>,
    pub(crate) model_file: Option<&'a str>,
    pub(crate) model_sha256: Option<&'a str>,
    pub(crate) settled_seq: Option<u64>,
}

const COLUMNS: &str = "id, dataset_id, requested_by, model, settings_json, state, epoch, epochs, \
    steps, epsilon_spent, target_epsilon, delta, error, error_code, model_file, model_sha256, \
    planned_seq, settled_seq, created_at, updated_at";

fn generator(row: &sqlx::any::AnyRow) -> Result<GeneratorRow> {
    Ok(GeneratorRow {
        id: row.try_get("id")?,
        dataset_id: row.try_get("dataset_id")?,
        requested_by: row.try_get("requested_by")?,
        model: row.try_get("model")?,
        settings_json: row.try_get("settings_json")?,
        progress: LiveProgress {
            state: row.try_get("state")?,
            epoch: from_db(row.try_get("epoch")?),
            epochs: from_db(row.try_get("epochs")?),
            steps: from_db(row.try_get("steps")?),
            epsilon_spent: row.try_get("epsilon_spent")?,
        },
        target_epsilon: row.try_get("target_epsilon")?,
        delta: row.try_get("delta")?,
        error: row.try_get("error")?,
        error_code: row.try_get("error_code")?,
        model_file: row.try_get("model_file")?,
        model_sha256: row.try_get("model_sha256")?,
        planned_seq: row.try_get::<Option<i64>, _>("planned_seq")?.map(from_db),
        settled_seq: row.try_get::<Option<i64>, _>("settled_seq")?.map(from_db),
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Inserts a queued generator.
    pub(crate) async fn insert_generator(
        &self,
        conn: &mut AnyConnection,
        g: &NewGenerator<'_>,
    ) -> Result<()> {
        let now = now_ms();
        sqlx::query(
            "INSERT INTO generators (id, dataset_id, requested_by, model, settings_json, state, \
             epoch, epochs, steps, target_epsilon, delta, planned_seq, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', 0, $6, 0, $7, $8, $9, $10, $10)",
        )
        .bind(g.id)
        .bind(g.dataset_id)
        .bind(g.requested_by)
        .bind(g.model)
        .bind(g.settings_json)
        .bind(to_db(g.epochs))
        .bind(g.target_epsilon)
        .bind(g.delta)
        .bind(to_db(g.planned_seq))
        .bind(now)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// A generator by id.
    pub(crate) async fn generator(&self, id: &str) -> Result<Option<GeneratorRow>> {
        let sql = format!("SELECT {COLUMNS} FROM generators WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(generator).transpose()
    }

    /// The generators of a dataset, oldest first.
    pub(crate) async fn generators_of(&self, dataset: &str) -> Result<Vec<GeneratorRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM generators WHERE dataset_id = $1 ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(dataset)
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(generator).collect()
    }

    /// Generators left `queued` or `running` (by a server that stopped).
    pub(crate) async fn unfinished_generators(&self) -> Result<Vec<GeneratorRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM generators WHERE state IN ('queued', 'running') \
             ORDER BY created_at, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter().map(generator).collect()
    }

    /// Moves a queued generator to `running` (committed before its first release). Returns
    /// false if it was not queued.
    pub(crate) async fn mark_running(&self, id: &str) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE generators SET state = 'running', updated_at = $2 \
             WHERE id = $1 AND state = 'queued'",
        )
        .bind(id)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records progress of a running fit.
    pub(crate) async fn record_progress(
        &self,
        id: &str,
        epoch: u64,
        steps: u64,
        epsilon_spent: Option<f64>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE generators SET epoch = $2, steps = $3, epsilon_spent = $4, updated_at = $5 \
             WHERE id = $1 AND state = 'running'",
        )
        .bind(id)
        .bind(to_db(epoch))
        .bind(to_db(steps))
        .bind(epsilon_spent)
        .bind(now_ms())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Records the end of a fit (in the transaction of its final charge).
    pub(crate) async fn finish_generator(
        &self,
        conn: &mut AnyConnection,
        id: &str,
        u: &GeneratorUpdate<'_>,
    ) -> Result<()> {
        sqlx::query(
            "UPDATE generators SET state = $2, epoch = $3, steps = $4, epsilon_spent = $5, \
             error = $6, error_code = $7, model_file = $8, model_sha256 = $9, settled_seq = $10, \
             updated_at = $11 WHERE id = $1",
        )
        .bind(id)
        .bind(u.state)
        .bind(to_db(u.epoch))
        .bind(to_db(u.steps))
        .bind(u.epsilon_spent)
        .bind(u.error)
        .bind(u.error_code)
        .bind(u.model_file)
        .bind(u.model_sha256)
        .bind(u.settled_seq.map(to_db))
        .bind(now_ms())
        .execute(conn)
        .await?;
        Ok(())
    }
}
