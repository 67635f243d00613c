//! Reconciling one market from the database after a crash: what the rows must say when nothing
//! was lost, duplicated or half applied (docs/engine.md, what one batch commits).
//!
//! [`Snapshot::load`] reads the market's orders, fills and events and every balance; each
//! `check_*` is one invariant and panics naming what broke it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use alloy_primitives::U256;
use serde_json::Value;
use sqlx::{AnyConnection, Row};

/// The fee wallet (`FS_FEE_WALLET` is not set: the zero address).
pub(super) const FEE_WALLET: &str = "0x0000000000000000000000000000000000000000";
pub(super) const COLLATERAL: &str = "collateral";

/// What the test credited through the admin API: (wallet, asset) to base units.
pub(super) type Credits = BTreeMap<(String, String), U256>;

struct OrderRow {
    hash: String,
    wallet: String,
    token_id: String,
    outcome: i64,
    side: String,
    order_type: String,
    price_ticks: i64,
    size: i64,
    remaining: i64,
    status: String,
    reserved: U256,
    book_priority: Option<i64>,
}

impl OrderRow {
    fn is_live(&self) -> bool {
        matches!(self.status.as_str(), "OPEN" | "PARTIALLY_FILLED")
    }

    /// What its reservation is held in: collateral for a BUY, its token for a SELL.
    fn reserved_asset(&self) -> &str {
        if self.side == "BUY" {
            COLLATERAL
        } else {
            &self.token_id
        }
    }

    /// Where it rests in YES terms: (is a bid, price in ticks). BUY YES at p is a bid at p,
    /// SELL YES an ask at p, BUY NO at q an ask at 1 - q, SELL NO a bid at 1 - q.
    fn yes_level(&self) -> (bool, i64) {
        let buy = self.side == "BUY";
        if self.outcome == 1 {
            (buy, self.price_ticks)
        } else {
            (!buy, 100 - self.price_ticks)
        }
    }
}

struct FillRow {
    seq: i64,
    n: i64,
    trade_id: String,
    order_hash: String,
    wallet: String,
    token_id: String,
    side: String,
    size: i64,
    tokens: U256,
    collateral: U256,
    fee: U256,
    status: String,
}

#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
struct Held {
    available: U256,
    reserved: U256,
}

/// One market's rows and every balance, read at one moment after the matcher went quiet.
pub(super) struct Snapshot {
    orders: HashMap<String, OrderRow>,
    fills: Vec<FillRow>,
    balances: BTreeMap<(String, String), Held>,
    last_seq: i64,
    event_seqs: Vec<i64>,
    yes_token: String,
    no_token: String,
    /// The conditional-tokens contract: holds the collateral of the pairs minted.
    escrow: String,
}

fn amount(row: &sqlx::any::AnyRow, column: &str) -> U256 {
    let text: String = row.try_get(column).expect("an amount column");
    U256::from_str_radix(&text, 10).unwrap_or_else(|e| panic!("{column} {text:?}: {e}"))
}

fn text(row: &sqlx::any::AnyRow, column: &str) -> String {
    row.try_get::<String, _>(column)
        .unwrap_or_else(|e| panic!("{column}: {e}"))
        .to_lowercase()
}

fn int(row: &sqlx::any::AnyRow, column: &str) -> i64 {
    row.try_get(column)
        .unwrap_or_else(|e| panic!("{column}: {e}"))
}

