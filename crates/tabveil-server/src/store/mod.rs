//! Storage: one code path for SQLite and PostgreSQL through sqlx's `Any` driver and its
//! runtime query API, with versioned migrations (`migrations/` in this crate, embedded).
//!
//! Every statement is written once in a dialect both databases accept (`$1` parameters, TEXT,
//! BIGINT and DOUBLE PRECISION columns). Writes that belong together run in one transaction;
//! a charge to a dataset's budget first updates the dataset's row, which takes SQLite's write
//! lock or PostgreSQL's row lock, so two charges to one dataset never interleave.

mod datasets;
mod generators;
mod ledger;
mod principals;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::{AnyPool, Executor, SqlSafeStr};

pub(crate) use datasets::{DatasetRow, NewDataset};
pub(crate) use generators::{GeneratorRow, GeneratorUpdate, LiveProgress, NewGenerator};
pub(crate) use principals::{NewPrincipal, Principal, Role};

use crate::error::Result;

/// The migrations, in order. Never edit one that has shipped: add the next.
const MIGRATIONS: &[(i64, &str, &str)] =
    &[(1, "init", include_str!("../../migrations/0001_init.sql"))];

/// The database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pool: AnyPool,
}

/// Which database is behind the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Connects to `url` (`sqlite://FILE?mode=rwc` or `postgres://…`) and applies the
    /// migrations.
    pub(crate) async fn open(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(crate::ServerError::Config {
                setting: "database",
                reason: "expected a sqlite:// or postgres:// URL".to_owned(),
            });
        };
        let options: AnyConnectOptions = url.parse()?;
        let max = match backend {
            // One writer at a time anyway; a few readers beside it.
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        let pool = AnyPoolOptions::new()
            .max_connections(max)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        // WAL: readers do not block the writer; FULL: a committed charge
                        // survives a power cut, not only a killed process; foreign keys on.
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let migrations = MIGRATIONS
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect();
        Migrator::with_migrations(migrations).run(&pool).await?;
        Ok(Store { pool })
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (after the last request has finished).
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }
}

/// Unix time in milliseconds.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// A u64 stored in a BIGINT column.
pub(crate) fn to_db(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A BIGINT column read back as u64.
pub(crate) fn from_db(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
