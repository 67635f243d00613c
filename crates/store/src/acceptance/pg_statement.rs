//! PostgreSQL's acceptance connection: optimistic acceptance (`super::optimistic`) writes a
//! group through a typed sqlx connection of its own, in one statement whose every input is an
//! array (docs/orders.md, "The direct acceptance connections").
//!
//! Through the `Any` driver a group was a multi-row `VALUES` list with 28 parameters per order:
//! its SQL text differed with the group's size, so it was built, hashed and often prepared
//! afresh, PostgreSQL set up an expression per parameter at every execution, and every value
//! was encoded twice (into `Any`'s arguments, then into PostgreSQL's). Here the text is one of
//! two constants (with and without the idempotent responses), each prepared and planned once
//! per connection ([`SESSION_SETTINGS`]), so neither the text nor the plan depends on the
//! group's size: each column of the group is one array, expanded by `unnest`. The connection
//! is one beyond the store's write pool.

use std::str::FromStr;
use std::sync::LazyLock;
use std::time::Duration;

use sqlx::postgres::{PgArguments, PgConnectOptions, PgConnection};
use sqlx::query::Query;
use sqlx::{Connection, Executor, Postgres};
use types::Timestamp;

use super::{HintedBalance, Response, HINTED_BALANCE_FIELDS};
use crate::error::StoreError;
use crate::orders::{bind_order_arrays, insert_into_orders, OrderColumns, COLUMN_ARRAY_TYPES};

/// SQLSTATE of the failure the statement raises when a hint or an insert did not hold
/// (`serialization_failure`; migration 0006 defines `acceptance_conflict()`).
const CONFLICT: &str = "40001";
/// SQLSTATE of a deadlock PostgreSQL broke by failing this statement: the locking path retries.
const DEADLOCK: &str = "40P01";
/// SQLSTATE of an insert whose hash is stored already: the locking path tells which order it was.
const UNIQUE_VIOLATION: &str = "23505";

/// The statement for a group without idempotent responses to keep. Parameters: the balance
/// changes as six arrays (wallet, asset, hinted available, hinted reserved, new available, new
/// reserved), one array per column of `orders::COLUMNS`, and the time of the change.
///
/// It sets each balance only where it still holds the hinted amounts, inserts the orders, and
/// fails, undoing all of it, unless every balance was set. The balances' `UPDATE` walks the
/// hinted arrays in their order (a nested loop over them, probing the balances' key), and
/// [`PgDirect::accept`] binds them sorted as the locking path locks
/// (`store::balances::lock_balances`), so that this statement and a transaction that locks the
/// same balances never wait on each other in opposite orders.
///
/// Its shape spares the server work it would otherwise repeat for every group or every row
/// (docs/orders.md, "The direct acceptance connections"):
/// - the balances are updated straight from their arrays: a CTE that first locked them
///   `FOR UPDATE` and joined back made PostgreSQL build a hash table, a memoize cache and a
///   sort for every group;
/// - the orders' arrays are expanded by `unnest` calls in the select list, which hand over one
///   row at a time, where `unnest(a, b, …)` in `FROM` first copied each array into a
///   tuplestore of its own;
/// - no `ON CONFLICT` on the insert: it would probe the hash index before each row, work every
///   order pays for a case that is rare. An order stored before fails the statement with a
///   unique violation instead, and the locking path sorts the group out.
static ACCEPT: LazyLock<String> = LazyLock::new(|| accept_statement(false));

/// [`ACCEPT`] that also keeps the responses, given as three more arrays (wallet, key,
/// response). A statement of its own because setting up the update of `idempotency_keys` costs
/// every group server CPU even when it has no response to keep, which most groups do not.
static ACCEPT_AND_ANSWER: LazyLock<String> = LazyLock::new(|| accept_statement(true));

fn accept_statement(answer: bool) -> String {
    const BALANCE_ARRAYS: usize = HINTED_BALANCE_FIELDS;
    let columns: Vec<String> = COLUMN_ARRAY_TYPES
        .iter()
        .enumerate()
        .map(|(i, array)| format!("unnest(${}::{array})", BALANCE_ARRAYS + 1 + i))
        .collect();
    let now = BALANCE_ARRAYS + COLUMN_ARRAY_TYPES.len() + 1;
    let answered = if answer {
        let (wallets, keys, responses) = (now + 1, now + 2, now + 3);
        format!(
            ", answered AS (UPDATE idempotency_keys AS k SET response = r.response \
             FROM unnest(${wallets}::text[], ${keys}::text[], ${responses}::text[]) \
             AS r (wallet, idempotency_key, response) \
             WHERE k.wallet = r.wallet AND k.idempotency_key = r.idempotency_key \
             AND k.response IS NULL RETURNING 1)"
        )
    } else {
        String::new()
    };
    format!(
        "WITH inserted AS ({} SELECT {}), \
         updated AS (UPDATE balances AS b \
         SET available = h.new_available, reserved = h.new_reserved, updated_at = ${now} \
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) \
         AS h (wallet, asset, old_available, old_reserved, new_available, new_reserved) \
         WHERE b.wallet = h.wallet AND b.asset = h.asset \
         AND b.available = h.old_available AND b.reserved = h.old_reserved RETURNING 1)\
         {answered} \
         SELECT CASE WHEN (SELECT count(*) FROM updated) = cardinality($1::text[]) \
         THEN 0 ELSE acceptance_conflict() END AS conflict",
        insert_into_orders(false),
        columns.join(", ")
    )
}

