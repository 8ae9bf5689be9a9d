//! [`ServerError`]: what can stop the server from starting or running (the HTTP handlers turn
//! their own failures into JSON responses: see `api::error`).

/// An error of the server outside a request: configuration, database, files.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// A setting is invalid.
    #[error("invalid setting `{setting}`: {reason}")]
    Config {
        /// The setting.
        setting: &'static str,
        /// Why.
        reason: String,
    },
    /// The database refused a statement or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A file of the data directory could not be read or written.
    #[error("I/O error on {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A stored file does not match the checksum recorded when it was written.
    #[error("stored file {path} does not match its checksum")]
    Checksum {
        /// The file.
        path: String,
    },
    /// A stored record cannot be read.
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// A dataset's ledger chain does not verify.
    #[error("the ledger chain of dataset {dataset} does not verify: {source}")]
    Chain {
        /// The dataset.
        dataset: String,
        /// What is wrong.
        source: crate::chain::ChainError,
    },
    /// An error of the tabveil library.
    #[error(transparent)]
    Tabveil(#[from] tabveil::Error),
    /// A broken invariant of this crate.
    #[error("internal error: {0}")]
    Internal(&'static str),
}

/// The result type of the server.
pub type Result<T> = std::result::Result<T, ServerError>;

impl ServerError {
    pub(crate) fn io(path: &std::path::Path, e: &std::io::Error) -> Self {
        ServerError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        }
    }
}
