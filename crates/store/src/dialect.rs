//! What differs between the two SQL dialects the store speaks: placeholders, row locks, the
//! embedded database's connection settings; and how a database URL is shown.

use std::fmt::Write as _;

use crate::error::StoreError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else {
            Err(StoreError::UnsupportedUrl(redact(url)))
        }
    }

    /// The row-lock suffix for a read that is followed by a write in the same transaction.
    /// SQLite needs none: all its writes go through one connection.
    pub(crate) fn for_update(self) -> &'static str {
        match self {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    /// Appends `rows` parenthesised groups of `columns` placeholders, `(…),(…)`, numbered from
    /// 1: the VALUES of a multi-row INSERT or the tuples of a row-value IN.
    pub(crate) fn push_rows(self, sql: &mut String, rows: usize, columns: usize) {
        for row in 0..rows {
            sql.push_str(if row == 0 { "(" } else { ",(" });
            self.push_placeholders(sql, row * columns + 1, columns);
            sql.push(')');
        }
    }

    /// Appends `count` comma-separated bind placeholders for parameters `first..first+count`
    /// (1-based). PostgreSQL numbers them (`$n`); SQLite gets anonymous `?`s, bound in order,
    /// because sqlx looks every numbered SQLite parameter up by name, a scan that makes
    /// binding quadratic in the parameter count, which a multi-row INSERT would pay in full.
    pub(crate) fn push_placeholders(self, sql: &mut String, first: usize, count: usize) {
        for n in first..first + count {
            if n > first {
                sql.push(',');
            }
            match self {
                Backend::Sqlite => sql.push('?'),
                Backend::Postgres => {
                    let _ = write!(sql, "${n}");
                }
            }
        }
    }
}

/// Drops any password from a URL before it is shown anywhere.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

/// The settings of every connection to the embedded database, sqlx's and the direct one.
pub(crate) const SQLITE_PRAGMAS: &[&str] = &[
    // WAL: readers never block the writer. FULL: a commit survives power loss, which an
    // accepted order must.
    "PRAGMA journal_mode = WAL",
    "PRAGMA synchronous = FULL",
    "PRAGMA busy_timeout = 5000",
    "PRAGMA foreign_keys = ON",
    // Statement journals (a multi-row INSERT keeps one to undo itself alone) stay in memory
    // instead of temp files; they only serve a statement's own rollback.
    "PRAGMA temp_store = MEMORY",
    // The commit that crosses this many WAL pages copies them into the database file, in the
    // writer's transaction. Fewer, larger checkpoints write a page that many commits touched
    // (an index's last leaf, a balance row) once.
    "PRAGMA wal_autocheckpoint = 4000",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_appear_in_a_redacted_url() {
        assert_eq!(
            redact("postgres://app:hunter2@db:5432/x"),
            "postgres://app:***@db:5432/x"
        );
        assert_eq!(
            redact("sqlite://data/gateway.db"),
            "sqlite://data/gateway.db"
        );
    }

    #[test]
    fn placeholders_are_numbered_on_postgres_and_anonymous_on_sqlite() {
        let mut sql = String::new();
        Backend::Postgres.push_placeholders(&mut sql, 3, 3);
        assert_eq!(sql, "$3,$4,$5");
        let mut sql = String::new();
        Backend::Sqlite.push_placeholders(&mut sql, 3, 3);
        assert_eq!(sql, "?,?,?");
    }

    #[test]
    fn rows_of_placeholders_number_on_across_rows() {
        let mut sql = String::new();
        Backend::Postgres.push_rows(&mut sql, 2, 3);
        assert_eq!(sql, "($1,$2,$3),($4,$5,$6)");
        let mut sql = String::new();
        Backend::Sqlite.push_rows(&mut sql, 2, 2);
        assert_eq!(sql, "(?,?),(?,?)");
    }

    #[test]
    fn unknown_schemes_are_refused() {
        assert!(Backend::from_url("mysql://x").is_err());
        assert_eq!(
            Backend::from_url("postgresql://x").unwrap(),
            Backend::Postgres
        );
    }
}
