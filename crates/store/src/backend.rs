//! Connecting, migrating and pooling for either dialect.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::MigrateDatabase;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Executor};

use crate::acceptance::pg_statement::PgDirect;
use crate::acceptance::sqlite_connection::DirectWriter;
use crate::balance_hints::BalanceHints;
use crate::dialect::{Backend, SQLITE_PRAGMAS};
use crate::error::StoreError;
use crate::hash_index::{lock_exclusively, HashIndex};
use crate::migrations::migrator;
use crate::tx::Tx;

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
/// (a queue in front of the file lock instead of `SQLITE_BUSY` retries) and its reads through
/// a separate pool that WAL lets run beside the writer. PostgreSQL has a small pool for writes
/// beside the read pool (see `WRITE_CONNECTIONS`).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) read: AnyPool,
    pub(crate) write: AnyPool,
    /// Balances as this process last committed them (`crate::balance_hints`).
    pub(crate) hints: Arc<BalanceHints>,
    pub(crate) native: Native,
}

/// What only one dialect's store has.
#[derive(Clone, Debug)]
pub(crate) enum Native {
    Sqlite(Arc<SqliteParts>),
    /// The connection optimistic acceptance writes through (`crate::acceptance::pg_statement`).
    Postgres(Arc<PgDirect>),
}

#[derive(Debug)]
pub(crate) struct SqliteParts {
    /// Where each order is, by hash (`crate::hash_index`).
    pub(crate) hash_index: HashIndex,
    /// The store's only write connection, for every write ([`Store::write_connection`]), kept
    /// out of the pool between uses because sqlx wakes its thread to test every connection it
    /// takes back. Holding it is the turn of every SQLite write.
    pub(crate) held_writer: tokio::sync::Mutex<Option<PoolConnection<Any>>>,
    /// The connection optimistic acceptance writes through
    /// (`crate::acceptance::sqlite_connection`).
    pub(crate) direct: DirectWriter,
}

impl Store {
    /// Connects, creating a SQLite file (and its directory) when missing, and applies migrations.
    pub async fn connect(url: &str, opts: &StoreOptions) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let store = match backend {
            Backend::Sqlite => return Store::connect_sqlite(url, opts).await,
            Backend::Postgres => {
                // A database that does not exist yet is created (README.md, "Configuration").
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
                    hints: Arc::default(),
                    native: Native::Postgres(Arc::new(PgDirect::new(url, opts.acquire_timeout)?)),
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
            Ok((hash_index, direct)) => Ok(Store {
                read,
                write,
                hints: Arc::default(),
                native: Native::Sqlite(Arc::new(SqliteParts {
                    hash_index,
                    held_writer: tokio::sync::Mutex::default(),
                    direct,
                })),
            }),
            Err(e) => {
                close_pool(&write).await;
                close_pool(&read).await;
                Err(e)
            }
        }
    }

    /// The connection every write goes through: on SQLite the one held for every write (a queue
    /// in front of the file lock), on PostgreSQL one from the write pool. Its
    /// [`WriteConnection::begin`] opens the transaction that storage functions take.
    pub async fn write_connection(&self) -> Result<WriteConnection<'_>, StoreError> {
        let conn = match &self.native {
            Native::Postgres(_) => Writer::Pooled(self.write.acquire().await?),
            Native::Sqlite(sqlite) => {
                let mut held = sqlite.held_writer.lock().await;
                if held.is_none() {
                    *held = Some(self.write.acquire().await?);
                }
                tokio::sync::MutexGuard::try_map(held, Option::as_mut)
                    .map(Writer::Held)
                    .map_err(|_| StoreError::Corrupt("no write connection held".into()))?
            }
        };
        Ok(WriteConnection { conn, store: self })
    }

    /// The embedded store's hash index; `None` on PostgreSQL.
    pub(crate) fn hash_index(&self) -> Option<&HashIndex> {
        match &self.native {
            Native::Sqlite(sqlite) => Some(&sqlite.hash_index),
            Native::Postgres(_) => None,
        }
    }

    pub fn backend(&self) -> Backend {
        match self.native {
            Native::Sqlite(_) => Backend::Sqlite,
            Native::Postgres(_) => Backend::Postgres,
        }
    }

    /// One round trip on the read pool: what `/ready` asks.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.read.execute("SELECT 1").await?;
        Ok(())
    }

    /// Closes every connection and, on SQLite, lets another process open the file.
    pub async fn close(&self) {
        match &self.native {
            Native::Sqlite(sqlite) => {
                sqlite.held_writer.lock().await.take();
                sqlite.direct.close();
            }
            Native::Postgres(pg_statement) => pg_statement.close().await,
        }
        close_pool(&self.write).await;
        close_pool(&self.read).await;
        if let Some(index) = self.hash_index() {
            index.release();
        }
    }
}

/// The store's write connection for as long as it is held: on SQLite the turn of every write.
pub struct WriteConnection<'s> {
    conn: Writer<'s>,
    store: &'s Store,
}

impl WriteConnection<'_> {
    /// The connection itself, for a single statement outside any transaction.
    pub(crate) fn connection(&mut self) -> &mut AnyConnection {
        &mut self.conn
    }

    /// Opens a transaction; nothing it writes is seen by others before [`Tx::commit`].
    pub async fn begin(&mut self) -> Result<Tx<'_>, StoreError> {
        let inner = sqlx::Connection::begin(&mut *self.conn).await?;
        Ok(Tx::new(inner, self.store))
    }
}

/// A write connection: pooled (PostgreSQL) or the held one (SQLite).
enum Writer<'a> {
    Pooled(PoolConnection<Any>),
    Held(tokio::sync::MappedMutexGuard<'a, PoolConnection<Any>>),
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
/// acceptance one connection of its own (`crate::acceptance::pg_statement`).
const WRITE_CONNECTIONS: u32 = 4;

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
