//! Accepting validated orders: the duplicate check against stored hashes, the balance
//! reservation and the insert of the order rows, with the idempotent responses, in one
//! transaction for a whole group of requests (docs/orders.md, "Acceptance").
//!
//! The caller has run every stateless rule; what is left needs the database and is decided
//! here, order by order in submission order, so each reservation sees what the earlier orders
//! of the group (its own batch and the requests committed with it) left available.

use std::collections::{BTreeMap, HashMap, HashSet};

use sqlx::{Any, Row, Transaction};
use types::{OrderHash, Timestamp, Wallet, Wei};

use crate::balances::{ensure_balance_row, lock_balances, write_balances, Asset, Balance};
use crate::error::{parse_col, StoreError};
use crate::hash_index::{HashIndex, Inserted};
use crate::idempotency::IdempotentResponse;
use crate::orders::{insert_order, insert_orders_bulk, OrderColumns, OrderRecord};
use crate::{Backend, Store};

/// One request's validated orders, with the idempotency key whose response is kept with them.
#[derive(Clone, Debug, Default)]
pub struct Submission {
    /// Records as [`OrderRecord`] with `reserved` set to what acceptance must reserve.
    orders: Vec<OrderRecord>,
    /// `orders` rendered for the insert, one for one.
    columns: Vec<OrderColumns>,
    idempotency: Option<IdempotencyTarget>,
}

impl Submission {
    /// Renders the orders' column values now, on the caller's thread (see [`OrderColumns`]).
    pub fn new(orders: Vec<OrderRecord>, idempotency: Option<IdempotencyTarget>) -> Submission {
        let columns = orders.iter().map(OrderColumns::from).collect();
        Submission {
            orders,
            columns,
            idempotency,
        }
    }

    pub fn orders(&self) -> &[OrderRecord] {
        &self.orders
    }

    pub fn idempotency(&self) -> Option<&IdempotencyTarget> {
        self.idempotency.as_ref()
    }

    pub(crate) fn columns(&self) -> &[OrderColumns] {
        &self.columns
    }
}

/// The (wallet, key) a request claimed with [`Store::claim_idempotency_key`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyTarget {
    pub wallet: Wallet,
    pub key: String,
}

/// Why a validated order was not accepted (steps 10 and 11).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// An order with this hash is stored already, or was accepted earlier in the group.
    Duplicate,
    /// What the wallet may spend of the order's asset is less than its reservation.
    InsufficientBalance,
}

/// Per order of a submission, in order: accepted, or why not.
pub type Outcomes = Vec<Result<(), Refusal>>;

/// What a wallet may spend when the internal ledger is not the authority: the total it holds
/// of an asset (for example on chain). The spendable amount is then that total less what its
/// open orders already reserve; the ledger's `available` column is not consulted.
pub type Holdings = HashMap<(Wallet, Asset), Wei>;

