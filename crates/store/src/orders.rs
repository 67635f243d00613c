//! The `orders` table: accepted orders with every signed field, listed per wallet.

use std::collections::HashSet;

use rusqlite::ToSql;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Any, Postgres, Row};
use types::{
    ChainId, ConditionId, MarketKey, OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks,
    Timestamp, TokenId, Wallet, Wei, U256,
};

use crate::balances::Asset;
use crate::error::{parse_col, StoreError};
use crate::hash_index::order_key_or_no_row;
use crate::idempotency::IdempotentResponse;
use crate::tx::Tx;
use crate::Store;

/// An accepted order as stored: what was signed, and where it is in its lifecycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderRecord {
    pub order_hash: OrderHash,
    /// The owner: maker = signer = the wallet that placed it.
    pub wallet: Wallet,
    pub condition_id: ConditionId,
    pub chain_id: ChainId,
    pub token_id: TokenId,
    pub outcome: Outcome,
    pub side: Side,
    pub order_type: OrderType,
    pub price: Ticks,
    pub size: Size,
    pub remaining: Size,
    pub status: OrderStatus,
    pub salt: U256,
    pub maker: Wallet,
    pub signer: Wallet,
    pub taker: Wallet,
    pub maker_amount: Wei,
    pub taker_amount: Wei,
    /// Unix seconds, 0 = none.
    pub expiration: U256,
    pub nonce: U256,
    pub fee_rate_bps: u32,
    pub signature_type: u8,
    pub signature: Vec<u8>,
    pub book_added_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// What the order still holds reserved of [`OrderRecord::reserved_asset`], in base units:
    /// `maker_amount` on acceptance, less what fills consumed; zero once it is closed.
    pub reserved: Wei,
}

impl OrderRecord {
    /// The asset the order spends and keeps reserved: collateral for a BUY, the outcome token
    /// it sells for a SELL.
    pub fn reserved_asset(&self) -> Asset {
        match self.side {
            Side::Buy => Asset::Collateral,
            Side::Sell => Asset::Token(self.token_id),
        }
    }
}

/// The sort key of the last order a page returned (newest first).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrderCursor {
    pub created_at: Timestamp,
    pub order_hash: OrderHash,
}

/// Which of a wallet's orders a listing wants.
#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub market: Option<MarketKey>,
    /// Empty: every status.
    pub statuses: Vec<OrderStatus>,
}

pub(crate) const COLUMNS: &str =
    "order_hash, wallet, condition_id, chain_id, token_id, outcome, side, \
    order_type, price_ticks, size_hundredths, remaining_hundredths, status, salt, maker, signer, \
    taker, maker_amount, taker_amount, expiration, expires_at, nonce, fee_rate_bps, \
    signature_type, signature, book_added_at, created_at, updated_at, reserved";

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(2 + bytes.len() * 2);
    s.push_str("0x");
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn from_hex(s: &str, column: &str) -> Result<Vec<u8>, StoreError> {
    let corrupt = || StoreError::Corrupt(format!("{column} = {s:?}"));
    let digits = s.strip_prefix("0x").ok_or_else(corrupt)?;
    if digits.len() % 2 != 0 || !digits.is_ascii() {
        return Err(corrupt());
    }
    (0..digits.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&digits[i..i + 2], 16).map_err(|_| corrupt()))
        .collect()
}

/// A non-zero expiration that fits a BIGINT, for the expiry index.
fn expires_at(expiration: U256) -> Option<i64> {
    if expiration.is_zero() {
        return None;
    }
    i64::try_from(expiration).ok()
}

