//! Connecting, migrating and pooling for either dialect.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::MigrateDatabase;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor, Transaction};

use crate::balance_hints::BalanceHints;
use crate::direct::DirectWriter;
use crate::error::StoreError;
use crate::hash_index::{lock_exclusively, HashIndex};
use crate::migrations::migrator;
use crate::pg_direct::PgDirect;

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

#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(5),
        }
    }
}

/// The database handle. Cheap to clone.
///
/// SQLite allows one writer at a time, so its writes go through one connection the store holds
/// (`Store::writer`: a queue in front of the file lock instead of `SQLITE_BUSY` retries) and
/// its reads through a separate pool that WAL lets run beside the writer. PostgreSQL has a small
/// pool for writes beside the read pool (see `WRITE_CONNECTIONS`).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    pub(crate) backend: Backend,
    /// Balances as this process last committed them (`crate::optimistic`).
    pub(crate) hints: Arc<BalanceHints>,
    /// SQLite only: where each order is, by hash (`crate::hash_index`).
    pub(crate) hash_index: Option<Arc<HashIndex>>,
    /// SQLite only: the store's only write connection, for every write ([`Store::writer`]), kept
    /// out of the pool between uses because sqlx wakes its thread to test every connection it
    /// takes back. Holding it is the turn of every SQLite write.
    pub(crate) held_writer: Arc<tokio::sync::Mutex<Option<PoolConnection<Any>>>>,
    /// SQLite only: the connection optimistic acceptance writes through (`crate::direct`).
    pub(crate) direct: Option<Arc<DirectWriter>>,
    /// PostgreSQL only: the connection optimistic acceptance writes through (`crate::pg_direct`).
    pub(crate) pg_direct: Option<Arc<PgDirect>>,
}

impl Store {
    /// Connects, creating a SQLite file (and its directory) when missing, and applies migrations.
    pub async fn connect(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let store = match backend {
            Backend::Sqlite => return Store::connect_sqlite(url, opts).await,
            Backend::Postgres => {
                // Section 7: a database that does not exist yet is created.
                if !sqlx::Postgres::database_exists(url).await? {
                    // Another instance may create it at the same moment; that is success too.
                    if let Err(e) = sqlx::Postgres::create_database(url).await {
                        if !sqlx::Postgres::database_exists(url).await? {
                            return Err(e.into());
                        }
                    }
                }
                let options = AnyConnectOptions::from_str(url)?;
                let read = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(opts.acquire_timeout)
                    .connect_with(options.clone())
                    .await?;
                // Writes skip the ping sqlx sends before handing out a pooled connection: it is
                // a round trip in front of every acceptance group, on the serial path of order
                // intake. A connection that died while idle fails its first statement instead;
                // that request gets SERVICE_DEGRADED and the pool drops the connection.
                let write = AnyPoolOptions::new()
                    .max_connections(WRITE_CONNECTIONS)
                    .acquire_timeout(opts.acquire_timeout)
                    .test_before_acquire(false)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            // Every write finds its rows by key, and its statements stay
                            // prepared (one round trip each). PostgreSQL plans a prepared
                            // statement once for any parameters after five runs; while a table
                            // is new its statistics say empty, and that generic plan scanned
                            // all of `orders` for every group as the table grew (docs/orders.md).
                            // Without sequential scans an index is used wherever one applies.
                            // Planning every execution for its parameters instead
                            // (plan_cache_mode) would put the planner on every group.
                            conn.execute("SET enable_seqscan = off").await?;
                            Ok(())
                        })
                    })
                    .connect_with(options)
                    .await?;
                Store {
                    read,
                    write,
                    backend,
                    hints: Arc::default(),
                    hash_index: None,
                    held_writer: Arc::default(),
                    direct: None,
                    pg_direct: Some(Arc::new(PgDirect::new(url, opts.acquire_timeout)?)),
                }
            }
        };
        // Several instances may start together against one PostgreSQL: sqlx takes an advisory
        // lock around the migration run, so only one applies it.
        migrator(backend).run(&store.write).await?;
        Ok(store)
    }

    /// The embedded store: the file locked for this process first, then migrated, then its
    /// hash index loaded (`crate::hash_index`).
    async fn connect_sqlite(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        let (url, file) = sqlite_url_creating_file(url)?;
        // Its connections each open a database of their own: nothing written would be read.
        let file = file
            .filter(|_| !url.contains("mode=memory"))
            .ok_or_else(|| {
                StoreError::UnsupportedUrl(format!("{url}: in-memory SQLite (give a file)"))
            })?;
        let lock = lock_exclusively(&file)?;
        let read = sqlite_pool(&url, opts.max_connections.max(1), opts).await?;
        let write = sqlite_pool(&url, 1, opts).await?;
        let loaded = match migrator(Backend::Sqlite).run(&write).await {
            Ok(()) => HashIndex::load(&write, Some(lock)).await,
            Err(e) => Err(e.into()),
        };
        let opened = loaded.and_then(|index| Ok((index, DirectWriter::open(&file)?)));
        match opened {
            Ok((index, direct)) => Ok(Store {
                read,
                write,
                backend: Backend::Sqlite,
                hints: Arc::default(),
                hash_index: Some(Arc::new(index)),
                held_writer: Arc::default(),
                direct: Some(Arc::new(direct)),
                pg_direct: None,
            }),
            Err(e) => {
                close_pool(&write).await;
                close_pool(&read).await;
                Err(e)
            }
        }
    }

    /// A connection to write with: on SQLite the one held for every write (a queue in front of
    /// the file lock), on PostgreSQL one from the write pool.
    pub(crate) async fn writer(&self) -> Result<Writer<'_>, StoreError> {
        match self.backend {
            Backend::Postgres => Ok(Writer::Pooled(self.write.acquire().await?)),
            Backend::Sqlite => {
                let mut held = self.held_writer.lock().await;
                if held.is_none() {
                    *held = Some(self.write.acquire().await?);
                }
                tokio::sync::MutexGuard::try_map(held, Option::as_mut)
                    .map(Writer::Held)
                    .map_err(|_| StoreError::Corrupt("no write connection held".into()))
            }
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// One round trip on the read pool: what `/ready` asks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read.execute("SELECT 1").await?;
        Ok(())
    }

    /// Closes every connection and, on SQLite, lets another process open the file.
    pub async fn close(&self) {
        {
            let mut held = self.held_writer.lock().await;
            held.take();
            if let Some(direct) = &self.direct {
                direct.close();
            }
        }
        if let Some(pg_direct) = &self.pg_direct {
            pg_direct.close().await;
        }
        close_pool(&self.write).await;
        close_pool(&self.read).await;
        if let Some(index) = &self.hash_index {
            index.release();
        }
    }
}

