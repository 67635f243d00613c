//! The calldata of `cancelOrder(Order)` on the CTF exchange, which invalidates a signed order
//! on chain (`POST /v1/orders/{order_hash}/cancel-onchain`).
//!
//! The exchange's `Order` is Polymarket's CTF exchange layout: the twelve signed EIP-712 fields
//! followed by `bytes signature` (the EIP-712 type hash leaves the signature out; the contract's
//! struct carries it). `side` and `signatureType` are Solidity enums, ABI-encoded as `uint8`.

use alloy_sol_types::SolCall;

use crate::eip712::Order;

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

/// The exchange's struct for a signed order: its EIP-712 fields exactly as they were signed,
/// and the signature (`r ‖ s ‖ v`) over them.
pub fn exchange_order(order: &Order, signature: &[u8]) -> ExchangeOrder {
    ExchangeOrder {
        salt: order.salt,
        maker: order.maker,
        signer: order.signer,
        taker: order.taker,
        tokenId: order.tokenId,
        makerAmount: order.makerAmount,
        takerAmount: order.takerAmount,
        expiration: order.expiration,
        nonce: order.nonce,
        feeRateBps: order.feeRateBps,
        side: order.side,
        signatureType: order.signatureType,
        signature: signature.to_vec().into(),
    }
}

/// `cancelOrder(order)`: the 4-byte selector and the ABI-encoded order with its signature.
pub fn cancel_order_calldata(order: &Order, signature: &[u8]) -> Vec<u8> {
    cancelOrderCall {
        order: exchange_order(order, signature),
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