impl Store {
    /// Accepts a group of submissions in one transaction and returns each one's outcomes.
    ///
    /// `holdings` overrides the ledger for the (wallet, asset) pairs it names (see
    /// [`Holdings`]). `render(i, outcomes)` gives the response to keep for submission `i`'s
    /// idempotency key; it is called inside the transaction, so the stored response describes
    /// exactly what commits. On any error the transaction is rolled back and nothing of the
    /// group is stored or reserved.
    pub async fn accept_orders<R, E>(
        &self,
        submissions: &[Submission],
        holdings: &Holdings,
        now: Timestamp,
        render: R,
    ) -> Result<Vec<Outcomes>, StoreError>
    where
        R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, E>,
        E: std::fmt::Display,
    {
        let (backend, render) = (self.backend, &render);
        if holdings.is_empty() {
            if let Some(outcomes) = self.accept_optimistically(submissions, now, render).await? {
                return Ok(outcomes);
            }
        }
        let index = self.hash_index.as_deref();
        // The embedded store knows every stored hash (`crate::hash_index`): one attempt, with
        // the lookup, always lands every insert.
        let attempts: &[Inserts] = match index {
            Some(_) => &[Inserts::Bulk { precheck: true }],
            None => &ATTEMPTS,
        };
        let mut writer = self.writer().await?;
        let mut tx = writer.begin().await?;
        let mut result = Ok(None);
        let mut inserted = Inserted::default();
        // Each attempt is valid only if every insert lands; when one is skipped (its hash is
        // stored already), the reservations decided after it may be wrong, so the group is
        // rolled back and decided again by the next, more careful attempt.
        for (i, &inserts) in attempts.iter().enumerate() {
            if i > 0 {
                tx.rollback().await?;
                tx = writer.begin().await?;
            }
            inserted = Inserted::default();
            let target = Target {
                backend,
                index,
                inserted: &mut inserted,
            };
            result = accept_in(&mut tx, target, submissions, holdings, now, render, inserts).await;
            if !matches!(result, Ok(None)) {
                break;
            }
        }
        match result {
            Ok(Some((outcomes, balances))) => {
                tx.commit().await?;
                if let Some(index) = index {
                    index.extend(inserted);
                }
                self.hints.record(&balances);
                Ok(outcomes)
            }
            Ok(None) | Err(_) => {
                if let Err(rollback) = tx.rollback().await {
                    tracing::warn!(error = %rollback, "rollback of a failed acceptance failed");
                }
                Err(result.err().unwrap_or_else(|| {
                    StoreError::Corrupt("inserting order by order skipped an order".into())
                }))
            }
        }
    }
}

/// How [`accept_in`] learns which hashes are stored already and stores the accepted orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Inserts {
    /// Decide every order first, then insert the accepted ones with multi-row INSERTs: a few
    /// statements per group instead of one per order. With `precheck`, the group's hashes are
    /// looked up first; without it, the insert itself tells (an honest group holds no order
    /// stored before, and saves the lookup). Valid only if every insert lands; if one is
    /// skipped, `accept_in` answers `None` and the caller tries the next way.
    Bulk { precheck: bool },
    /// Insert each order as it is decided, so that one skipped as stored meanwhile (by another
    /// instance, after the lookup) is a `Duplicate` that reserves nothing, before the next
    /// order is decided.
    OneByOne,
}

/// The ways [`Store::accept_orders`] tries, in order: a group with an order stored before costs
/// one more attempt, and one that races another instance's insert of the same hash, two.
const ATTEMPTS: [Inserts; 3] = [
    Inserts::Bulk { precheck: false },
    Inserts::Bulk { precheck: true },
    Inserts::OneByOne,
];

/// Where [`accept_in`] writes: the dialect, and on SQLite the hash index with what this
/// attempt inserted.
struct Target<'a> {
    backend: Backend,
    index: Option<&'a HashIndex>,
    inserted: &'a mut Inserted,
}

