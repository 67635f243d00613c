//! What the acceptance and cancel test files share: orders of test wallets on one market, their
//! balances, and accepting a group with the ledger as the only balance source.

// Each test file uses part of it.
#![allow(dead_code)]

use orders::acceptance::{accept_group, Holdings, Refusal};
use store::acceptance::Submission;
use store::balances::{Asset, Balance};
use store::orders::OrderRecord;
use store::Store;
use types::{
    ChainId, ConditionId, MarketKey, OrderHash, OrderStatus, OrderType, Outcome, Side, Size, Ticks,
    Timestamp, TokenId, Wallet, Wei, B256, U256,
};

pub const T0: Timestamp = Timestamp(1_800_000_000_000);
pub const TOKEN: u64 = 777;

pub fn wallet(byte: u8) -> Wallet {
    Wallet(types::Address::repeat_byte(byte))
}

pub fn market(byte: u8) -> MarketKey {
    MarketKey {
        condition_id: ConditionId(B256::repeat_byte(byte)),
        chain_id: ChainId(56),
    }
}

pub fn wei(n: u64) -> Wei {
    Wei(U256::from(n))
}

/// An order of `owner` reserving `amount` (collateral for BUY, TOKEN for SELL).
pub fn order(seed: u8, owner: Wallet, side: Side, amount: u64) -> OrderRecord {
    OrderRecord {
        order_hash: OrderHash(B256::repeat_byte(seed)),
        wallet: owner,
        condition_id: market(1).condition_id,
        chain_id: market(1).chain_id,
        token_id: TokenId(U256::from(TOKEN)),
        outcome: Outcome::Yes,
        side,
        order_type: OrderType::Limit,
        price: Ticks::new(50).unwrap(),
        size: Size::from_hundredths(1_000),
        remaining: Size::from_hundredths(1_000),
        status: OrderStatus::Open,
        salt: U256::from(seed),
        maker: owner,
        signer: owner,
        taker: Wallet::ZERO,
        maker_amount: wei(amount),
        taker_amount: wei(amount * 2),
        expiration: U256::ZERO,
        nonce: U256::ZERO,
        fee_rate_bps: 0,
        signature_type: 0,
        signature: vec![seed; 65],
        book_added_at: None,
        created_at: T0,
        updated_at: T0,
        reserved: wei(amount),
    }
}

pub fn token() -> Asset {
    Asset::Token(TokenId(U256::from(TOKEN)))
}

pub fn balance(available: u64, reserved: u64) -> Balance {
    Balance {
        available: wei(available),
        reserved: wei(reserved),
    }
}

pub fn submission(orders: Vec<OrderRecord>) -> Submission {
    Submission::new(orders, None)
}

/// Renders outcomes as a compact string, so a stored response can be compared.
/// The refusal of an order reserving `needs` when its wallet could spend `available`.
pub fn short(needs: u64, available: u64) -> Result<(), Refusal> {
    Err(Refusal::InsufficientBalance {
        needs: wei(needs),
        available: wei(available),
    })
}

pub fn render(i: usize, outcomes: &[Result<(), Refusal>]) -> Result<String, String> {
    Ok(format!("{i}:{outcomes:?}"))
}

/// The group's outcomes, with the ledger as the only balance source.
pub async fn decide(s: &Store, group: &[Submission]) -> Vec<Vec<Result<(), Refusal>>> {
    accept_group(s, group, &Holdings::new(), T0, render)
        .await
        .unwrap()
}

pub async fn accept(s: &Store, orders: Vec<OrderRecord>) {
    let out = decide(s, &[submission(orders)]).await;
    assert!(out[0].iter().all(|o| o.is_ok()), "{out:?}");
}
