use thiserror::Error;

use types::{ContractError, ErrorCode};

/// What went wrong below the domain. A client sees `SERVICE_DEGRADED` with this text when the
/// database is out of reach, and `INTERNAL_ERROR` for anything else (the detail is logged).
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database URL not supported: {0} (use sqlite:// or postgres://)")]
    UnsupportedUrl(String),
    /// The database could not be reached at all (as opposed to a bad query).
    #[error("The database is unavailable; retry shortly")]
    Unavailable(#[source] sqlx::Error),
    #[error("database: {0}")]
    Database(sqlx::Error),
    /// From the embedded store's acceptance connection (`crate::acceptance::sqlite_connection`).
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A write after [`crate::Store::close`].
    #[error("The database is unavailable: the gateway is shutting down")]
    Closed,
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("could not create the database directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    /// The embedded database is open in another process (its lock file is held).
    #[error("the SQLite database {0} is in use by another gateway process")]
    InUse(String),
    #[error("could not lock {path}: {source}")]
    Lock {
        path: String,
        source: std::io::Error,
    },
    /// A stored row no longer parses: never expected, always logged.
    #[error("stored row is corrupt: {0}")]
    Corrupt(String),
    #[error("already exists")]
    Conflict,
    /// A matcher batch found its market's sequence moved on: another writer committed a batch
    /// of the market since this one read it (the fence, docs/engine.md).
    #[error("the sequence of market {market} is no longer at {expected}")]
    Fenced { market: String, expected: u64 },
    /// A balance change that would go below zero or above 2^256-1.
    #[error("balance out of range")]
    BalanceOutOfRange,
}

impl StoreError {
    /// True when the database could not be reached at all (as opposed to a bad query).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, StoreError::Unavailable(_) | StoreError::Closed)
    }

    pub(crate) fn is_unique_violation(err: &sqlx::Error) -> bool {
        match err {
            sqlx::Error::Database(db) => db.is_unique_violation(),
            _ => false,
        }
    }
}

/// A stored row a start-up load (or a refresh) could not read back, and so skipped: the
/// gateway serves everything else and says which rows it left out (in the log with the
/// reason, on `/ready` by key). Only an operator's repair of the row brings it back.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UnreadableRow {
    pub table: &'static str,
    /// The row's key as stored (`condition_id="0x…" chain_id=-9223372036854775808`), never
    /// any other column: `/ready` shows it to anyone.
    pub key: String,
    /// Why it does not read (the column and value), for the log only.
    #[serde(skip)]
    pub reason: String,
}

impl UnreadableRow {
    pub(crate) fn new(table: &'static str, key: String, error: &StoreError) -> UnreadableRow {
        let reason = match error {
            StoreError::Corrupt(what) => what.clone(),
            other => other.to_string(),
        };
        UnreadableRow { table, key, reason }
    }

    /// Logs the row as skipped, once per load that finds it.
    pub fn report(&self) {
        tracing::error!(
            table = self.table,
            key = %self.key,
            reason = %self.reason,
            "skipped a stored row that cannot be read back; repair or delete it"
        );
    }
}

/// A stored key column as text for [`UnreadableRow::key`]: quoted and bounded, since it may
/// hold anything.
pub(crate) fn stored_key_text(value: &str) -> String {
    const MAX: usize = 80;
    let mut shown: String = value.chars().take(MAX).collect();
    if shown.len() < value.len() {
        shown.push('…');
    }
    format!("{shown:?}")
}

/// Parses a stored column back into a domain type; a failure means the row is corrupt.
pub(crate) fn parse_col<T: std::str::FromStr>(value: &str, column: &str) -> Result<T, StoreError> {
    value
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("{column} = {value:?}")))
}

/// The market a row names by its `condition_id` and `chain_id` columns.
pub(crate) fn market_key_col(row: &sqlx::any::AnyRow) -> Result<types::MarketKey, StoreError> {
    use sqlx::Row;
    let chain_id = row.try_get::<i64, _>("chain_id")?;
    Ok(types::MarketKey {
        condition_id: parse_col(&row.try_get::<String, _>("condition_id")?, "condition_id")?,
        chain_id: u64::try_from(chain_id)
            .ok()
            .and_then(types::ChainId::new)
            .ok_or_else(|| StoreError::Corrupt(format!("chain_id = {chain_id}")))?,
    })
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => StoreError::Unavailable(e),
            e => StoreError::Database(e),
        }
    }
}

impl ContractError for StoreError {
    fn code(&self) -> ErrorCode {
        if self.is_unavailable() {
            ErrorCode::ServiceDegraded
        } else {
            ErrorCode::InternalError
        }
    }
}
