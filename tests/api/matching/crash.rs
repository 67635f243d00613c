//! A gateway killed (SIGKILL) while two wallets trade against each other loses nothing and
//! duplicates nothing (docs/api.md 6.7; docs/engine.md, recovery): after a restart on the same
//! data, `/ready` answers within 15 s, the matcher takes what it had not processed, and the
//! database reconciles ([`super::reconcile`]). Three rounds of trade, kill, restart and
//! reconcile, on the same data.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use client::{Client, ClientError, MarketInfo, OrderBuilder, OrderResult, OrderSpec};
use serde_json::json;
use sqlx::Connection;
use types::{OrderType, Outcome, Side};

use crate::harness::{condition_id, market_body, token_ids, Gateway, Stopped};
use crate::trading::{limit, market_info, test_key, Trader};

use super::reconcile::{Credits, Snapshot, COLLATERAL};
use super::{book_of, client_on, shares, Db, PATIENCE, POLL};

on_both_backends!(a_gateway_killed_while_two_wallets_trade_loses_and_duplicates_nothing);

/// The market the wallets trade on: its own, with a fee, so the fee wallet takes part.
const MARKET: u64 = 904;
/// The two wallets.
const LABELS: [&str; 2] = ["crash-a", "crash-b"];
/// Concurrent tasks placing orders, half for each wallet.
const TASKS: u64 = 6;
/// Kills, each followed by a restart and a reconciliation: each lands somewhere else in a
/// batch's life, so more of them catch more kinds of half-done work.
const ROUNDS: u64 = 3;
/// Trades each round waits for before its kill, so that it lands in a stream already matching.
const TRADES_PER_ROUND: i64 = 60;
/// How soon after a kill -9 a restarted gateway must be ready, every book rebuilt.
const READY_WITHIN: Duration = Duration::from_secs(15);

async fn a_gateway_killed_while_two_wallets_trade_loses_and_duplicates_nothing(db: Db) {
    let mut gw = db.start().await;
    let mut body = market_body(MARKET);
    body["fee_rate_bps"] = json!(100);
    gw.create_market(&body).await;
    let market = market_info(&gw, &condition_id(MARKET)).await;
    let (yes_token, no_token) = token_ids(MARKET);
    // Both wallets hold collateral, YES and NO: merges free collateral of mints made here and
    // of credited pairs alike.
    let mut credits = Credits::new();
    let mut traders = Vec::new();
    for label in LABELS {
        let t = db.trader(&gw, label).await;
        for (asset, amount) in [
            (COLLATERAL, shares(1_000_000)),
            (&yes_token, shares(100_000)),
            (&no_token, shares(100_000)),
        ] {
            t.credit_asset(&gw, asset, amount).await;
            *credits
                .entry((t.wallet.clone(), asset.to_owned()))
                .or_default() += amount;
        }
        traders.push(t);
    }
    let mut accepted = Vec::new();
    for round in 0..ROUNDS {
        let (killed, mut run) = kill_while_trading(&db, gw, &traders, &market, round).await;
        accepted.append(&mut run);
        gw = restart_and_reconcile(&db, killed, &credits, &accepted, round).await;
    }
}

