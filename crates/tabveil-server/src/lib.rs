//! # tabveil-server
//!
//! The tabveil synthesis service: owners upload a table with its public schema and a
//! **lifetime privacy budget** (ε_total, δ); owners and the analysts they grant fit private
//! generators on it (`generator_type`: `dp-` and a registered model's name, `dp-ctgan`,
//! `dp-tvae`, `dp-marginal`: the OpenAPI document lists the registry's), sample synthetic rows and read privacy reports. Every fit's whole ledger is
//! charged to the dataset's budget **before its first release**, a fit that would exceed it is
//! refused (409, with what remains and the largest ε that fits), and every charge is an entry
//! of a **hash-chained ledger** that `tabveil ledger verify` checks.
//! Storage is SQLite by default (a file in the data directory) or PostgreSQL by URL, through one
//! code path with versioned migrations.
//!
//! ```no_run
//! use tabveil_server::{ServerConfig, serve};
//!
//! # async fn run() -> Result<(), tabveil_server::ServerError> {
//! let mut config = ServerConfig::new("tabveil-data");
//! config.database_url = Some("postgres://tabveil:secret@localhost/tabveil".to_owned());
//! serve(config).await // until SIGTERM or Ctrl-C, then drains
//! # }
//! ```
//!
//! From the shell: `tabveil serve [--database URL] [--bind ADDR] [--data-dir DIR]`.
//!
//! ## The API
//!
//! Every route but `GET /health` and `GET /openapi.json` needs `Authorization: Bearer TOKEN`
//! (the page at `/` also takes the token as the password of HTTP Basic, so a browser opens it
//! without a client). The OpenAPI document at `/openapi.json` is generated from the code.
//!
//! | route | who | what |
//! |---|---|---|
//! | `GET /` | all | an HTML page (no JS): the caller's datasets, their budgets and generators |
//! | `GET /me` | all | the caller |
//! | `POST /users` | admin, owners | a new owner (admin only) or analyst (granted datasets of the caller); the token is shown once |
//! | `DELETE /users/{id}` | creator, admin | revoke |
//! | `POST /datasets` | owners | name, schema, `epsilon_total`, `delta`, `accountant` (`rdp`/`pld`), `row_estimate_share` |
//! | `PUT /datasets/{id}/table` | the owner | the table, once: CSV (`Content-Type: text/csv`) or Parquet (`application/vnd.apache.parquet`); stored as uploaded with its SHA-256; a table that does not fit the schema is 422 with a typed code and the column, never a value |
//! | `GET /datasets`, `GET /datasets/{id}` | owner, granted analysts | metadata, schema, budget, N̂ |
//! | `GET /datasets/{id}/table` | the owner | the table as uploaded |
//! | `GET /datasets/{id}/budget` | owner, analysts | ε spent (composed), what remains, every charge, the chain head |
//! | `GET /datasets/{id}/ledger` | owner, analysts | the chain export |
//! | `PUT`/`DELETE /datasets/{id}/analysts/{user}` | the owner | grant or withdraw |
//! | `POST /datasets/{id}/generators` | owner, analysts | a fit: 202, 409 over budget, 422 bad plan |
//! | `POST /generators/dataset/{id}/generate` | owner, analysts | the same, the seed product's route and fields |
//! | `GET /datasets/{id}/generators`, `GET /generators/{id}` | owner, analysts | state, progress, ε |
//! | `GET /generators/{id}/events` | owner, analysts | progress as server-sent events |
//! | `POST /generators/{id}/cancel` | requester, owner | stop a fit; it is charged what it released |
//! | `GET /generators/{id}/samples?rows=&seed=&condition=col=value&format=csv\|json` | owner, analysts | synthetic rows |
//! | `GET /generators/{id}/privacy-report?format=json\|md\|html` | owner, analysts | the report, citing the chain |
//! | `GET /generators/{id}/evaluation` | the owner | quality and leakage against the real rows (not private) |
//!
//! Another owner's dataset, and every generator on it, is 404; an analyst asking for the table
//! or the evaluation of a dataset granted to them is 403. Errors are JSON
//! `{"error", "code", …}`; an internal error answers an incident id only (the log has the rest).
//!
//! ## The lifetime budget
//!
//! - At upload the server releases the table's row count once, with Gaussian noise calibrated
//!   to spend `row_estimate_share · ε_total` alone, and charges it: N̂. Every fit plans its
//!   model's stage with N̂ (for DP-SGD: q = B/N̂, ⌈epochs·d·N̂/B⌉ steps, σ)
//!   ([`tabveil::builder::SynthesizerBuilder::row_estimate`]), so its whole ledger —
//!   preprocessing releases and every release of the model — is known before it starts
//!   ([`tabveil::Synthesizer::planned_ledger`], which each model answers through its
//!   `ModelSpec`).
//! - A fit is charged that planned ledger before its first release, in the transaction that
//!   creates it; the charges of all fits on a dataset are composed by the dataset's accountant
//!   (the ledgers concatenated, one δ: never ε added up). A fit whose plan would make the
//!   composition exceed ε_total is refused with 409 and nothing runs.
//! - When the fit ends, its charge is replaced by the ledger it recorded — never more than
//!   planned (checked as a multiset of mechanisms or, for an adaptive run whose plan bounds its
//!   zCDP ρ like the marginal model's, as a total ρ no larger); a failed or cancelled fit is charged what
//!   it released. A server killed during a fit keeps the planned charge, and the next start
//!   marks the fit failed (`interrupted`): nothing lost, nothing charged twice.
//! - Nothing a principal sees depends on the true row count N except through N̂: refusals, the
//!   remaining budget and the validator's findings are computed at N̂. (A timing side channel
//!   remains: how fast a fit's steps progress depends on the real batch sizes.)
//!
//! ## The ledger chain
//!
//! Each dataset's charges form a chain of entries `(seq, prev_hash, hash, body)`:
//!
//! - `body` is the canonical JSON text of the entry: a `budget` entry first (ε_total, δ, the
//!   accountant), then `charge` entries (`subject`: `generator:<id>` or `row-estimate`;
//!   `phase`: `planned`, `completed`, `cancelled`, `failed`, `interrupted`, `not_started` or
//!   `release`; the `ledger`; the time). Canonical: UTF-8, no insignificant whitespace, object
//!   members sorted by the bytes of their names, strings with RFC 8259's minimal escapes
//!   (`\"`, `\\`, `\b \f \n \r \t`, other control characters as `\u00XX`), integers in
//!   decimal, other numbers in the shortest form that reads back to the same binary64.
//! - `hash` = lower-case hex SHA-256 of `"tabveil-ledger-chain/1\n" ‖ prev_hash ‖ "\n" ‖ body`;
//!   the first entry's `prev_hash` is 64 zeros.
//!
//! [`chain::verify`] (and `tabveil ledger verify FILE`) checks positions, links, hashes and
//! canonical bodies, then the charging rules (budget first; a plan before its final charge;
//! nothing after it; a final charge within its plan) and that the current charges compose to at
//! most ε_total. The server verifies a dataset's chain before every charge and refuses to charge
//! a chain that does not verify. Reports cite the entries of their fit's charge and the head.
//! A chain cannot prove that its newest entries were not cut off: keep the head a report cites.
//!
//! ## Security
//!
//! - Tokens are 256 random bits, stored as their SHA-256; the first owner's (the admin's) is
//!   written to `DATA_DIR/admin-token` (mode 0600) when the database is new.
//! - Request bodies are limited (`max_upload_bytes` for tables, `max_json_bytes` otherwise):
//!   413 beyond. No CORS headers are sent, so browsers refuse cross-origin calls.
//! - The server speaks plain HTTP and binds `127.0.0.1:8080` by default. To serve other hosts,
//!   put a TLS-terminating reverse proxy in front and keep the server on loopback, e.g. nginx:
//!
//!   ```text
//!   server {
//!       listen 443 ssl;
//!       ssl_certificate     /etc/ssl/tabveil.crt;
//!       ssl_certificate_key /etc/ssl/tabveil.key;
//!       client_max_body_size 256m;
//!       location / {
//!           proxy_pass http://127.0.0.1:8080;
//!           proxy_buffering off;            # server-sent events
//!           proxy_read_timeout 1h;
//!       }
//!   }
//!   ```
//!
//! ## Durability
//!
//! Writes that belong together are one transaction (a charge and the generator it creates or
//! finishes; a release and the stored table). SQLite runs in WAL mode with `synchronous=FULL`.
//! Tables and models are written atomically (temporary file, fsync, rename) with their SHA-256
//! in the database, checked on every read. SIGTERM drains: new connections are refused,
//! running requests finish, running fits are cancelled and settle to what they released.
//!
//! ## PostgreSQL
//!
//! `tabveil serve --database postgres://USER:PASSWORD@HOST/DB` (no TLS to the database: run it
//! on the same host or a private network). The same migrations create the same tables; the
//! data directory still holds the tables and models.
//!
//! ## Features
//! None.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod api;
mod auth;
mod budget;
pub mod chain;
mod config;
mod error;
mod files;
mod formats;
mod jobs;
mod serve;
mod store;

pub use config::{LogSink, ServerConfig};
pub use error::{Result, ServerError};
pub use serve::{ADMIN_TOKEN_FILE, Server, openapi_json, serve, shutdown_signal};