async fn accept_in<R, E>(
    tx: &mut Transaction<'_, Any>,
    target: Target<'_>,
    submissions: &[Submission],
    holdings: &Holdings,
    now: Timestamp,
    render: &R,
    inserts: Inserts,
) -> Result<Option<(Vec<Outcomes>, BTreeMap<(Wallet, Asset), Balance>)>, StoreError>
where
    R: Fn(usize, &[Result<(), Refusal>]) -> Result<String, E>,
    E: std::fmt::Display,
{
    let Target {
        backend,
        index,
        inserted,
    } = target;
    let all: Vec<&OrderRecord> = submissions.iter().flat_map(|s| &s.orders).collect();
    let mut seen = if inserts == (Inserts::Bulk { precheck: false }) {
        HashSet::new()
    } else {
        let hashes: Vec<OrderHash> = all.iter().map(|o| o.order_hash).collect();
        stored_hashes(tx, backend, index, &hashes).await?
    };

    // Lock every balance the group touches, in one global order so that concurrent writers
    // (other instances, cancels) cannot deadlock against this one.
    let mut balances: BTreeMap<(Wallet, Asset), (Balance, bool)> = BTreeMap::new();
    for o in &all {
        balances.insert((o.wallet, o.reserved_asset()), (Balance::default(), false));
    }
    for pair in balances.keys() {
        if holdings.contains_key(pair) {
            // Judged against an external total: the row must exist to be locked, or two
            // instances could both reserve against the same total.
            ensure_balance_row(tx, pair.0, pair.1, now).await?;
        }
    }
    let pairs: Vec<(Wallet, Asset)> = balances.keys().copied().collect();
    for (pair, locked) in lock_balances(tx, backend, &pairs).await? {
        if let Some((balance, _)) = balances.get_mut(&pair) {
            *balance = locked;
        }
    }

    let mut results = Vec::with_capacity(submissions.len());
    let mut accepted = Vec::new();
    for submission in submissions {
        let mut outcomes = Vec::with_capacity(submission.orders.len());
        for (o, columns) in submission.orders.iter().zip(&submission.columns) {
            let outcome = match inserts {
                Inserts::OneByOne => {
                    let at = (index, &mut *inserted);
                    accept_one(tx, at, o, columns, &mut seen, &mut balances, holdings).await?
                }
                Inserts::Bulk { .. } => match judge(o, &seen, &balances, holdings)? {
                    Ok(reserved) => {
                        reserve(o, &mut seen, &mut balances, holdings, reserved);
                        accepted.push(columns);
                        Ok(())
                    }
                    Err(refusal) => Err(refusal),
                },
            };
            outcomes.push(outcome);
        }
        results.push(outcomes);
    }
    let sqlite = index.map(|index| (index, &mut *inserted));
    if matches!(inserts, Inserts::Bulk { .. })
        && insert_orders_bulk(tx, backend, &accepted, sqlite).await? != accepted.len() as u64
    {
        return Ok(None);
    }
    if inserts == (Inserts::Bulk { precheck: false }) {
        relabel_stored_duplicates(tx, backend, submissions, &mut results).await?;
    }

    let changed: BTreeMap<(Wallet, Asset), Balance> = balances
        .iter()
        .filter(|(_, (_, changed))| *changed)
        .map(|(pair, (balance, _))| (*pair, *balance))
        .collect();
    write_balances(tx, backend, &changed, now).await?;
    for (i, submission) in submissions.iter().enumerate() {
        if let Some(target) = &submission.idempotency {
            let response =
                render(i, &results[i]).map_err(|e| StoreError::Response(e.to_string()))?;
            IdempotentResponse {
                wallet: target.wallet,
                key: &target.key,
                response: &response,
            }
            .store_in(tx)
            .await?;
        }
    }
    let after = balances
        .into_iter()
        .map(|(pair, (balance, _))| (pair, balance))
        .collect();
    Ok(Some((results, after)))
}

async fn accept_one(
    tx: &mut Transaction<'_, Any>,
    (index, inserted): (Option<&HashIndex>, &mut Inserted),
    o: &OrderRecord,
    columns: &OrderColumns,
    seen: &mut HashSet<OrderHash>,
    balances: &mut BTreeMap<(Wallet, Asset), (Balance, bool)>,
    holdings: &Holdings,
) -> Result<Result<(), Refusal>, StoreError> {
    let reserved = match judge(o, seen, balances, holdings)? {
        Ok(reserved) => reserved,
        Err(refusal) => return Ok(Err(refusal)),
    };
    // Another instance may have stored the same hash since the check above.
    if !insert_order(tx, index, inserted, columns).await? {
        seen.insert(o.order_hash);
        return Ok(Err(Refusal::Duplicate));
    }
    reserve(o, seen, balances, holdings, reserved);
    Ok(Ok(()))
}

