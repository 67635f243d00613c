//! The signed order of docs/api.md 7: EIP-712 struct and domain, the order hash, signer recovery.
//!
//! Hashing goes through `alloy-sol-types`; recovery through libsecp256k1 (alloy-primitives'
//! `secp256k1` feature), which is about four times faster than the pure-Rust k256 path. The
//! domain separator depends only on the chain and the exchange contract, so it is computed once
//! per pair and cached.

use std::collections::HashMap;
use std::sync::RwLock;

use alloy_primitives::{keccak256, uint, Address, Signature, B256, U256};
use alloy_sol_types::{Eip712Domain, SolStruct};
use types::{ChainId, ContractAddress, OrderHash};

alloy_sol_types::sol! {
    /// `Order(uint256 salt,address maker,address signer,address taker,uint256 tokenId,
    /// uint256 makerAmount,uint256 takerAmount,uint256 expiration,uint256 nonce,
    /// uint256 feeRateBps,uint8 side,uint8 signatureType)`: the struct a maker signs.
    #[derive(Debug, PartialEq, Eq)]
    struct Order {
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
    }
}

pub const DOMAIN_NAME: &str = "ForesightExchange";
pub const DOMAIN_VERSION: &str = "1";

/// The only signature type accepted: a 65-byte ECDSA signature of an externally owned account.
pub const SIGNATURE_TYPE_EOA: u8 = 0;

/// n/2 for secp256k1: a larger `s` is the malleable twin of a valid signature (EIP-2).
const SECP256K1_HALF_N: U256 =
    uint!(0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0_U256);

/// The signing domain of orders on `exchange` (the market's `ctf_exchange_address`).
pub fn domain(chain_id: ChainId, exchange: ContractAddress) -> Eip712Domain {
    Eip712Domain::new(
        Some(DOMAIN_NAME.into()),
        Some(DOMAIN_VERSION.into()),
        Some(U256::from(chain_id.0)),
        Some(exchange.address()),
        None,
    )
}

/// `hashStruct(EIP712Domain)` for one chain and exchange, computed afresh.
pub fn domain_separator(chain_id: ChainId, exchange: ContractAddress) -> B256 {
    domain(chain_id, exchange).separator()
}

/// Domain separators by (chain, exchange): a handful of entries that never change.
#[derive(Default)]
pub struct DomainCache {
    separators: RwLock<HashMap<(ChainId, ContractAddress), B256>>,
}

impl DomainCache {
    pub fn new() -> DomainCache {
        DomainCache::default()
    }

    pub fn separator(&self, chain_id: ChainId, exchange: ContractAddress) -> B256 {
        let key = (chain_id, exchange);
        // A poisoned lock still holds correct separators: each entry is written whole.
        if let Some(sep) = self
            .separators
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&key)
        {
            return *sep;
        }
        let sep = domain_separator(chain_id, exchange);
        self.separators
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, sep);
        sep
    }
}

/// `hashStruct(Order)`.
pub fn struct_hash(order: &Order) -> B256 {
    order.eip712_hash_struct()
}

/// The EIP-712 digest `keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(order))`: the order hash.
pub fn order_digest(domain_separator: B256, order: &Order) -> OrderHash {
    let mut buf = [0u8; 66];
    buf[0] = 0x19;
    buf[1] = 0x01;
    buf[2..34].copy_from_slice(domain_separator.as_slice());
    buf[34..].copy_from_slice(struct_hash(order).as_slice());
    OrderHash(keccak256(buf))
}

/// Why a signature does not yield a signer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("must be 65 bytes (r, s, v), got {0}")]
    Length(usize),
    #[error("v must be 27 or 28 (or 0 or 1), got {0}")]
    BadV(u8),
    #[error("s is in the upper half of the curve order (high-s); normalize it")]
    HighS,
    #[error("r and s must be non-zero")]
    ZeroScalar,
    #[error("no public key recovers from this signature and order")]
    Unrecoverable,
}

/// The address whose key signed `digest`, from a 65-byte `r ‖ s ‖ v` signature.
///
/// Only the canonical form is accepted: `v` in {0, 1, 27, 28} (EIP-155 style values are for
/// transactions, not typed data) and `s <= n/2`. Checks are made here, before recovery, because
/// alloy normalizes a high `s` silently.
pub fn recover_signer(digest: &B256, sig: &[u8]) -> Result<Address, SignatureError> {
    let sig: &[u8; 65] = sig
        .try_into()
        .map_err(|_| SignatureError::Length(sig.len()))?;
    let y_parity = match sig[64] {
        0 | 27 => false,
        1 | 28 => true,
        v => return Err(SignatureError::BadV(v)),
    };
    let r = U256::from_be_slice(&sig[..32]);
    let s = U256::from_be_slice(&sig[32..64]);
    if r.is_zero() || s.is_zero() {
        return Err(SignatureError::ZeroScalar);
    }
    if s > SECP256K1_HALF_N {
        return Err(SignatureError::HighS);
    }
    Signature::new(r, s, y_parity)
        .recover_address_from_prehash(digest)
        .map_err(|_| SignatureError::Unrecoverable)
}

#[cfg(test)]
mod tests {
    use super::*;

    const N: U256 = uint!(0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141_U256);

    #[test]
    fn half_n_is_the_floor_of_n_over_two() {
        assert_eq!(SECP256K1_HALF_N, N >> 1);
    }

    #[test]
    fn order_type_string_is_the_contracts() {
        assert_eq!(
            Order::eip712_encode_type(),
            "Order(uint256 salt,address maker,address signer,address taker,uint256 tokenId,\
             uint256 makerAmount,uint256 takerAmount,uint256 expiration,uint256 nonce,\
             uint256 feeRateBps,uint8 side,uint8 signatureType)"
        );
    }

    #[test]
    fn cache_returns_the_computed_separator_per_chain_and_exchange() {
        let cache = DomainCache::new();
        let a = ContractAddress(Address::repeat_byte(0x11));
        let b = ContractAddress(Address::repeat_byte(0x22));
        for (chain, ex) in [(56, a), (56, b), (97, a)] {
            let chain = ChainId(chain);
            assert_eq!(cache.separator(chain, ex), domain_separator(chain, ex));
            assert_eq!(cache.separator(chain, ex), domain_separator(chain, ex));
        }
        assert_ne!(
            cache.separator(ChainId(56), a),
            cache.separator(ChainId(97), a)
        );
        assert_ne!(
            cache.separator(ChainId(56), a),
            cache.separator(ChainId(56), b)
        );
    }

    #[test]
    fn malformed_signatures_are_refused_before_recovery() {
        let digest = B256::repeat_byte(7);
        let mut sig = [1u8; 65];
        sig[64] = 27;
        assert_eq!(
            recover_signer(&digest, &sig[..64]),
            Err(SignatureError::Length(64))
        );
        let mut long = sig.to_vec();
        long.push(0);
        assert_eq!(
            recover_signer(&digest, &long),
            Err(SignatureError::Length(66))
        );
        for v in [2u8, 26, 29, 35, 36, 255] {
            sig[64] = v;
            assert_eq!(recover_signer(&digest, &sig), Err(SignatureError::BadV(v)));
        }
        sig[64] = 28;
        sig[..32].fill(0);
        assert_eq!(
            recover_signer(&digest, &sig),
            Err(SignatureError::ZeroScalar)
        );
        sig[..32].fill(1);
        sig[32..64].copy_from_slice(&(SECP256K1_HALF_N + U256::from(1)).to_be_bytes::<32>());
        assert_eq!(recover_signer(&digest, &sig), Err(SignatureError::HighS));
    }
}