impl Snapshot {
    pub(super) async fn load(conn: &mut AnyConnection, condition_id: &str) -> Snapshot {
        let market = sqlx::query(
            "SELECT last_seq, yes_token_id, no_token_id, conditional_tokens_address \
             FROM markets WHERE condition_id = $1 AND chain_id = 56",
        )
        .bind(condition_id)
        .fetch_one(&mut *conn)
        .await
        .expect("the market's row");
        let orders = sqlx::query(
            "SELECT order_hash, wallet, token_id, outcome, side, order_type, price_ticks, \
             size_hundredths, remaining_hundredths, status, reserved, book_priority \
             FROM orders WHERE condition_id = $1 AND chain_id = 56",
        )
        .bind(condition_id)
        .fetch_all(&mut *conn)
        .await
        .expect("the market's orders")
        .iter()
        .map(|r| {
            let row = OrderRow {
                hash: text(r, "order_hash"),
                wallet: text(r, "wallet"),
                token_id: text(r, "token_id"),
                outcome: int(r, "outcome"),
                side: text(r, "side").to_uppercase(),
                order_type: text(r, "order_type").to_uppercase(),
                price_ticks: int(r, "price_ticks"),
                size: int(r, "size_hundredths"),
                remaining: int(r, "remaining_hundredths"),
                status: text(r, "status").to_uppercase(),
                reserved: amount(r, "reserved"),
                book_priority: r.try_get("book_priority").expect("book_priority"),
            };
            (row.hash.clone(), row)
        })
        .collect();
        let fills = sqlx::query(
            "SELECT seq, n, trade_id, order_hash, wallet, token_id, side, size_hundredths, \
             tokens, collateral, fee, status FROM fills WHERE condition_id = $1 AND chain_id = 56",
        )
        .bind(condition_id)
        .fetch_all(&mut *conn)
        .await
        .expect("the market's fills")
        .iter()
        .map(|r| FillRow {
            seq: int(r, "seq"),
            n: int(r, "n"),
            trade_id: text(r, "trade_id"),
            order_hash: text(r, "order_hash"),
            wallet: text(r, "wallet"),
            token_id: text(r, "token_id"),
            side: text(r, "side").to_uppercase(),
            size: int(r, "size_hundredths"),
            tokens: amount(r, "tokens"),
            collateral: amount(r, "collateral"),
            fee: amount(r, "fee"),
            status: text(r, "status").to_uppercase(),
        })
        .collect();
        let balances = sqlx::query("SELECT wallet, asset, available, reserved FROM balances")
            .fetch_all(&mut *conn)
            .await
            .expect("the balances")
            .iter()
            .map(|r| {
                (
                    (text(r, "wallet"), text(r, "asset")),
                    Held {
                        available: amount(r, "available"),
                        reserved: amount(r, "reserved"),
                    },
                )
            })
            .collect();
        let event_seqs = sqlx::query(
            "SELECT seq FROM market_events WHERE condition_id = $1 AND chain_id = 56 ORDER BY seq",
        )
        .bind(condition_id)
        .fetch_all(&mut *conn)
        .await
        .expect("the market's events")
        .iter()
        .map(|r| int(r, "seq"))
        .collect();
        Snapshot {
            orders,
            fills,
            balances,
            last_seq: int(&market, "last_seq"),
            event_seqs,
            yes_token: text(&market, "yes_token_id"),
            no_token: text(&market, "no_token_id"),
            escrow: text(&market, "conditional_tokens_address"),
        }
    }

    pub(super) fn last_seq(&self) -> i64 {
        self.last_seq
    }

    pub(super) fn fill_count(&self) -> usize {
        self.fills.len()
    }

    /// Trades whose two sides both bought (mints) and both sold (merges).
    pub(super) fn mints_and_merges(&self) -> (usize, usize) {
        let trades = self.trades();
        let count = |side: &str| {
            trades
                .values()
                .filter(|legs| legs.iter().all(|f| f.side == side))
                .count()
        };
        (count("BUY"), count("SELL"))
    }

    fn trades(&self) -> BTreeMap<&str, Vec<&FillRow>> {
        let mut trades: BTreeMap<&str, Vec<&FillRow>> = BTreeMap::new();
        for f in &self.fills {
            trades.entry(f.trade_id.as_str()).or_default().push(f);
        }
        trades
    }

    fn held(&self, wallet: &str, asset: &str) -> Held {
        self.balances
            .get(&(wallet.to_owned(), asset.to_owned()))
            .copied()
            .unwrap_or_default()
    }

    /// Every order whose `POST /v1/orders` answered it accepted is stored.
    pub(super) fn check_accepted_orders_present(&self, accepted: &[String]) {
        let missing: Vec<&String> = accepted
            .iter()
            .filter(|h| !self.orders.contains_key(&h.to_lowercase()))
            .collect();
        assert!(
            missing.is_empty(),
            "{} accepted orders are missing: {missing:?}",
            missing.len()
        );
    }

    /// No fill twice: (market, seq, n) unique, one fill per order per trade, each trade two
    /// fills of two orders, all settled.
    pub(super) fn check_no_fill_duplicated(&self) {
        let mut places = HashSet::new();
        let mut sides = HashSet::new();
        for f in &self.fills {
            assert!(
                places.insert((f.seq, f.n)),
                "fill (seq {}, n {}) twice",
                f.seq,
                f.n
            );
            assert!(
                sides.insert((f.order_hash.as_str(), f.trade_id.as_str())),
                "order {} has two fills of trade {}",
                f.order_hash,
                f.trade_id
            );
            assert_eq!(
                f.status, "CONFIRMED",
                "fill {:?} of {}",
                f.status, f.order_hash
            );
        }
        for (trade, legs) in self.trades() {
            assert_eq!(legs.len(), 2, "trade {trade} has {} fills", legs.len());
            assert_ne!(legs[0].order_hash, legs[1].order_hash, "trade {trade}");
            assert_eq!(legs[0].size, legs[1].size, "trade {trade}");
        }
    }