/// Set on every acceptance connection as it opens.
///
/// - `plan_cache_mode`: each statement is planned once per connection, never per group.
///   Left to choose, PostgreSQL planned a custom plan for each group's parameters whenever its
///   cost model preferred one (which depends on the array sizes it saw), repeating the costly
///   planning of the statement's CTEs for every group (docs/orders.md, "The direct acceptance
///   connections").
/// - `enable_seqscan`: as on the write pool's connections (`Store::connect`), that one plan
///   must find balances by key however small the table's statistics say it is.
const SESSION_SETTINGS: &str = "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off";

/// The connection, opened at the first group and again after one failed, until the store
/// closes.
pub(crate) struct PgDirect {
    options: PgConnectOptions,
    connect_timeout: Duration,
    connection: tokio::sync::Mutex<Slot>,
}

enum Slot {
    /// Not opened yet, or dropped after a failure: the next group connects.
    Idle,
    Open(PgConnection),
    /// Closed with the store: later groups fail with `Closed` instead of reconnecting.
    Closed,
}

impl std::fmt::Debug for PgDirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgDirect").finish_non_exhaustive()
    }
}

impl PgDirect {
    pub(crate) fn new(url: &str, connect_timeout: Duration) -> Result<PgDirect, StoreError> {
        Ok(PgDirect {
            options: PgConnectOptions::from_str(url)?,
            connect_timeout,
            connection: tokio::sync::Mutex::new(Slot::Idle),
        })
    }

