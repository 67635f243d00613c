//! The acceptance writer's own ceiling: orders per second that `orders::acceptance::accept_group` commits
//! when it is called back to back, with no HTTP, JSON or signature work around it.
//!
//! Each group holds `BENCH_REQUESTS` submissions (8) of 15 orders, one wallet per submission,
//! as the gateway's group commit forms them under the order_intake bench. Orders are BUYs with
//! random hashes and salts; every one must be accepted. Runs on a fresh SQLite file (WAL,
//! `synchronous = FULL`) and on a fresh PostgreSQL schema when one is reachable.
//!
//! `cargo bench -p orders --bench accept_group`; `BENCH_SECS` (5) per backend.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use orders::acceptance::accept_group;
use rand::Rng;
use store::acceptance::Submission;
use store::balances::Asset;
use store::orders::OrderRecord;
use store::{Store, StoreOptions};
use test_support::PgSchema;
use types::{
    ChainId, ConditionId, OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks, Timestamp,
    TokenId, Wallet, Wei, B256, U256,
};

const ORDERS_PER_REQUEST: usize = 15;

fn main() {
    let smoke = !std::env::args().any(|a| a == "--bench");
    let secs = if smoke {
        0.3
    } else {
        std::env::var("BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(5.0)
    };
    let requests: usize = std::env::var("BENCH_REQUESTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/gw.db", dir.path().display());
        let sqlite = Store::connect(&url, &StoreOptions::default())
            .await
            .expect("sqlite");
        run("sqlite", &sqlite, requests, Duration::from_secs_f64(secs)).await;
        match PgSchema::try_create().await {
            Ok(schema) => {
                let pg = Store::connect(&schema.url, &StoreOptions::default())
                    .await
                    .expect("postgres");
                run("postgres", &pg, requests, Duration::from_secs_f64(secs)).await;
                pg.close().await;
            }
            Err(why) => println!("postgres: SKIPPED (unreachable: {why})"),
        }
    });
}

async fn run(name: &str, store: &Store, requests: usize, length: Duration) {
    let wallets: Vec<Wallet> = (0..requests)
        .map(|i| Wallet(alloy_address(i as u8 + 1)))
        .collect();
    let now = Timestamp(1_700_000_000_000);
    for w in &wallets {
        store
            .credit_balance(*w, Asset::Collateral, Wei(U256::MAX >> 8), now)
            .await
            .expect("credit");
    }
    let mut rng = rand::rng();
    let (mut orders, mut groups, mut busy) = (0usize, 0usize, Duration::ZERO);
    let start = Instant::now();
    let mut worst = Duration::ZERO;
    let (cpu_before, pg_before) = (own_cpu_seconds(), postgres_cpu_seconds());
    while start.elapsed() < length {
        // Each request is stamped when it arrives, as the gateway does.
        let stamp = Timestamp(now.0 + start.elapsed().as_millis() as i64);
        let submissions: Vec<Submission> = wallets
            .iter()
            .map(|w| {
                let orders = (0..ORDERS_PER_REQUEST)
                    .map(|_| record(&mut rng, *w, stamp))
                    .collect();
                Submission::new(orders, None)
            })
            .collect();
        let t = Instant::now();
        let outcomes = accept_group(store, &submissions, &HashMap::new(), now, |_, _| {
            Ok(String::new())
        })
        .await
        .expect("accept");
        let took = t.elapsed();
        busy += took;
        worst = worst.max(took);
        assert!(outcomes.iter().flatten().all(|o| o.is_ok()), "refused");
        orders += requests * ORDERS_PER_REQUEST;
        groups += 1;
    }
    let own_cpu = own_cpu_seconds() - cpu_before;
    let pg_cpu = postgres_cpu_seconds() - pg_before;
    println!(
        "{name:<8} CPU per order: this process {:.1} us, PostgreSQL server processes {:.1} us",
        own_cpu * 1e6 / orders as f64,
        pg_cpu * 1e6 / orders as f64,
    );
    println!(
        "{name:<8} {:>7.0} orders/s in accept_group ({groups} groups of {} orders; mean {:.2} ms, worst {:.2} ms per group; {:.1} us per order)",
        orders as f64 / busy.as_secs_f64(),
        requests * ORDERS_PER_REQUEST,
        busy.as_secs_f64() * 1e3 / groups as f64,
        worst.as_secs_f64() * 1e3,
        busy.as_secs_f64() * 1e6 / orders as f64,
    );
}

/// User plus system CPU of this process so far, from /proc (Linux).
fn own_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .map(|stat| stat_cpu_seconds(&stat))
        .unwrap_or(0.0)
}

/// CPU of every process named `postgres*` so far: the server's share of the work, when it
/// runs on this machine (0 when it does not).
fn postgres_cpu_seconds() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    dir.flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm"))
                .is_ok_and(|comm| comm.starts_with("postgres"))
        })
        .filter_map(|e| std::fs::read_to_string(e.path().join("stat")).ok())
        .map(|stat| stat_cpu_seconds(&stat))
        .sum()
}

/// utime + stime of a /proc/<pid>/stat line, at the usual 100 ticks per second.
fn stat_cpu_seconds(stat: &str) -> f64 {
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return 0.0;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn alloy_address(byte: u8) -> types::Address {
    types::Address::repeat_byte(byte)
}

fn record(rng: &mut impl Rng, wallet: Wallet, now: Timestamp) -> OrderRecord {
    let amount = Wei(U256::from(2_500_000_000_000_000_000u64));
    OrderRecord {
        order_hash: OrderHash(B256::from(rng.random::<[u8; 32]>())),
        wallet,
        condition_id: ConditionId(B256::repeat_byte(0xde)),
        chain_id: ChainId(56),
        token_id: TokenId(U256::from(1001)),
        outcome: Outcome::Yes,
        side: Side::Buy,
        order_type: OrderType::Limit,
        price: Ticks::new(50).expect("tick"),
        size: Size::from_hundredths(500),
        remaining: Size::from_hundredths(500),
        status: OrderStatus::Open,
        salt: U256::from_be_bytes(rng.random::<[u8; 32]>()),
        maker: wallet,
        signer: wallet,
        taker: Wallet::ZERO,
        maker_amount: amount,
        taker_amount: Wei(U256::from(5_000_000_000_000_000_000u64)),
        expiration: U256::ZERO,
        nonce: U256::ZERO,
        fee_rate_bps: 0,
        signature_type: 0,
        signature: (0..65).map(|_| rng.random()).collect(),
        book_added_at: None,
        created_at: now,
        updated_at: now,
        reserved: amount,
    }
}