    /// For each order: the sizes of its fills add up to size - remaining, 0 <= remaining <=
    /// size, its status agrees, and a `MARKET` order never stays live.
    pub(super) fn check_fills_add_up(&self) {
        let mut filled: HashMap<&str, i64> = HashMap::new();
        for f in &self.fills {
            assert!(
                self.orders.contains_key(&f.order_hash),
                "a fill of unknown order {}",
                f.order_hash
            );
            *filled.entry(f.order_hash.as_str()).or_default() += f.size;
        }
        for o in self.orders.values() {
            let sum = filled.get(o.hash.as_str()).copied().unwrap_or(0);
            assert!(
                (0..=o.size).contains(&o.remaining),
                "order {} has {} of {} remaining",
                o.hash,
                o.remaining,
                o.size
            );
            assert_eq!(
                sum,
                o.size - o.remaining,
                "order {}: fills vs size - remaining",
                o.hash
            );
            let agrees = match o.status.as_str() {
                "OPEN" => o.remaining == o.size,
                "PARTIALLY_FILLED" => 0 < o.remaining && o.remaining < o.size,
                "FILLED" => o.remaining == 0,
                "CANCELLED" | "EXPIRED" => o.remaining > 0,
                _ => false,
            };
            assert!(
                agrees,
                "order {} is {} with {} of {} left",
                o.hash, o.status, o.remaining, o.size
            );
            assert!(
                !(o.is_live() && o.order_type == "MARKET"),
                "MARKET order {} is {}",
                o.hash,
                o.status
            );
        }
    }

    /// What each wallet holds reserved of each asset is what its live orders hold; a closed
    /// order holds nothing.
    pub(super) fn check_reservations_agree(&self) {
        let mut held: BTreeMap<(&str, &str), U256> = BTreeMap::new();
        for o in self.orders.values() {
            if o.is_live() {
                *held.entry((&o.wallet, o.reserved_asset())).or_default() += o.reserved;
            } else {
                assert_eq!(
                    o.reserved,
                    U256::ZERO,
                    "closed order {} still reserves",
                    o.hash
                );
            }
        }
        let pairs: BTreeSet<(&str, &str)> = held
            .keys()
            .copied()
            .chain(self.balances.keys().map(|(w, a)| (w.as_str(), a.as_str())))
            .collect();
        for (wallet, asset) in pairs {
            let orders = held.get(&(wallet, asset)).copied().unwrap_or_default();
            assert_eq!(
                orders,
                self.held(wallet, asset).reserved,
                "{wallet} {asset}: live orders reserve {orders}, the balance says"
            );
        }
    }

    /// Collateral: what all wallets hold (the fee wallet and the conditional-tokens contract
    /// included) is what was credited, plus one unit on the contract per outcome token credited
    /// (the backing the ledger records for it). Each outcome token: what was credited plus what
    /// mints created less what merges destroyed, which is the contract's collateral beyond that
    /// backing, for both.
    pub(super) fn check_assets_conserved(&self, credits: &Credits) {
        let total = |asset: &str| -> U256 {
            self.balances
                .iter()
                .filter(|((_, a), _)| a == asset)
                .map(|(_, h)| h.available + h.reserved)
                .sum()
        };
        let credited = |asset: &str| -> U256 {
            credits
                .iter()
                .filter(|((_, a), _)| a == asset)
                .map(|(_, v)| *v)
                .sum()
        };
        let backing = credited(&self.yes_token) + credited(&self.no_token);
        assert_eq!(
            total(COLLATERAL),
            credited(COLLATERAL) + backing,
            "collateral is not conserved"
        );
        let contract = self.held(&self.escrow, COLLATERAL);
        assert_eq!(
            contract.reserved,
            U256::ZERO,
            "the contract reserves nothing"
        );
        let locked = contract.available - backing;
        for token in [&self.yes_token, &self.no_token] {
            assert_eq!(
                total(token),
                credited(token) + locked,
                "token {token}: held != credited + minted - merged ({locked} locked)"
            );
        }
    }

