//! Cancels through the order service and their releases, other wallets' orders, and cancel-onchain
//! calldata. SQLite always; PostgreSQL in the `_on_postgres` tests, which need `--include-ignored`.

// The signing crate's test keys (they sign like a wallet does).
#[path = "../../signing/tests/common/mod.rs"]
mod common;
mod service_common;

use alloy_primitives::{hex, Bytes, B256, U256};
use alloy_sol_types::SolCall;
use orders::{CancelSelection, ServiceError};
use serde_json::json;
use service_common::*;
use signing::calldata::cancelOrderCall;
use store::balances::{Asset, Balance};
use test_support::{on_backend, Backend};
use types::{
    ChainId, ContractAddress, ErrorCode, OrderHash, OrderStatus, Outcome, Side, Size, Wei,
};

#[tokio::test]
async fn cancels_release_exactly_what_each_order_reserved() {
    cancels_release_exactly_what_each_order_reserved_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn cancels_release_exactly_what_each_order_reserved_on_postgres() {
    cancels_release_exactly_what_each_order_reserved_on(Backend::Postgres).await;
}

async fn cancels_release_exactly_what_each_order_reserved_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let alice = &w.alice;
        w.credit(alice, Asset::Collateral, e18(20, 0)).await;
        w.credit(alice, no(), e18(50, 0)).await;
        // None of them crosses another (in YES terms: bids at 0.37 and 0.30, an ask at 0.80).
        let buy_yes = Draft::new(alice, Side::Buy, 37, 1_234, 1); // 4.5658 collateral
        let buy_no = Draft::new(alice, Side::Buy, 20, 500, 2).no_token(); // 1.00 collateral
        let sell_no = Draft::new(alice, Side::Sell, 70, 1_500, 3).no_token(); // 15 NO
        let results = w
            .place(
                alice,
                vec![
                    buy_yes.signed_by(alice),
                    buy_no.signed_by(alice),
                    sell_no.signed_by(alice),
                ],
            )
            .await;
        assert_eq!(codes(&results), vec![None, None, None], "{backend}");
        let reserved_yes = Wei(U256::from(45_658u64) * U256::from(100_000_000_000_000u64));
        assert_eq!(
            w.balance(alice, Asset::Collateral).await.reserved,
            Wei(reserved_yes.0 + e18(1, 0).0),
            "{backend}"
        );
        assert_eq!(w.balance(alice, no()).await.reserved, e18(15, 0));

        // By filter: alice's NO orders that sell.
        let sold = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Matching {
                    market: Some(open_market()),
                    outcome: Some(Outcome::No),
                    side: Some(Side::Sell),
                },
            )
            .await
            .unwrap();
        assert_eq!(sold.order_hashes, vec![sell_no.hash()], "{backend}");
        assert_eq!(
            w.balance(alice, no()).await,
            Balance {
                available: e18(50, 0),
                reserved: wei(0)
            }
        );
        // By hash.
        let by_hash = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Hashes(vec![buy_yes.hash()]),
            )
            .await
            .unwrap();
        assert_eq!(by_hash.cancelled_count, 1);
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(19, 0),
                reserved: e18(1, 0)
            },
            "{backend}"
        );
        // Everything left.
        let rest = w
            .service
            .cancel_orders(
                alice.wallet(),
                &CancelSelection::Matching {
                    market: None,
                    outcome: None,
                    side: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            serde_json::to_value(&rest).unwrap(),
            json!({
                "cancelled_count": 1,
                "order_hashes": [buy_no.hash().to_string()],
                "not_cancelled": {}
            })
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(20, 0),
                reserved: wei(0)
            },
            "{backend}"
        );
        assert_eq!(w.status(&buy_no.hash()).await, OrderStatus::Cancelled);
    })
    .await;
}

#[tokio::test]
async fn another_wallets_orders_are_never_cancelled_or_revealed() {
    another_wallets_orders_are_never_cancelled_or_revealed_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn another_wallets_orders_are_never_cancelled_or_revealed_on_postgres() {
    another_wallets_orders_are_never_cancelled_or_revealed_on(Backend::Postgres).await;
}

async fn another_wallets_orders_are_never_cancelled_or_revealed_on(backend: Backend) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, Asset::Collateral, e18(10, 0)).await;
        let order = Draft::new(alice, Side::Buy, 50, 1_000, 1);
        w.place(alice, vec![order.signed_by(alice)]).await;
        let by_hash = w
            .service
            .cancel_orders(bob.wallet(), &CancelSelection::Hashes(vec![order.hash()]))
            .await
            .unwrap();
        assert_eq!(by_hash.cancelled_count, 0, "{backend}");
        assert_eq!(
            serde_json::to_value(&by_hash.not_cancelled).unwrap(),
            json!({order.hash().to_string(): "ORDER_NOT_FOUND"}),
            "{backend}: another wallet's order is not found"
        );
        let all = CancelSelection::Matching {
            market: None,
            outcome: None,
            side: None,
        };
        let everything = w.service.cancel_orders(bob.wallet(), &all).await.unwrap();
        assert!(everything.order_hashes.is_empty(), "{backend}");
        let onchain = w.service.cancel_onchain(bob.wallet(), &order.hash()).await;
        assert!(
            matches!(onchain, Err(ServiceError::OrderNotFound)),
            "{backend}"
        );
        let read = w.service.order(bob.wallet(), &order.hash()).await;
        let err = RequestFailure::from(read.unwrap_err());
        assert_eq!(err.code, ErrorCode::OrderNotFound);
        assert_eq!(
            w.status(&order.hash()).await,
            OrderStatus::Open,
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, Asset::Collateral).await,
            Balance {
                available: e18(5, 0),
                reserved: e18(5, 0)
            }
        );
    })
    .await;
}