pub(crate) fn from_row(row: &AnyRow) -> Result<OrderRecord, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(row.try_get::<String, _>(c)?) };
    let int = |c: &str, max: i64| -> Result<i64, StoreError> {
        let v = row.try_get::<i64, _>(c)?;
        if (0..=max).contains(&v) {
            Ok(v)
        } else {
            Err(StoreError::Corrupt(format!("{c} = {v}")))
        }
    };
    let uint = |c: &str| -> Result<U256, StoreError> { Ok(parse_col::<Wei>(&text(c)?, c)?.0) };
    let ticks = int("price_ticks", 100)?;
    Ok(OrderRecord {
        order_hash: parse_col(&text("order_hash")?, "order_hash")?,
        wallet: parse_col(&text("wallet")?, "wallet")?,
        condition_id: parse_col(&text("condition_id")?, "condition_id")?,
        chain_id: ChainId(int("chain_id", i64::MAX)? as u64),
        token_id: parse_col(&text("token_id")?, "token_id")?,
        outcome: Outcome::from_u8(int("outcome", 1)? as u8)
            .ok_or_else(|| StoreError::Corrupt("outcome".into()))?,
        side: parse_col(&text("side")?, "side")?,
        order_type: parse_col(&text("order_type")?, "order_type")?,
        price: Ticks::new(ticks as u8)
            .ok_or_else(|| StoreError::Corrupt(format!("price_ticks = {ticks}")))?,
        size: Size::from_hundredths(int("size_hundredths", i64::MAX)? as u64),
        remaining: Size::from_hundredths(int("remaining_hundredths", i64::MAX)? as u64),
        status: parse_col(&text("status")?, "status")?,
        salt: uint("salt")?,
        maker: parse_col(&text("maker")?, "maker")?,
        signer: parse_col(&text("signer")?, "signer")?,
        taker: parse_col(&text("taker")?, "taker")?,
        maker_amount: parse_col(&text("maker_amount")?, "maker_amount")?,
        taker_amount: parse_col(&text("taker_amount")?, "taker_amount")?,
        expiration: uint("expiration")?,
        nonce: uint("nonce")?,
        fee_rate_bps: int("fee_rate_bps", i64::from(u32::MAX))? as u32,
        signature_type: int("signature_type", 255)? as u8,
        signature: from_hex(&text("signature")?, "signature")?,
        book_added_at: row
            .try_get::<Option<i64>, _>("book_added_at")?
            .map(Timestamp),
        created_at: Timestamp(row.try_get("created_at")?),
        updated_at: Timestamp(row.try_get("updated_at")?),
        reserved: parse_col(&text("reserved")?, "reserved")?,
    })
}

/// Inserts one order unless its hash is stored already; `true` when it was inserted.
///
/// On SQLite the hash index answers (with what this transaction inserted); on PostgreSQL the
/// primary key does (`ON CONFLICT DO NOTHING`).
pub async fn insert_order(tx: &mut Tx<'_>, o: &OrderColumns) -> Result<bool, StoreError> {
    if let Some(index) = tx.hash_index() {
        if index.contains(&o.hash) || tx.inserted.contains(&o.hash) {
            return Ok(false);
        }
    }
    Ok(insert_orders_bulk(tx, &[o]).await? == 1)
}

/// Which of `hashes` are stored already: from the hash index on SQLite (with what this
/// transaction inserted), read inside the transaction on PostgreSQL.
pub async fn stored_hashes(
    tx: &mut Tx<'_>,
    hashes: &[OrderHash],
) -> Result<HashSet<OrderHash>, StoreError> {
    if let Some(index) = tx.hash_index() {
        let mut found = index.stored_among(hashes.iter().copied());
        found.extend(hashes.iter().filter(|h| tx.inserted.contains(h)));
        return Ok(found);
    }
    let backend = tx.backend();
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
        for row in query.fetch_all(&mut *tx.inner).await? {
            found.insert(parse_col(
                &row.try_get::<String, _>("order_hash")?,
                "order_hash",
            )?);
        }
    }
    Ok(found)
}

/// At most this many rows per multi-row INSERT: 28 parameters each, well under SQLite's
/// 32,766 and PostgreSQL's 65,535 bind parameters.
const BULK_ROWS: usize = 256;

