//! The calldata of `cancelOrder(Order)` on the CTF exchange, which invalidates a signed order
//! on chain (`POST /v1/orders/{order_hash}/cancel-onchain`).
//!
//! The exchange's `Order` is Polymarket's CTF exchange layout: the twelve signed EIP-712 fields
//! followed by `bytes signature` (the EIP-712 type hash leaves the signature out; the contract's
//! struct carries it). `side` and `signatureType` are Solidity enums, ABI-encoded as `uint8`.

use alloy_primitives::U256;
use alloy_sol_types::SolCall;
use store::orders::OrderRecord;

alloy_sol_types::sol! {
    /// The exchange's `Order`: the signed fields, then the signature.
    #[derive(Debug, PartialEq, Eq)]
    struct ExchangeOrder {
        uint256 salt;
        address maker;
        address signer;
        address taker;
        uint256 tokenId;
        uint256 makerAmount;
        uint256 takerAmount;
        uint256 expiration;
        uint256 nonce;
        uint256 feeRateBps;
        uint8 side;
        uint8 signatureType;
        bytes signature;
    }

    #[derive(Debug, PartialEq, Eq)]
    function cancelOrder(ExchangeOrder order);
}

/// The exchange's struct for a stored order, exactly as it was signed.
pub fn exchange_order(o: &OrderRecord) -> ExchangeOrder {
    ExchangeOrder {
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
        signature: o.signature.clone().into(),
    }
}

/// `cancelOrder(order)`: the 4-byte selector and the ABI-encoded order.
pub fn cancel_order_calldata(o: &OrderRecord) -> Vec<u8> {
    cancelOrderCall {
        order: exchange_order(o),
    }
    .abi_encode()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::keccak256;

    #[test]
    fn selector_is_that_of_the_exchanges_cancel_order() {
        let signature = "cancelOrder((uint256,address,address,address,uint256,uint256,uint256,\
                         uint256,uint256,uint256,uint8,uint8,bytes))";
        assert_eq!(cancelOrderCall::SIGNATURE, signature);
        assert_eq!(
            cancelOrderCall::SELECTOR,
            keccak256(signature.as_bytes())[..4]
        );
    }
}