    /// Every balance is what the credits and the fills say, replayed: a BUY pays its
    /// collateral and gets its tokens less its fee, a SELL the reverse, the fee wallet gets
    /// every fee, a mint locks one collateral per pair in the contract and a merge frees it.
    /// Exact because the market's tokens have 18 decimals: no fill leaves a rounding unit.
    pub(super) fn check_balances_replay_from_fills(&self, credits: &Credits) {
        let mut expected: BTreeMap<(String, String), i128> = BTreeMap::new();
        let signed = |v: U256| i128::try_from(v).expect("a test amount fits in i128");
        let mut add = |wallet: &str, asset: &str, delta: i128| {
            *expected
                .entry((wallet.to_owned(), asset.to_owned()))
                .or_default() += delta;
        };
        for ((wallet, asset), v) in credits {
            add(wallet, asset, signed(*v));
            if asset != COLLATERAL {
                // The backing the ledger records on the contract for credited tokens.
                add(&self.escrow, COLLATERAL, signed(*v));
            }
        }
        for f in &self.fills {
            let (tokens, collateral, fee) = (signed(f.tokens), signed(f.collateral), signed(f.fee));
            if f.side == "BUY" {
                add(&f.wallet, COLLATERAL, -collateral);
                add(&f.wallet, &f.token_id, tokens - fee);
                add(FEE_WALLET, &f.token_id, fee);
            } else {
                add(&f.wallet, &f.token_id, -tokens);
                add(&f.wallet, COLLATERAL, collateral - fee);
                add(FEE_WALLET, COLLATERAL, fee);
            }
        }
        for legs in self.trades().values() {
            let pairs = signed(legs[0].tokens);
            if legs.iter().all(|f| f.side == "BUY") {
                add(&self.escrow, COLLATERAL, pairs);
            } else if legs.iter().all(|f| f.side == "SELL") {
                add(&self.escrow, COLLATERAL, -pairs);
            }
        }
        let pairs: BTreeSet<&(String, String)> =
            expected.keys().chain(self.balances.keys()).collect();
        for (wallet, asset) in pairs {
            let want = expected
                .get(&(wallet.clone(), asset.clone()))
                .copied()
                .unwrap_or(0);
            let held = self.held(wallet, asset);
            assert_eq!(
                signed(held.available + held.reserved),
                want,
                "{wallet} {asset}: the balance is not what credits and fills say"
            );
        }
    }

    /// The market's events have a gapless seq, 1 to the market's last one.
    pub(super) fn check_events_gapless(&self) {
        let expected: Vec<i64> = (1..=self.last_seq).collect();
        assert_eq!(
            self.event_seqs, expected,
            "event seqs vs last_seq {}",
            self.last_seq
        );
    }

    /// Every live order rests (the matcher took everything handed to it), and the book served
    /// is the live orders' remaining sizes by YES-terms level; it is not crossed.
    pub(super) fn check_book(&self, book: &Value) {
        let mut bids: BTreeMap<i64, i64> = BTreeMap::new();
        let mut asks: BTreeMap<i64, i64> = BTreeMap::new();
        for o in self.orders.values().filter(|o| o.is_live()) {
            assert!(
                o.book_priority.is_some(),
                "live order {} never processed",
                o.hash
            );
            let (bid, ticks) = o.yes_level();
            *if bid { &mut bids } else { &mut asks }
                .entry(ticks)
                .or_default() += o.remaining;
        }
        assert_eq!(served(book, "bids"), bids, "bids: {book}");
        assert_eq!(served(book, "asks"), asks, "asks: {book}");
        if let (Some(bid), Some(ask)) = (bids.keys().next_back(), asks.keys().next()) {
            assert!(bid < ask, "a crossed book at rest: {bid} >= {ask}");
        }
        assert_eq!(book["seq"].as_i64(), Some(self.last_seq), "{book}");
    }
}

/// A side of `GET .../book` as ticks to hundredths ("0.45" and "5.00" are 45 and 500).
fn served(book: &Value, side: &str) -> BTreeMap<i64, i64> {
    let hundredths = |v: &Value| -> i64 {
        let text = v.as_str().expect("a decimal string");
        text.replace('.', "")
            .parse()
            .unwrap_or_else(|e| panic!("{text:?}: {e}"))
    };
    book[side]
        .as_array()
        .unwrap_or_else(|| panic!("{side} in {book}"))
        .iter()
        .map(|l| (hundredths(&l["price"]), hundredths(&l["remainingSize"])))
        .collect()
}