/// Inserts orders in as few statements as the parameter limits allow; returns how many rows
/// were inserted.
///
/// On PostgreSQL any whose hash is stored already is skipped (as [`insert_order`] does);
/// callers that must know which one compare the count and fall back to [`insert_order`]. On
/// SQLite nothing checks the hashes: the caller has looked them up ([`stored_hashes`]). Each
/// row gets a rowid the hash index hands out, and joins the index when the transaction commits.
pub async fn insert_orders_bulk(
    tx: &mut Tx<'_>,
    orders: &[&OrderColumns],
) -> Result<u64, StoreError> {
    let backend = tx.backend();
    let index = tx.hash_index();
    let mut count = 0;
    for chunk in orders.chunks(BULK_ROWS) {
        let rows = index.map(|index| index.allocate_rows(chunk.len()));
        let mut sql = String::with_capacity(500 + chunk.len() * 150);
        sql.push_str(&insert_into_orders(rows.is_some()));
        sql.push_str(" VALUES ");
        let columns = INSERT_COLUMNS + usize::from(rows.is_some());
        backend.push_rows(&mut sql, chunk.len(), columns);
        if rows.is_none() {
            sql.push_str(" ON CONFLICT (order_hash) DO NOTHING");
        }
        let mut query = sqlx::query(&sql);
        for (i, o) in chunk.iter().enumerate() {
            if let Some(first) = rows {
                query = query.bind(first + i as i64);
            }
            query = bind_order(query, o);
        }
        count += query.execute(&mut *tx.inner).await?.rows_affected();
        if let Some(first) = rows {
            for (i, o) in chunk.iter().enumerate() {
                tx.inserted.push(o.hash, first + i as i64);
            }
        }
    }
    Ok(count)
}

/// The head of every insert into `orders`, whatever writes it (the portable multi-row insert,
/// the embedded store's direct connection, PostgreSQL's array statement): the table and
/// [`COLUMNS`], after the rowid when the embedded store names it (its hash index allocated it).
pub(crate) fn insert_into_orders(rowid: bool) -> String {
    let rowid = if rowid { "rowid, " } else { "" };
    format!("INSERT INTO orders ({rowid}{COLUMNS})")
}

/// The columns [`COLUMNS`] names, bound by [`bind_order`] in that order.
pub(crate) const INSERT_COLUMNS: usize = 28;

/// An order's values as the `orders` table stores them, in [`COLUMNS`] order.
///
/// Rendering hashes, addresses and uint256 values as text costs more CPU than the insert of
/// the row, so acceptance has it done by the request that submits the order, in parallel with
/// other requests, rather than by the one writer that commits them all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrderColumns {
    /// The hash itself, for the embedded store's hash index; `order_hash` is its column.
    hash: OrderHash,
    order_hash: String,
    wallet: String,
    condition_id: String,
    chain_id: i64,
    token_id: String,
    outcome: i64,
    side: &'static str,
    order_type: &'static str,
    price_ticks: i64,
    size_hundredths: i64,
    remaining_hundredths: i64,
    status: &'static str,
    salt: String,
    maker: String,
    signer: String,
    taker: String,
    maker_amount: String,
    taker_amount: String,
    expiration: String,
    expires_at: Option<i64>,
    nonce: String,
    fee_rate_bps: i64,
    signature_type: i64,
    signature: String,
    book_added_at: Option<i64>,
    created_at: i64,
    updated_at: i64,
    reserved: String,
}

