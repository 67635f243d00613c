//! The ceiling: orders per second that two threads verify, the work every order needs
//! whatever the server does around it.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy_primitives::{hex, Address, U256};
use client::MarketInfo;
use serde_json::Value;
use signing::eip712::{order_digest, recover_signer, DomainCache, Order};

/// What the ceiling verifies for one order: the signed struct, its signature and the signer.
pub(crate) struct Verifiable {
    order: Order,
    signature: [u8; 65],
    signer: Address,
}

/// Rebuilds what the ceiling verifies from a sent item (the sample is checked against the
/// hash the client computed, so the ceiling verifies exactly what the gateway receives).
pub(crate) fn item_to_verifiable(
    item: &Value,
    domains: &DomainCache,
    market: &MarketInfo,
) -> Verifiable {
    let text = |k: &str| item[k].as_str().unwrap_or_else(|| panic!("{k} in {item}"));
    let u256 = |k: &str| U256::from_str_radix(text(k), 10).unwrap_or_else(|_| panic!("{k}"));
    let addr = |k: &str| text(k).parse::<Address>().unwrap_or_else(|_| panic!("{k}"));
    let order = Order {
        salt: u256("salt"),
        maker: addr("maker"),
        signer: addr("signer"),
        taker: addr("taker"),
        tokenId: u256("token_id"),
        makerAmount: u256("maker_amount"),
        takerAmount: u256("taker_amount"),
        expiration: u256("expiration"),
        nonce: u256("nonce"),
        feeRateBps: U256::from(item["fee_rate_bps"].as_u64().expect("fee_rate_bps")),
        side: if text("side") == "BUY" { 0 } else { 1 },
        signatureType: item["signature_type"].as_u64().expect("signature_type") as u8,
    };
    let separator = domains.separator(market.chain_id, market.ctf_exchange_address);
    let signature: [u8; 65] = hex::decode(text("signature"))
        .expect("hex")
        .try_into()
        .expect("65 bytes");
    let digest = order_digest(separator, &order);
    assert_eq!(
        recover_signer(&digest.0, &signature),
        Ok(order.signer),
        "a sample order does not verify"
    );
    Verifiable {
        signer: order.signer,
        order,
        signature,
    }
}

/// Orders per second that two threads verify (cached domain separator, EIP-712 digest,
/// libsecp256k1 recovery, compared with the signer), for `window`.
pub(crate) fn measure_ceiling(
    sample: &[Verifiable],
    domains: &DomainCache,
    market: &MarketInfo,
    window: Duration,
) -> f64 {
    let (chain, exchange) = (market.chain_id, market.ctf_exchange_address);
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..2 {
            let (stop, done) = (&stop, &done);
            s.spawn(move || {
                let mut count = 0u64;
                // The two threads start at opposite ends of the sample.
                let mut i = t * sample.len() / 2;
                while !stop.load(Ordering::Relaxed) {
                    for _ in 0..32 {
                        let v = &sample[i % sample.len()];
                        let sep = domains.separator(chain, exchange);
                        let digest = order_digest(sep, std::hint::black_box(&v.order));
                        assert_eq!(recover_signer(&digest.0, &v.signature), Ok(v.signer));
                        i += 1;
                    }
                    count += 32;
                    if start.elapsed() >= window {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
                done.fetch_add(count, Ordering::Relaxed);
            });
        }
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}