/// Trades until the market has [`TRADES_PER_ROUND`] more trades, then kills the gateway while
/// every task is still sending; returns what the dead gateway left and the orders it answered
/// accepted.
async fn kill_while_trading(
    db: &Db,
    gw: Gateway,
    traders: &[Trader],
    market: &MarketInfo,
    round: u64,
) -> (Stopped, Vec<String>) {
    let mut conn = db.connect(gw.dir()).await;
    let fills = count_fills(&mut conn).await + 2 * TRADES_PER_ROUND;
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..TASKS)
        .map(|n| {
            let who = (n % 2) as usize;
            tokio::spawn(trade_until_stopped(
                client_on(&gw, &traders[who]),
                LABELS[who],
                market.clone(),
                round * TASKS + n,
                stop.clone(),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while count_fills(&mut conn).await < fills {
        assert!(
            Instant::now() < deadline,
            "fewer than {fills} fills in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        tasks.iter().all(|t| !t.is_finished()),
        "every task must still be trading when the gateway is killed"
    );
    conn.close().await.expect("close the connection");
    let stopped = gw.kill();
    stop.store(true, Ordering::SeqCst);
    let mut accepted = Vec::new();
    for task in tasks {
        accepted.extend(task.await.expect("a trading task").accepted);
    }
    (stopped, accepted)
}

/// Starts a gateway on what the killed one left, checks it is ready in time, waits until its
/// matcher has taken everything, and reconciles the database.
async fn restart_and_reconcile(
    db: &Db,
    killed: Stopped,
    credits: &Credits,
    accepted: &[String],
    round: u64,
) -> Gateway {
    let mut conn = db.connect(killed.dir.path()).await;
    let unprocessed = pending_orders(&mut conn, &condition_id(MARKET)).await;
    conn.close().await.expect("close the connection");

    let restarted = Instant::now();
    let gw = Gateway::start_in(killed.dir, &db.env()).await;
    until_ready(&gw, restarted).await;
    let mut conn = db.connect(gw.dir()).await;
    until_matcher_idle(&mut conn, &condition_id(MARKET)).await;
    let snapshot = Snapshot::load(&mut conn, &condition_id(MARKET)).await;
    conn.close().await.expect("close the connection");
    let book = until_book_at(&gw, &snapshot).await;
    let (mints, merges) = snapshot.mints_and_merges();
    eprintln!(
        "crash test, round {round}: {} orders accepted, {unprocessed} unprocessed at the kill, \
         {} fills ({mints} mints, {merges} merges)",
        accepted.len(),
        snapshot.fill_count()
    );

    snapshot.check_accepted_orders_present(accepted);
    snapshot.check_no_fill_duplicated();
    snapshot.check_fills_add_up();
    snapshot.check_reservations_agree();
    snapshot.check_assets_conserved(credits);
    snapshot.check_balances_replay_from_fills(credits);
    snapshot.check_events_gapless();
    snapshot.check_book(&book);
    gw
}

/// What one task saw accepted.
struct Run {
    accepted: Vec<String>,
}

/// Places small orders around 0.50 (both outcomes, both sides, some `MARKET`), one to three
/// per request, and now and then cancels one of its own, until told to stop or the gateway
/// is gone. Only an unanswered request may end it: an error the gateway answers fails it.
async fn trade_until_stopped(
    api: Client,
    label: &'static str,
    market: MarketInfo,
    seed: u64,
    stop: Arc<AtomicBool>,
) -> Run {
    let key = test_key(label);
    let builder = OrderBuilder::new(&key, &market);
    let mut rng = XorShift::new(seed);
    let mut accepted = Vec::new();
    let mut round = 0u64;
    while !stop.load(Ordering::SeqCst) {
        round += 1;
        let batch: Vec<_> = (0..1 + rng.below(3))
            .map(|_| builder.build(&random_spec(&mut rng)).expect("sign"))
            .collect();
        let placed = match api.place_orders(&batch, None).await {
            Ok(placed) => placed,
            Err(e) => return gone(e, accepted),
        };
        for (order, result) in batch.iter().zip(&placed.body.results) {
            match result {
                OrderResult::Accepted(_) => accepted.push(order.hash.to_string()),
                // Sells outrun what a wallet holds, or buys its free collateral.
                OrderResult::Refused { error } => {
                    assert_eq!(error.code, "INSUFFICIENT_BALANCE", "{label}: {error:?}")
                }
            }
        }
        if round.is_multiple_of(4) && !accepted.is_empty() {
            let victim = accepted[rng.below(accepted.len() as u64) as usize]
                .parse()
                .expect("a hash");
            if let Err(e) = api.cancel_orders(&[victim]).await {
                return gone(e, accepted);
            }
        }
    }
    Run { accepted }
}

/// A task's end when a request failed: the gateway must have gone, not refused.
fn gone(e: ClientError, accepted: Vec<String>) -> Run {
    assert!(
        !matches!(
            e,
            ClientError::Api { .. } | ClientError::UnexpectedStatus { .. }
        ),
        "the gateway answered an error while trading: {e}"
    );
    Run { accepted }
}

fn random_spec(rng: &mut XorShift) -> OrderSpec {
    let outcome = if rng.below(10) < 7 {
        Outcome::Yes
    } else {
        Outcome::No
    };
    let side = if rng.below(2) == 0 {
        Side::Buy
    } else {
        Side::Sell
    };
    let ticks = 45 + rng.below(11) as u8;
    let hundredths = 500 + rng.below(500);
    let order_type = if rng.below(10) == 0 {
        OrderType::Market
    } else {
        OrderType::Limit
    };
    OrderSpec {
        order_type,
        ..limit(outcome, side, ticks, hundredths)
    }
}

/// A small deterministic generator: each task's stream of orders is the same in every run
/// (which of them the kill interrupts is not).
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> XorShift {
        XorShift(0x9e37_79b9_7f4a_7c15 ^ (seed + 1).wrapping_mul(0xbf58_476d_1ce4_e5b9))
    }

    /// Uniform enough in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// The market's fills (two a trade).
async fn count_fills(conn: &mut sqlx::AnyConnection) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM fills WHERE condition_id = $1 AND chain_id = 56")
        .bind(condition_id(MARKET))
        .fetch_one(conn)
        .await
        .expect("count the fills")
}

/// `/ready` answers 200 within 15 s of the restart.
async fn until_ready(gw: &Gateway, since: Instant) {
    loop {
        let r = gw.get("/ready").await;
        if r.status == 200 {
            return;
        }
        assert!(
            since.elapsed() < READY_WITHIN,
            "/ready is {} {} after {:?}",
            r.status,
            r.text,
            since.elapsed()
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Waits until the matcher has taken every order accepted before the kill: no live order of
/// the market is left without its place on the book.
async fn until_matcher_idle(conn: &mut sqlx::AnyConnection, condition_id: &str) {
    let deadline = Instant::now() + READY_WITHIN;
    loop {
        let pending = pending_orders(conn, condition_id).await;
        if pending == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{pending} orders still unprocessed"
        );
        tokio::time::sleep(POLL).await;
    }
}

/// Live orders of the market the matcher has not taken yet (accepted, handed off, not matched).
async fn pending_orders(conn: &mut sqlx::AnyConnection, condition_id: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM orders WHERE condition_id = $1 AND chain_id = 56 \
         AND status IN ('OPEN', 'PARTIALLY_FILLED') AND book_priority IS NULL",
    )
    .bind(condition_id)
    .fetch_one(conn)
    .await
    .expect("count the pending orders")
}

/// The served book once it shows the last committed batch (views change right after COMMIT).
async fn until_book_at(gw: &Gateway, snapshot: &Snapshot) -> serde_json::Value {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let book = book_of(gw, &condition_id(MARKET)).await;
        if book["seq"].as_i64() == Some(snapshot.last_seq()) || Instant::now() >= deadline {
            return book;
        }
        tokio::time::sleep(POLL).await;
    }
}
