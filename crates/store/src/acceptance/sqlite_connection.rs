//! The embedded store's acceptance connection: a second SQLite connection to the database
//! file, driven synchronously from the calling thread instead of through sqlx's connection
//! thread (docs/orders.md, "The direct acceptance connections").
//!
//! Through sqlx, every statement is a hand-off to the connection's own thread and back, each
//! waking a thread on both sides; a group accepted optimistically took four (BEGIN, insert,
//! compare-and-set, COMMIT) and its rows went in as one multi-row INSERT whose SQL text was
//! rebuilt, hashed and looked up per group. Here a group is one blocking call: single-row
//! statements prepared once and kept, executed row by row on the caller's thread.
//!
//! The two connections do not contend for SQLite's write lock: this one writes only while its
//! caller holds the turn of the sqlx write connection (`SqliteParts::held_writer`), the queue every
//! other SQLite write waits in. (A request dropped in the middle of a sqlx write gives the turn
//! back while sqlx's thread finishes the statement and rolls back; `busy_timeout` covers that.)

use std::path::Path;
use std::sync::{LazyLock, Mutex};

use rusqlite::{Connection, OpenFlags, TransactionBehavior};
use types::Timestamp;

use super::{HintedBalance, Response};
use crate::dialect::SQLITE_PRAGMAS;
use crate::error::StoreError;
use crate::idempotency::KEEP_RESPONSE;
use crate::orders::{insert_into_orders, OrderColumns, INSERT_COLUMNS};

/// One order row: the rowid the hash index allocated for it, then `orders::COLUMNS`, bound in that
/// order by `OrderColumns::direct_values`.
static INSERT_ORDER: LazyLock<String> = LazyLock::new(|| {
    let placeholders: Vec<String> = (1..=INSERT_COLUMNS + 1).map(|n| format!("?{n}")).collect();
    format!(
        "{} VALUES ({})",
        insert_into_orders(true),
        placeholders.join(", ")
    )
});

/// A balance set only where it still holds the amounts this process last committed.
const SET_HINTED_BALANCE: &str = "UPDATE balances SET available = ?1, reserved = ?2, \
    updated_at = ?3 WHERE wallet = ?4 AND asset = ?5 AND available = ?6 AND reserved = ?7";

/// The connection, opened once per store and closed with it.
pub(crate) struct DirectWriter {
    connection: Mutex<Option<Connection>>,
}

impl std::fmt::Debug for DirectWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DirectWriter").finish_non_exhaustive()
    }
}

impl DirectWriter {
    /// Opens the (migrated) database file with the settings of the sqlx connections.
    pub(crate) fn open(path: &Path) -> Result<DirectWriter, StoreError> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        for pragma in SQLITE_PRAGMAS {
            connection.execute_batch(pragma)?;
        }
        Ok(DirectWriter {
            connection: Mutex::new(Some(connection)),
        })
    }

    /// Stores `orders` (the first at rowid `first_row`, the rest after it), sets every hinted
    /// balance and keeps the responses, in one transaction; `false`, with nothing stored, when
    /// a balance no longer holds its hinted amounts. Blocks the calling thread until COMMIT.
    pub(crate) fn accept(
        &self,
        first_row: i64,
        orders: &[&OrderColumns],
        balances: &[HintedBalance],
        responses: &[Response<'_>],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut connection = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let connection = connection.as_mut().ok_or(StoreError::Closed)?;
        if !connection.is_autocommit() {
            // A rollback that failed (an I/O error) left a transaction open: end it before it
            // holds SQLite's write lock against every other writer until a restart.
            connection.execute_batch("ROLLBACK")?;
        }
        // IMMEDIATE: the write lock is taken at BEGIN, so no statement below can meet a
        // reader's snapshot upgrade and fail with SQLITE_BUSY halfway.
        let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert = tx.prepare_cached(&INSERT_ORDER)?;
            for (row, order) in (first_row..).zip(orders) {
                insert.execute(order.direct_values(&row).as_slice())?;
            }
            let mut set = tx.prepare_cached(SET_HINTED_BALANCE)?;
            for [wallet, asset, available, reserved, new_available, new_reserved] in balances {
                let set_now = set.execute(rusqlite::params![
                    new_available,
                    new_reserved,
                    now.0,
                    wallet,
                    asset,
                    available,
                    reserved
                ])?;
                if set_now != 1 {
                    // Dropping the transaction rolls it back.
                    return Ok(false);
                }
            }
            if !responses.is_empty() {
                let mut keep = tx.prepare_cached(KEEP_RESPONSE)?;
                for (wallet, key, response) in responses {
                    keep.execute(rusqlite::params![response, wallet.to_string(), key])?;
                }
            }
        }
        tx.commit()?;
        Ok(true)
    }

    /// Closes the connection; later calls fail with [`StoreError::Closed`].
    pub(crate) fn close(&self) {
        let connection = self
            .connection
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(connection) = connection {
            if let Err((_, e)) = connection.close() {
                tracing::warn!(error = %e, "closing the acceptance connection failed");
            }
        }
    }
}
