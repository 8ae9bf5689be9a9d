//! Principals: owners and analysts, each with one bearer token (stored as its SHA-256).

use serde::{Deserialize, Serialize};
use sqlx::{AnyConnection, Row};

use super::{Store, now_ms};
use crate::error::Result;

/// What a principal may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Role {
    /// Everything on their own datasets.
    Owner,
    /// Fit within the budget, sample and read reports on the datasets granted to them.
    Analyst,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Analyst => "analyst",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "owner" => Some(Role::Owner),
            "analyst" => Some(Role::Analyst),
            _ => None,
        }
    }
}

/// A principal as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Principal {
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) is_admin: bool,
    pub(crate) created_by: Option<String>,
}

/// A principal to insert.
#[derive(Debug, Clone)]
pub(crate) struct NewPrincipal<'a> {
    pub(crate) id: &'a str,
    pub(crate) name: &'a str,
    pub(crate) role: Role,
    pub(crate) is_admin: bool,
    pub(crate) created_by: Option<&'a str>,
    pub(crate) token_hash: &'a str,
}

fn principal(row: &sqlx::any::AnyRow) -> Result<Principal> {
    let role: String = row.try_get("role")?;
    Ok(Principal {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| crate::ServerError::Corrupt(format!("unknown role `{role}`")))?,
        is_admin: row.try_get::<i64, _>("is_admin")? != 0,
        created_by: row.try_get("created_by")?,
    })
}

impl Store {
    /// Inserts a principal.
    pub(crate) async fn insert_principal(
        &self,
        conn: &mut AnyConnection,
        p: &NewPrincipal<'_>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO principals (id, name, role, is_admin, created_by, token_hash, revoked, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(p.id)
        .bind(p.name)
        .bind(p.role.as_str())
        .bind(i64::from(p.is_admin))
        .bind(p.created_by)
        .bind(p.token_hash)
        .bind(now_ms())
        .execute(conn)
        .await?;
        Ok(())
    }

    /// The principal holding the token whose SHA-256 is `token_hash`, unless revoked.
    pub(crate) async fn principal_by_token(&self, token_hash: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT id, name, role, is_admin, created_by FROM principals \
             WHERE token_hash = $1 AND revoked = 0",
        )
        .bind(token_hash)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(principal).transpose()
    }

    /// A principal by id (revoked ones too).
    pub(crate) async fn principal(&self, id: &str) -> Result<Option<Principal>> {
        let row = sqlx::query(
            "SELECT id, name, role, is_admin, created_by FROM principals WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(principal).transpose()
    }

    /// Number of principals ever created.
    pub(crate) async fn principal_count(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM principals")
            .fetch_one(self.pool())
            .await?
            .try_get("n")?)
    }

    /// Revokes a principal's token.
    pub(crate) async fn revoke_principal(&self, id: &str) -> Result<()> {
        sqlx::query("UPDATE principals SET revoked = 1 WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