/// Steps 10 and 11 for one order, against the stored hashes and what the group decided
/// before it: the wallet's reserved total once it is accepted, or why it is refused.
pub(crate) fn judge(
    o: &OrderRecord,
    seen: &HashSet<OrderHash>,
    balances: &BTreeMap<(Wallet, Asset), (Balance, bool)>,
    holdings: &Holdings,
) -> Result<Result<Wei, Refusal>, StoreError> {
    if seen.contains(&o.order_hash) {
        return Ok(Err(Refusal::Duplicate));
    }
    let pair = (o.wallet, o.reserved_asset());
    let Some((balance, _)) = balances.get(&pair) else {
        return Err(StoreError::Corrupt(format!(
            "no balance locked for {}",
            pair.0
        )));
    };
    let spendable = match holdings.get(&pair) {
        Some(total) => total.checked_sub(balance.reserved).unwrap_or_default(),
        None => balance.available,
    };
    if spendable < o.reserved {
        return Ok(Err(Refusal::InsufficientBalance));
    }
    let reserved = balance
        .reserved
        .checked_add(o.reserved)
        .ok_or(StoreError::BalanceOutOfRange)?;
    Ok(Ok(reserved))
}

/// Books an order [`judge`] accepted and that is stored: its hash is seen, and its wallet's
/// balance holds `reserved` (and, on the ledger, that much less available).
pub(crate) fn reserve(
    o: &OrderRecord,
    seen: &mut HashSet<OrderHash>,
    balances: &mut BTreeMap<(Wallet, Asset), (Balance, bool)>,
    holdings: &Holdings,
    reserved: Wei,
) {
    seen.insert(o.order_hash);
    let pair = (o.wallet, o.reserved_asset());
    if let Some((balance, changed)) = balances.get_mut(&pair) {
        balance.reserved = reserved;
        if !holdings.contains_key(&pair) {
            // Cannot underflow: spendable (= available) >= o.reserved was checked by `judge`.
            balance.available = balance
                .available
                .checked_sub(o.reserved)
                .unwrap_or_default();
        }
        *changed = true;
    }
}

/// Without the lookup up front, an order stored before that the wallet could not afford anyway
/// was refused for its balance and never reached the insert that would have told. Step 10
/// comes before step 11, so such an order is a `Duplicate`. Relabelling it changes no other
/// decision: it reserved nothing either way.
async fn relabel_stored_duplicates(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    submissions: &[Submission],
    results: &mut [Outcomes],
) -> Result<(), StoreError> {
    let short: Vec<OrderHash> = submissions
        .iter()
        .zip(results.iter())
        .flat_map(|(s, outcomes)| s.orders.iter().zip(outcomes))
        .filter(|(_, outcome)| **outcome == Err(Refusal::InsufficientBalance))
        .map(|(o, _)| o.order_hash)
        .collect();
    if short.is_empty() {
        return Ok(());
    }
    let stored = stored_hashes(tx, backend, None, &short).await?;
    for (submission, outcomes) in submissions.iter().zip(results.iter_mut()) {
        for (o, outcome) in submission.orders.iter().zip(outcomes.iter_mut()) {
            if *outcome == Err(Refusal::InsufficientBalance) && stored.contains(&o.order_hash) {
                *outcome = Err(Refusal::Duplicate);
            }
        }
    }
    Ok(())
}

/// Which of `hashes` are stored already: from the hash index on SQLite, read inside the
/// acceptance transaction on PostgreSQL.
async fn stored_hashes(
    tx: &mut Transaction<'_, Any>,
    backend: Backend,
    index: Option<&HashIndex>,
    hashes: &[OrderHash],
) -> Result<HashSet<OrderHash>, StoreError> {
    if let Some(index) = index {
        return Ok(index.stored_among(hashes.iter().copied()));
    }
    let mut found = HashSet::new();
    // Well under SQLite's and PostgreSQL's bind-parameter limits.
    for chunk in hashes.chunks(500) {
        let mut sql = "SELECT order_hash FROM orders WHERE order_hash IN (".to_owned();
        backend.push_placeholders(&mut sql, 1, chunk.len());
        sql.push(')');
        let mut query = sqlx::query(&sql);
        for h in chunk {
            query = query.bind(h.to_string());
        }
        for row in query.fetch_all(&mut **tx).await? {
            found.insert(parse_col(
                &row.try_get::<String, _>("order_hash")?,
                "order_hash",
            )?);
        }
    }
    Ok(found)
}
