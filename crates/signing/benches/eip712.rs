//! Digest + signer recovery per order, the work `POST /v1/orders` does for every item.
//!
//! `cargo bench -p signing --bench eip712` prints µs per order on one thread for the
//! libsecp256k1 path the gateway uses and for alloy's pure-Rust k256 path as the baseline,
//! the cost of the domain separator with and without the cache, and orders/s on two threads.
//! Plain `std::time`, best of several rounds: the figures are for comparing paths in one run on
//! one machine, not for publishing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::hint::black_box;
use std::time::{Duration, Instant};

use alloy_primitives::{Address, Signature, B256, U256};
use common::TestKey;
use signing::eip712::domain_separator;
use signing::{order_digest, recover_signer, DomainCache, Order};
use types::{ChainId, ContractAddress};

const ORDERS: usize = 2_000;
const ROUNDS: usize = 5;

struct Signed {
    order: Order,
    signature: [u8; 65],
}

fn signed_orders(chain: ChainId, exchange: ContractAddress) -> Vec<Signed> {
    let key = TestKey::named("bench");
    let separator = domain_separator(chain, exchange);
    (0..ORDERS)
        .map(|i| {
            let order = Order {
                salt: U256::from(i as u64) << 64 | U256::from(0xfeed_u64),
                maker: key.address,
                signer: key.address,
                taker: Address::ZERO,
                tokenId: U256::MAX - U256::from(i as u64),
                makerAmount: U256::from(5_500_000_000_000_000_000u64),
                takerAmount: U256::from(10_000_000_000_000_000_000u64),
                expiration: U256::ZERO,
                nonce: U256::ZERO,
                feeRateBps: U256::ZERO,
                side: 0,
                signatureType: 0,
            };
            let signature = key.sign(&order_digest(separator, &order).0);
            Signed { order, signature }
        })
        .collect()
}

/// Best-of-rounds nanoseconds per order for `f` applied to every order.
fn per_order_ns(orders: &[Signed], mut f: impl FnMut(&Signed) -> bool) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        for o in orders {
            assert!(f(black_box(o)), "a bench order failed to verify");
        }
        best = best.min(start.elapsed().as_nanos() as f64 / orders.len() as f64);
    }
    best
}

fn main() {
    let chain = ChainId(56);
    let exchange = ContractAddress(Address::repeat_byte(0x5c));
    let orders = signed_orders(chain, exchange);
    let signer = TestKey::named("bench").address;
    let cache = DomainCache::new();

    let uncached_digest = per_order_ns(&orders, |o| {
        let sep = domain_separator(black_box(chain), black_box(exchange));
        order_digest(sep, &o.order).0 != B256::ZERO
    });
    let cached_digest = per_order_ns(&orders, |o| {
        let sep = cache.separator(black_box(chain), black_box(exchange));
        order_digest(sep, &o.order).0 != B256::ZERO
    });
    let libsecp = per_order_ns(&orders, |o| {
        let sep = cache.separator(black_box(chain), black_box(exchange));
        let digest = order_digest(sep, &o.order);
        recover_signer(&digest.0, &o.signature) == Ok(signer)
    });
    let k256 = per_order_ns(&orders, |o| {
        let sep = cache.separator(black_box(chain), black_box(exchange));
        let digest = order_digest(sep, &o.order);
        let sig = Signature::from_raw(&o.signature).expect("bench signatures are well formed");
        sig.recover_from_prehash(&digest.0)
            .ok()
            .map(|vk| Address::from_public_key(&vk))
            == Some(signer)
    });

    // Two threads, each verifying the whole set repeatedly for a fixed wall time.
    let window = Duration::from_secs(3);
    let start = Instant::now();
    let total: usize = std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| {
                    let mut done = 0usize;
                    while start.elapsed() < window {
                        for o in &orders {
                            let sep = cache.separator(chain, exchange);
                            let digest = order_digest(sep, &o.order);
                            assert_eq!(recover_signer(&digest.0, &o.signature), Ok(signer));
                        }
                        done += orders.len();
                    }
                    done
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("worker")).sum()
    });
    let two_threads = total as f64 / start.elapsed().as_secs_f64();

    let us = |ns: f64| ns / 1_000.0;
    // Other work on the machine skews the two-thread figure most: say how busy it was.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let one_minute = load.split_whitespace().next().unwrap_or("?");
        println!(
            "load average (1 min) {one_minute} on {} cores",
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }
    println!("eip712 bench: {ORDERS} distinct signed orders, best of {ROUNDS} rounds, one thread");
    println!(
        "  digest, separator recomputed      {:>8.2} µs/order",
        us(uncached_digest)
    );
    println!(
        "  digest, separator cached          {:>8.2} µs/order  ({:.1}x faster)",
        us(cached_digest),
        uncached_digest / cached_digest
    );
    println!(
        "  digest + recover, libsecp256k1    {:>8.2} µs/order  ({:.0} orders/s)",
        us(libsecp),
        1e9 / libsecp
    );
    println!(
        "  digest + recover, k256 (baseline) {:>8.2} µs/order  ({:.0} orders/s)",
        us(k256),
        1e9 / k256
    );
    println!("  libsecp256k1 vs k256: {:.2}x faster", k256 / libsecp);
    println!(
        "two threads, digest + recover (libsecp256k1): {:.0} orders/s ({:.2}x one thread)",
        two_threads,
        two_threads / (1e9 / libsecp)
    );
}
