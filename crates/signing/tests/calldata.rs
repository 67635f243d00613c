//! `cancelOrder(Order)` calldata: the signed fields and the signature, decoded back.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;
use signing::calldata::{cancelOrderCall, cancel_order_calldata, exchange_order};
use signing::Order;

#[test]
fn calldata_carries_the_signed_fields_and_the_signature() {
    let order = Order {
        salt: U256::from(7u8),
        maker: Address::repeat_byte(0x11),
        signer: Address::repeat_byte(0x11),
        taker: Address::ZERO,
        tokenId: U256::MAX,
        makerAmount: U256::from(5_500_000u64),
        takerAmount: U256::from(10_000_000u64),
        expiration: U256::ZERO,
        nonce: U256::from(3u8),
        feeRateBps: U256::ZERO,
        side: 1,
        signatureType: 0,
    };
    let signature = [0xab_u8; 65];
    let data = cancel_order_calldata(&order, &signature);
    assert_eq!(data[..4], cancelOrderCall::SELECTOR);
    let decoded = cancelOrderCall::abi_decode(&data).unwrap().order;
    assert_eq!(decoded, exchange_order(&order, &signature));
    assert_eq!(
        (decoded.tokenId, decoded.side, decoded.nonce),
        (U256::MAX, 1, U256::from(3u8))
    );
    assert_eq!(decoded.signature[..], signature[..]);
}