impl From<&OrderRecord> for OrderColumns {
    fn from(o: &OrderRecord) -> OrderColumns {
        // maker = signer = wallet for every accepted order: render the address once.
        let wallet = o.wallet.to_string();
        let address = |a: Wallet| {
            if a == o.wallet {
                wallet.clone()
            } else {
                a.to_string()
            }
        };
        OrderColumns {
            hash: o.order_hash,
            order_hash: o.order_hash.to_string(),
            maker: address(o.maker),
            signer: address(o.signer),
            taker: address(o.taker),
            condition_id: o.condition_id.to_string(),
            chain_id: o.chain_id.0 as i64,
            token_id: o.token_id.to_string(),
            outcome: i64::from(o.outcome.as_u8()),
            side: o.side.as_str(),
            order_type: o.order_type.as_str(),
            price_ticks: i64::from(o.price.get()),
            size_hundredths: o.size.hundredths() as i64,
            remaining_hundredths: o.remaining.hundredths() as i64,
            status: o.status.as_str(),
            salt: o.salt.to_string(),
            maker_amount: o.maker_amount.to_string(),
            taker_amount: o.taker_amount.to_string(),
            expiration: o.expiration.to_string(),
            expires_at: expires_at(o.expiration),
            nonce: o.nonce.to_string(),
            fee_rate_bps: i64::from(o.fee_rate_bps),
            signature_type: i64::from(o.signature_type),
            signature: to_hex(&o.signature),
            book_added_at: o.book_added_at.map(|t| t.0),
            created_at: o.created_at.0,
            updated_at: o.updated_at.0,
            reserved: o.reserved.to_string(),
            wallet,
        }
    }
}

/// The statuses of the index on a wallet's live orders, as its predicate spells them
/// (migration 0009): a query names them the same way, so that both databases see it may use
/// the partial index.
pub(crate) const LIVE_STATUSES: &str = "status IN ('OPEN', 'PARTIALLY_FILLED')";
/// The statuses of the index on a wallet's closed orders, as its predicate spells them.
const CLOSED_STATUSES: &str =
    "status IN ('MATCHED', 'FILLED', 'MATCH_FAILED', 'CANCELLED', 'EXPIRED')";

/// A listing's SQL and its arguments, numbered in the order they are pushed.
#[derive(Default)]
struct PageQuery {
    args: Vec<PageArg>,
}

enum PageArg {
    Text(String),
    Int(i64),
}

impl PageQuery {
    /// The placeholder of `arg`, the next argument.
    fn push(&mut self, arg: PageArg) -> String {
        self.args.push(arg);
        format!("${}", self.args.len())
    }

    /// One page of the wallet's live (or closed) orders: those among `only`, or all of them.
    fn part(
        &mut self,
        wallet: Wallet,
        filter: &OrderFilter,
        live: bool,
        only: Option<&[OrderStatus]>,
        after: Option<&OrderCursor>,
        limit: u32,
    ) -> String {
        let index_predicate = if live { LIVE_STATUSES } else { CLOSED_STATUSES };
        let wallet = self.push(PageArg::Text(wallet.to_string()));
        let mut sql =
            format!("SELECT {COLUMNS} FROM orders WHERE wallet = {wallet} AND {index_predicate}");
        if let Some(statuses) = only {
            let list: Vec<String> = statuses
                .iter()
                .map(|st| self.push(PageArg::Text(st.as_str().to_owned())))
                .collect();
            sql.push_str(&format!(" AND status IN ({})", list.join(", ")));
        }
        if let Some(m) = &filter.market {
            let condition = self.push(PageArg::Text(m.condition_id.to_string()));
            let chain = self.push(PageArg::Int(m.chain_id.0 as i64));
            sql.push_str(&format!(
                " AND condition_id = {condition} AND chain_id = {chain}"
            ));
        }
        if let Some(c) = after {
            let (a, b) = (
                self.push(PageArg::Int(c.created_at.0)),
                self.push(PageArg::Int(c.created_at.0)),
            );
            let h = self.push(PageArg::Text(c.order_hash.to_string()));
            sql.push_str(&format!(
                " AND (created_at < {a} OR (created_at = {b} AND order_hash < {h}))"
            ));
        }
        let limit = self.push(PageArg::Int(i64::from(limit)));
        sql.push_str(&format!(
            " ORDER BY created_at DESC, order_hash DESC LIMIT {limit}"
        ));
        sql
    }
}