    /// Stores `orders`, sets every hinted balance and keeps the responses, in one statement
    /// that is its own transaction; `false`, with nothing stored, when a balance no longer
    /// holds its hinted amounts or an order's hash is stored already.
    pub(crate) async fn accept(
        &self,
        orders: &[&OrderColumns],
        balances: &[HintedBalance],
        responses: &[Response<'_>],
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        // The locking path's lock order: (wallet, asset) as text, byte by byte ("C" collation).
        let mut balances: Vec<&HintedBalance> = balances.iter().collect();
        balances.sort_unstable_by(|a, b| (&a[0], &a[1]).cmp(&(&b[0], &b[1])));
        let balance_column =
            |i: usize| -> Vec<&str> { balances.iter().map(|b| b[i].as_str()).collect() };
        let answer = !responses.is_empty();
        let statement = if answer { &ACCEPT_AND_ANSWER } else { &ACCEPT };
        let mut query: Query<'_, Postgres, PgArguments> = sqlx::query(statement.as_str());
        for i in 0..HINTED_BALANCE_FIELDS {
            query = query.bind(balance_column(i));
        }
        query = bind_order_arrays(query, orders).bind(now.0);
        if answer {
            let wallets: Vec<String> = responses.iter().map(|(w, _, _)| w.to_string()).collect();
            let keys: Vec<&str> = responses.iter().map(|(_, k, _)| *k).collect();
            let bodies: Vec<&str> = responses.iter().map(|(_, _, r)| r.as_str()).collect();
            query = query.bind(wallets).bind(keys).bind(bodies);
        }

        let mut slot = self.connection.lock().await;
        if let Slot::Idle = *slot {
            *slot = Slot::Open(self.connect().await?);
        }
        let Slot::Open(connection) = &mut *slot else {
            return Err(StoreError::Closed);
        };
        match query.fetch_all(&mut *connection).await {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e))
                if matches!(
                    e.code().as_deref(),
                    Some(CONFLICT) | Some(DEADLOCK) | Some(UNIQUE_VIOLATION)
                ) =>
            {
                Ok(false)
            }
            Err(e) => {
                // The next group opens a fresh connection.
                *slot = Slot::Idle;
                Err(e.into())
            }
        }
    }

    async fn connect(&self) -> Result<PgConnection, StoreError> {
        let connect = async {
            let mut connection = PgConnection::connect_with(&self.options).await?;
            // Two statements in one message: a query without arguments goes through the
            // simple protocol, which runs several. (`sqlx::raw_sql` says so by name, but its
            // future is not `Send` for every lifetime, which the writer's task needs.)
            connection.execute(SESSION_SETTINGS).await?;
            Ok::<_, sqlx::Error>(connection)
        };
        match tokio::time::timeout(self.connect_timeout, connect).await {
            Ok(connection) => Ok(connection?),
            Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "connecting the acceptance connection timed out",
            ))
            .into()),
        }
    }

    /// Closes the connection; later groups fail with `Closed`.
    pub(crate) async fn close(&self) {
        let mut slot = self.connection.lock().await;
        if let Slot::Open(connection) = std::mem::replace(&mut *slot, Slot::Closed) {
            // The server ends the session either way; an error here leaves nothing behind.
            let _ = connection.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use test_support::PgSchema;

    use super::*;
    use crate::{Store, StoreOptions};

    /// A store on a fresh, migrated schema (kept while the schema value lives).
    async fn migrated_store() -> (PgSchema, Store) {
        let schema = PgSchema::create().await;
        let store = Store::connect(&schema.url, &StoreOptions::default())
            .await
            .expect("the store connects and migrates");
        (schema, store)
    }

    fn direct_of(store: &Store) -> &PgDirect {
        match &store.native {
            crate::backend::Native::Postgres(pg) => pg,
            crate::backend::Native::Sqlite(_) => panic!("a PostgreSQL store has one"),
        }
    }

    /// Planning the statement for each group's parameters would repeat the planner's work for
    /// every group; only the first execution on a connection may plan each statement.
    #[tokio::test]
    #[ignore = "needs PostgreSQL"]
    async fn the_acceptance_statements_are_planned_once_per_connection() {
        let (_schema, store) = migrated_store().await;
        let direct = direct_of(&store);
        let wallet = types::Wallet(types::Address::repeat_byte(7));
        let response: Response<'_> = (wallet, "no-such-key", "{}".to_owned());
        for now in 1..=3 {
            // An empty group inserts nothing and sets no balance, and a response for a key
            // never claimed is kept nowhere: both statements succeed.
            let accepted = direct.accept(&[], &[], &[], Timestamp(now)).await;
            assert!(matches!(accepted, Ok(true)), "{accepted:?}");
            let responses = std::slice::from_ref(&response);
            let accepted = direct.accept(&[], &[], responses, Timestamp(now)).await;
            assert!(matches!(accepted, Ok(true)), "{accepted:?}");
        }
        let mut slot = direct.connection.lock().await;
        let Slot::Open(connection) = &mut *slot else {
            panic!("the connection stays open after a group");
        };
        for statement in [&ACCEPT, &ACCEPT_AND_ANSWER] {
            let (generic, custom): (i64, i64) = sqlx::query_as(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements \
                 WHERE statement = $1",
            )
            .bind(statement.as_str())
            .fetch_one(&mut *connection)
            .await
            .expect("the statement is prepared on the connection");
            assert_eq!((generic, custom), (3, 0));
        }
        drop(slot);
        store.close().await;
    }

    /// The statement takes no lock of its own on the balances: the order in which its update
    /// locks them is that of the arrays, which `accept` binds in the locking path's order, only
    /// while the plan drives the update from the arrays (a nested loop, the arrays outside).
    #[tokio::test]
    #[ignore = "needs PostgreSQL"]
    async fn the_balances_are_updated_in_the_order_of_their_arrays() {
        let (_schema, store) = migrated_store().await;
        let direct = direct_of(&store);
        let mut connection = direct.connect().await.expect("the connection opens");
        for statement in [&ACCEPT, &ACCEPT_AND_ANSWER] {
            // Its parameters are $1 to the highest number it names.
            let count = statement
                .split('$')
                .skip(1)
                .filter_map(|rest| {
                    let digits = rest.split(|c: char| !c.is_ascii_digit()).next()?;
                    digits.parse::<usize>().ok()
                })
                .max()
                .expect("the statement has parameters");
            sqlx::query(&format!("PREPARE acceptance AS {}", statement.as_str()))
                .execute(&mut connection)
                .await
                .expect("the statement prepares");
            let nulls = vec!["NULL"; count].join(", ");
            let plan: Vec<String> =
                sqlx::query_scalar(&format!("EXPLAIN (COSTS OFF) EXECUTE acceptance ({nulls})"))
                    .fetch_all(&mut connection)
                    .await
                    .expect("the generic plan explains");
            let update = plan
                .iter()
                .position(|line| line.contains("Update on balances"))
                .expect("the plan updates balances");
            let driving: Vec<&str> = plan[update + 1..update + 4]
                .iter()
                .map(|line| line.trim_start_matches([' ', '-', '>']).trim())
                .collect();
            assert!(
                driving[0].starts_with("Nested Loop")
                    && driving[1].starts_with("Function Scan on h")
                    && driving[2].starts_with("Index Scan using balances_pkey"),
                "{}",
                plan.join("\n")
            );
            sqlx::query("DEALLOCATE acceptance")
                .execute(&mut connection)
                .await
                .expect("the statement is released");
        }
        store.close().await;
    }
}