#[tokio::test]
async fn cancel_onchain_takes_the_order_off_the_book_and_returns_its_cancel_order_call() {
    cancel_onchain_takes_the_order_off_the_book_and_returns_its_cancel_order_call_on(
        Backend::Sqlite,
    )
    .await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn cancel_onchain_takes_the_order_off_the_book_and_returns_its_cancel_order_call_on_postgres()
{
    cancel_onchain_takes_the_order_off_the_book_and_returns_its_cancel_order_call_on(
        Backend::Postgres,
    )
    .await;
}

async fn cancel_onchain_takes_the_order_off_the_book_and_returns_its_cancel_order_call_on(
    backend: Backend,
) {
    on_backend(backend, |store, url, backend| async move {
        let w = World::running(store, url, backend).await;
        let (alice, bob) = (&w.alice, &w.bob);
        w.credit(alice, yes(), e18(100, 0)).await;
        let mut gtd = Draft::new(alice, Side::Sell, 45, 2_500, 0xdead_beef);
        gtd.expiration = FAR_EXPIRATION_SECS;
        let filled = Draft::new(alice, Side::Sell, 45, 1_000, 2);
        let matched = Draft::new(alice, Side::Sell, 45, 1_000, 3);
        let mut item = gtd.signed_by(alice);
        item["order_type"] = json!("GTD");
        w.place(
            alice,
            vec![item, filled.signed_by(alice), matched.signed_by(alice)],
        )
        .await;

        let view = w
            .service
            .cancel_onchain(alice.wallet(), &gtd.hash())
            .await
            .unwrap();
        assert_eq!(view.order_hash, gtd.hash());
        assert_eq!(view.chain_id, ChainId(56));
        assert_eq!(view.to, ContractAddress(EXCHANGE));
        let data = hex::decode(view.data.strip_prefix("0x").unwrap()).unwrap();
        assert_eq!(data[..4], cancelOrderCall::SELECTOR, "{backend}");
        let call = cancelOrderCall::abi_decode(&data).unwrap();
        let signed = gtd.order();
        let o = call.order;
        assert_eq!(o.salt, signed.salt);
        assert_eq!(o.maker, signed.maker);
        assert_eq!(o.signer, signed.signer);
        assert_eq!(o.taker, signed.taker);
        assert_eq!(o.tokenId, signed.tokenId);
        assert_eq!(o.makerAmount, signed.makerAmount);
        assert_eq!(o.takerAmount, signed.takerAmount);
        assert_eq!(o.expiration, signed.expiration);
        assert_eq!(o.nonce, signed.nonce);
        assert_eq!(o.feeRateBps, signed.feeRateBps);
        assert_eq!(o.side, 1);
        assert_eq!(o.signatureType, 0);
        assert_eq!(o.signature, Bytes::from(gtd.signature(alice).to_vec()));
        assert_eq!(
            w.status(&gtd.hash()).await,
            OrderStatus::Cancelled,
            "{backend}"
        );
        assert_eq!(
            w.balance(alice, yes()).await,
            Balance {
                available: e18(80, 0),
                reserved: e18(20, 0)
            },
            "{backend}: only the cancelled order's 25 tokens came back"
        );
        // Asking again still gives the calldata (the signature is valid on chain until then).
        let again = w
            .service
            .cancel_onchain(alice.wallet(), &gtd.hash())
            .await
            .unwrap();
        assert_eq!(again.data, view.data);
        assert_eq!(w.balance(alice, yes()).await.available, e18(80, 0));

        // `filled` trades in full: bob buys its 10 shares (it rests ahead of `matched`).
        w.credit(bob, Asset::Collateral, e18(10, 0)).await;
        let buy = Draft::new(bob, Side::Buy, 45, 1_000, 1);
        w.place(bob, vec![buy.signed_by(bob)]).await;
        w.matched(open_market()).await;
        assert_eq!(w.status(&filled.hash()).await, OrderStatus::Filled);
        assert_eq!(w.status(&matched.hash()).await, OrderStatus::Open);
        // The internal ledger settles a trade at once, so no order stays MATCHED: written as a
        // settlement still pending on chain leaves one.
        w.store
            .set_order_state(&matched.hash(), OrderStatus::Matched, Size::ZERO, NOW)
            .await
            .expect("the order is stored");
        for (draft, status) in [
            (&filled, OrderStatus::Filled),
            (&matched, OrderStatus::Matched),
        ] {
            let err = w
                .service
                .cancel_onchain(alice.wallet(), &draft.hash())
                .await
                .unwrap_err();
            assert_eq!(
                RequestFailure::from(err).code,
                ErrorCode::OrderAlreadyFilled
            );
            assert_eq!(w.status(&draft.hash()).await, status, "{backend}");
        }
        let unknown = OrderHash(B256::repeat_byte(0x42));
        let err = w
            .service
            .cancel_onchain(alice.wallet(), &unknown)
            .await
            .unwrap_err();
        assert_eq!(RequestFailure::from(err).code, ErrorCode::OrderNotFound);
    })
    .await;
}