/// Binds one order's [`COLUMNS`] values, in order, borrowing its text.
pub(crate) fn bind_order<'q>(
    query: Query<'q, Any, AnyArguments<'q>>,
    o: &'q OrderColumns,
) -> Query<'q, Any, AnyArguments<'q>> {
    query
        .bind(o.order_hash.as_str())
        .bind(o.wallet.as_str())
        .bind(o.condition_id.as_str())
        .bind(o.chain_id)
        .bind(o.token_id.as_str())
        .bind(o.outcome)
        .bind(o.side)
        .bind(o.order_type)
        .bind(o.price_ticks)
        .bind(o.size_hundredths)
        .bind(o.remaining_hundredths)
        .bind(o.status)
        .bind(o.salt.as_str())
        .bind(o.maker.as_str())
        .bind(o.signer.as_str())
        .bind(o.taker.as_str())
        .bind(o.maker_amount.as_str())
        .bind(o.taker_amount.as_str())
        .bind(o.expiration.as_str())
        .bind(o.expires_at)
        .bind(o.nonce.as_str())
        .bind(o.fee_rate_bps)
        .bind(o.signature_type)
        .bind(o.signature.as_str())
        .bind(o.book_added_at)
        .bind(o.created_at)
        .bind(o.updated_at)
        .bind(o.reserved.as_str())
}

/// PostgreSQL's array type for each of [`COLUMNS`], in order: how `crate::acceptance::pg_statement` casts
/// the arrays [`bind_order_arrays`] binds.
pub(crate) const COLUMN_ARRAY_TYPES: [&str; INSERT_COLUMNS] = [
    "text[]", "text[]", "text[]", "int8[]", "text[]", "int8[]", "text[]", "text[]", "int8[]",
    "int8[]", "int8[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]", "text[]",
    "text[]", "int8[]", "text[]", "int8[]", "int8[]", "text[]", "int8[]", "int8[]", "int8[]",
    "text[]",
];

/// Binds the orders' [`COLUMNS`] as one array per column, in order, borrowing their text.
pub(crate) fn bind_order_arrays<'q>(
    query: Query<'q, Postgres, PgArguments>,
    orders: &[&'q OrderColumns],
) -> Query<'q, Postgres, PgArguments> {
    let text = |f: fn(&'q OrderColumns) -> &'q str| column(orders, f);
    let int = |f: fn(&'q OrderColumns) -> i64| column(orders, f);
    let optional = |f: fn(&'q OrderColumns) -> Option<i64>| column(orders, f);
    query
        .bind(text(|o| &o.order_hash))
        .bind(text(|o| &o.wallet))
        .bind(text(|o| &o.condition_id))
        .bind(int(|o| o.chain_id))
        .bind(text(|o| &o.token_id))
        .bind(int(|o| o.outcome))
        .bind(text(|o| o.side))
        .bind(text(|o| o.order_type))
        .bind(int(|o| o.price_ticks))
        .bind(int(|o| o.size_hundredths))
        .bind(int(|o| o.remaining_hundredths))
        .bind(text(|o| o.status))
        .bind(text(|o| &o.salt))
        .bind(text(|o| &o.maker))
        .bind(text(|o| &o.signer))
        .bind(text(|o| &o.taker))
        .bind(text(|o| &o.maker_amount))
        .bind(text(|o| &o.taker_amount))
        .bind(text(|o| &o.expiration))
        .bind(optional(|o| o.expires_at))
        .bind(text(|o| &o.nonce))
        .bind(int(|o| o.fee_rate_bps))
        .bind(int(|o| o.signature_type))
        .bind(text(|o| &o.signature))
        .bind(optional(|o| o.book_added_at))
        .bind(int(|o| o.created_at))
        .bind(int(|o| o.updated_at))
        .bind(text(|o| &o.reserved))
}

/// One column of `orders`, in order.
fn column<'q, T>(orders: &[&'q OrderColumns], value: fn(&'q OrderColumns) -> T) -> Vec<T> {
    orders.iter().map(|o| value(o)).collect()
}

impl OrderColumns {
    /// The values of `crate::acceptance::sqlite_connection`'s insert: `row`, then [`COLUMNS`] in order, as
    /// [`bind_order`] binds them.
    pub(crate) fn direct_values<'a>(&'a self, row: &'a i64) -> [&'a dyn ToSql; INSERT_COLUMNS + 1] {
        [
            row,
            &self.order_hash,
            &self.wallet,
            &self.condition_id,
            &self.chain_id,
            &self.token_id,
            &self.outcome,
            &self.side,
            &self.order_type,
            &self.price_ticks,
            &self.size_hundredths,
            &self.remaining_hundredths,
            &self.status,
            &self.salt,
            &self.maker,
            &self.signer,
            &self.taker,
            &self.maker_amount,
            &self.taker_amount,
            &self.expiration,
            &self.expires_at,
            &self.nonce,
            &self.fee_rate_bps,
            &self.signature_type,
            &self.signature,
            &self.book_added_at,
            &self.created_at,
            &self.updated_at,
            &self.reserved,
        ]
    }

    /// The order's hash.
    pub(crate) fn hash(&self) -> OrderHash {
        self.hash
    }
}