/// A write connection from [`Store::writer`].
pub(crate) enum Writer<'a> {
    Pooled(PoolConnection<Any>),
    Held(tokio::sync::MappedMutexGuard<'a, PoolConnection<Any>>),
}

impl Writer<'_> {
    pub(crate) async fn begin(&mut self) -> Result<Transaction<'_, Any>, sqlx::Error> {
        sqlx::Connection::begin(&mut **self).await
    }
}

impl std::ops::Deref for Writer<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        match self {
            Writer::Pooled(connection) => connection,
            Writer::Held(connection) => connection,
        }
    }
}

impl std::ops::DerefMut for Writer<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        match self {
            Writer::Pooled(connection) => connection,
            Writer::Held(connection) => connection,
        }
    }
}

/// Closes a pool and every connection it holds.
///
/// sqlx 0.8's `Pool::close` can return with a connection still open: a connection dropped
/// just before it is pinged on its way back and lands in the idle queue after `close` emptied
/// that queue for the last time, and nothing closes it until the pool itself is dropped. A
/// PostgreSQL session left that way keeps the database busy (`DROP DATABASE` fails with
/// "being accessed by other users"). Closing again drains what came back since. The deadline
/// keeps a connection that some task never returns from holding up shutdown for good.
async fn close_pool(pool: &AnyPool) {
    let deadline = tokio::time::Instant::now() + CLOSE_DEADLINE;
    loop {
        pool.close().await;
        if pool.size() == 0 || tokio::time::Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

const CLOSE_DEADLINE: Duration = Duration::from_secs(5);

/// The URL to connect with (`mode=rwc` unless a mode is given) and the database file, if any.
fn sqlite_url_creating_file(url: &str) -> Result<(String, Option<PathBuf>), StoreError> {
    let rest = url.trim_start_matches("sqlite:").trim_start_matches("//");
    let (path, query) = match rest.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (rest, None),
    };
    let file = (path != ":memory:" && !path.is_empty()).then(|| PathBuf::from(path));
    if let Some(dir) = file
        .as_deref()
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let url = match query {
        Some(q) if q.contains("mode=") => url.to_owned(),
        Some(_) => format!("{url}&mode=rwc"),
        None => format!("{url}?mode=rwc"),
    };
    Ok((url, file))
}

/// PostgreSQL connections for writes: the acceptance writer's locking path, cancels, credits
/// and key changes. Reads have their own pool (`StoreOptions::max_connections`), and optimistic
/// acceptance one connection of its own (`crate::pg_direct`).
const WRITE_CONNECTIONS: u32 = 4;

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

async fn sqlite_pool(url: &str, max: u32, opts: &StoreOptions) -> Result<AnyPool, StoreError> {
    let options = AnyConnectOptions::from_str(url)?;
    let pool = AnyPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(opts.acquire_timeout)
        // A connection to a local file does not break while idle; the ping sqlx sends before
        // handing one out would be a round trip to its thread in front of every transaction.
        .test_before_acquire(false)
        .after_connect(|conn, _| {
            Box::pin(async move {
                for pragma in SQLITE_PRAGMAS {
                    conn.execute(*pragma).await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await?;
    Ok(pool)
}

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
