//! A stored order on chain: the EIP-712 struct it was signed as, and its `cancelOrder(Order)`
//! calldata (`POST /v1/orders/{order_hash}/cancel-onchain`), encoded by [`signing::calldata`].

use signing::eip712::Order;
use store::orders::OrderRecord;
use types::U256;

/// The EIP-712 struct a stored order was signed as.
pub fn signed_order(o: &OrderRecord) -> Order {
    Order {
        salt: o.salt,
        maker: o.maker.address(),
        signer: o.signer.address(),
        taker: o.taker.address(),
        tokenId: o.token_id.0,
        makerAmount: o.maker_amount.0,
        takerAmount: o.taker_amount.0,
        expiration: o.expiration,
        nonce: o.nonce,
        feeRateBps: U256::from(o.fee_rate_bps),
        side: o.side.as_u8(),
        signatureType: o.signature_type,
    }
}

/// `cancelOrder(order)` for a stored order, exactly as it was signed.
pub fn cancel_order_calldata(o: &OrderRecord) -> Vec<u8> {
    signing::calldata::cancel_order_calldata(&signed_order(o), &o.signature)
}