impl Store {
    /// Stores order rows as given, reserving nothing: for restores and tests. Orders from
    /// `POST /v1/orders` go through the order domain's acceptance, which reserves `reserved`
    /// from the ledger in the same transaction (a cancel releases it, so the two must agree).
    ///
    /// Stores a batch of accepted orders in one transaction, with the idempotent response when
    /// there is one, so that a replay never answers for orders that were not stored (nor the
    /// reverse). Per order: `true` when stored, `false` when an order with that hash already
    /// existed (it is left as it was).
    pub async fn insert_orders(
        &self,
        orders: &[OrderRecord],
        response: Option<&IdempotentResponse<'_>>,
    ) -> Result<Vec<bool>, StoreError> {
        let mut conn = self.write_connection().await?;
        let mut tx = conn.begin().await?;
        let mut stored = Vec::with_capacity(orders.len());
        for o in orders {
            let columns = OrderColumns::from(o);
            match insert_order(&mut tx, &columns).await {
                Ok(inserted) => stored.push(inserted),
                Err(e) => {
                    tx.rollback().await;
                    return Err(e);
                }
            }
        }
        if let Some(r) = response {
            if let Err(e) = r.store_in(&mut tx).await {
                tx.rollback().await;
                return Err(e);
            }
        }
        tx.commit().await?;
        Ok(stored)
    }

    pub async fn order(&self, hash: &OrderHash) -> Result<Option<OrderRecord>, StoreError> {
        let Some(key) = self.order_key(hash) else {
            return Ok(None);
        };
        let sql = format!("SELECT {COLUMNS} FROM orders WHERE {}", key.condition("$1"));
        let row = key
            .bind(sqlx::query(&sql))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// The wallet's order with this hash; `None` when the wallet has none. An unknown hash and
    /// another wallet's run the same statement and miss the same way (see
    /// `order_key_or_no_row`), so the time of the answer does not tell them apart.
    pub async fn order_of(
        &self,
        wallet: Wallet,
        hash: &OrderHash,
    ) -> Result<Option<OrderRecord>, StoreError> {
        let key = order_key_or_no_row(self.hash_index(), hash);
        let sql = format!(
            "SELECT {COLUMNS} FROM orders WHERE {} AND wallet = $2",
            key.condition("$1")
        );
        let row = key
            .bind(sqlx::query(&sql))
            .bind(wallet.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Which of `hashes` are already stored: the duplicate check before anything is reserved.
    pub async fn existing_order_hashes(
        &self,
        hashes: &[OrderHash],
    ) -> Result<HashSet<OrderHash>, StoreError> {
        if hashes.is_empty() {
            return Ok(HashSet::new());
        }
        if let Some(index) = self.hash_index() {
            return Ok(index.stored_among(hashes.iter().copied()));
        }
        let placeholders: Vec<String> = (1..=hashes.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT order_hash FROM orders WHERE order_hash IN ({})",
            placeholders.join(",")
        );
        let mut query = sqlx::query(&sql);
        for h in hashes {
            query = query.bind(h.to_string());
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| parse_col(&row.try_get::<String, _>("order_hash")?, "order_hash"))
            .collect()
    }

    /// Up to `limit` of the wallet's orders matching `filter`, newest first, after `after`.
    ///
    /// A wallet's orders are indexed in two parts, live and closed (migration 0009), so the
    /// listing reads the part its statuses fall in, or both merged when they span the two.
    pub async fn orders_page(
        &self,
        wallet: Wallet,
        filter: &OrderFilter,
        after: Option<&OrderCursor>,
        limit: u32,
    ) -> Result<Vec<OrderRecord>, StoreError> {
        let mut page = PageQuery::default();
        let parts: Vec<String> = [true, false]
            .into_iter()
            .filter_map(|live| {
                let whole: Vec<OrderStatus> = OrderStatus::ALL
                    .into_iter()
                    .filter(|st| st.is_live() == live)
                    .collect();
                let wanted: Vec<OrderStatus> = whole
                    .iter()
                    .copied()
                    .filter(|st| filter.statuses.is_empty() || filter.statuses.contains(st))
                    .collect();
                let only = (wanted.len() < whole.len()).then_some(wanted.as_slice());
                (!wanted.is_empty()).then(|| page.part(wallet, filter, live, only, after, limit))
            })
            .collect();
        let sql = match parts.as_slice() {
            [only] => only.clone(),
            _ => {
                let merged: Vec<String> = parts
                    .iter()
                    .enumerate()
                    .map(|(i, part)| format!("SELECT * FROM ({part}) AS part_{i}"))
                    .collect();
                format!(
                    "{} ORDER BY created_at DESC, order_hash DESC LIMIT {}",
                    merged.join(" UNION ALL "),
                    page.push(PageArg::Int(i64::from(limit)))
                )
            }
        };
        let mut query = sqlx::query(&sql);
        for arg in &page.args {
            query = match arg {
                PageArg::Text(text) => query.bind(text.as_str()),
                PageArg::Int(int) => query.bind(*int),
            };
        }
        let rows = query.fetch_all(&self.read).await?;
        rows.iter().map(from_row).collect()
    }

    /// Moves an order to `status` with `remaining` unfilled; `false` when no such order exists.
    pub async fn set_order_state(
        &self,
        hash: &OrderHash,
        status: OrderStatus,
        remaining: Size,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(key) = self.order_key(hash) else {
            return Ok(false);
        };
        let sql = format!(
            "UPDATE orders SET status = $1, remaining_hundredths = $2, updated_at = $3 WHERE {}",
            key.condition("$4")
        );
        let query = sqlx::query(&sql)
            .bind(status.as_str())
            .bind(remaining.hundredths() as i64)
            .bind(now.0);
        let mut conn = self.write_connection().await?;
        let result = key.bind(query).execute(conn.connection()).await?;
        Ok(result.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_binds_as_many_values_as_it_names_columns() {
        let columns: Vec<&str> = COLUMNS.split(',').map(str::trim).collect();
        assert_eq!(columns.len(), INSERT_COLUMNS);
    }

    #[test]
    fn signatures_round_trip_through_hex() {
        let sig: Vec<u8> = (0..65).map(|i| (i * 7) as u8).collect();
        assert_eq!(from_hex(&to_hex(&sig), "signature").unwrap(), sig);
        assert!(from_hex("0xabc", "signature").is_err());
        assert!(from_hex("abcd", "signature").is_err());
        assert!(from_hex("0xzz", "signature").is_err());
    }

    #[test]
    fn only_a_representable_non_zero_expiration_is_indexed() {
        assert_eq!(expires_at(U256::ZERO), None);
        assert_eq!(
            expires_at(U256::from(1_800_000_000u64)),
            Some(1_800_000_000)
        );
        assert_eq!(expires_at(U256::MAX), None);
    }
}
