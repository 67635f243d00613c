//! Known-answer vectors from an independent implementation (eth-account, see
//! tests/vectors/gen_eip712_vectors.py), checked byte for byte, and the signature edge cases.

mod common;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::SolStruct;
use common::{hex0x, TestKey};
use serde_json::Value;
use signing::eip712::{self, domain, domain_separator, order_digest, recover_signer, struct_hash};
use signing::{DomainCache, Order, SignatureError};
use types::ids::parse_decimal_u256;
use types::{ChainId, ContractAddress};

struct Vector {
    label: String,
    private_key: [u8; 32],
    chain_id: ChainId,
    exchange: ContractAddress,
    order: Order,
    order_type_hash: B256,
    domain_separator: B256,
    struct_hash: B256,
    digest: B256,
    signature: Vec<u8>,
    signer: Address,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/vectors/eip712_orders.json"
    );
    let text = std::fs::read_to_string(path).expect("tests/vectors/eip712_orders.json");
    let doc: Value = serde_json::from_str(&text).expect("vector file is JSON");
    let list = doc["vectors"].as_array().expect("a vectors array");
    assert!(list.len() >= 6, "the vector file lost entries");
    list.iter().map(parse_vector).collect()
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} is a string"))
}
fn b256(v: &Value, k: &str) -> B256 {
    s(v, k)
        .parse()
        .unwrap_or_else(|_| panic!("{k} is 32 bytes of hex"))
}
fn addr(v: &Value, k: &str) -> Address {
    s(v, k)
        .parse()
        .unwrap_or_else(|_| panic!("{k} is an address"))
}
fn uint(v: &Value, k: &str) -> U256 {
    parse_decimal_u256(s(v, k)).unwrap_or_else(|| panic!("{k} is a decimal uint256"))
}
fn small(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} is an integer"))
}

fn parse_vector(v: &Value) -> Vector {
    let o = &v["order"];
    let d = &v["domain"];
    assert_eq!(s(d, "name"), eip712::DOMAIN_NAME);
    assert_eq!(s(d, "version"), eip712::DOMAIN_VERSION);
    Vector {
        label: s(v, "label").to_owned(),
        private_key: b256(v, "private_key").0,
        chain_id: ChainId(small(d, "chain_id")),
        exchange: ContractAddress(addr(d, "verifying_contract")),
        order: Order {
            salt: uint(o, "salt"),
            maker: addr(o, "maker"),
            signer: addr(o, "signer"),
            taker: addr(o, "taker"),
            tokenId: uint(o, "token_id"),
            makerAmount: uint(o, "maker_amount"),
            takerAmount: uint(o, "taker_amount"),
            expiration: uint(o, "expiration"),
            nonce: uint(o, "nonce"),
            feeRateBps: uint(o, "fee_rate_bps"),
            side: u8::try_from(small(o, "side")).expect("side is a uint8"),
            signatureType: u8::try_from(small(o, "signature_type")).expect("a uint8"),
        },
        order_type_hash: b256(v, "order_type_hash"),
        domain_separator: b256(v, "domain_separator"),
        struct_hash: b256(v, "struct_hash"),
        digest: b256(v, "digest"),
        signature: alloy_primitives::hex::decode(s(v, "signature")).expect("hex signature"),
        signer: addr(v, "signer_address"),
    }
}

#[test]
fn order_type_hash_matches_the_vectors() {
    for v in vectors() {
        assert_eq!(
            keccak256(Order::eip712_encode_type().as_bytes()),
            v.order_type_hash,
            "{}",
            v.label
        );
    }
}

#[test]
fn domain_separators_match_the_vectors() {
    let cache = DomainCache::new();
    for v in vectors() {
        assert_eq!(
            domain_separator(v.chain_id, v.exchange),
            v.domain_separator,
            "{}",
            v.label
        );
        assert_eq!(cache.separator(v.chain_id, v.exchange), v.domain_separator);
        // Served from the cache the second time, still the same bytes.
        assert_eq!(cache.separator(v.chain_id, v.exchange), v.domain_separator);
    }
}

#[test]
fn struct_hashes_and_digests_match_the_vectors() {
    for v in vectors() {
        assert_eq!(struct_hash(&v.order), v.struct_hash, "{}", v.label);
        let digest = order_digest(v.domain_separator, &v.order);
        assert_eq!(digest.0, v.digest, "{}", v.label);
        // alloy's own signing hash agrees with the cached-separator path.
        let alloy = v.order.eip712_signing_hash(&domain(v.chain_id, v.exchange));
        assert_eq!(alloy, v.digest, "{}", v.label);
        assert_eq!(
            digest.to_string(),
            hex0x(v.digest.as_slice()),
            "order hashes render as lower-case 0x hex"
        );
    }
}

#[test]
fn recovered_signers_match_the_vectors() {
    for v in vectors() {
        assert_eq!(
            recover_signer(&v.digest, &v.signature),
            Ok(v.signer),
            "{}",
            v.label
        );
        assert_eq!(v.order.signer, v.signer, "{}", v.label);
    }
}

#[test]
fn libsecp256k1_signs_the_same_bytes_as_eth_account() {
    // Both sides use RFC 6979 nonces and low-s, so the signatures are identical.
    for v in vectors() {
        let key = TestKey::from_bytes(v.private_key);
        assert_eq!(key.address, v.signer, "{}", v.label);
        assert_eq!(key.sign(&v.digest).to_vec(), v.signature, "{}", v.label);
    }
}

#[test]
fn v_0_1_and_27_28_recover_the_same_signer() {
    for v in vectors() {
        let mut sig = v.signature.clone();
        assert!(sig[64] == 27 || sig[64] == 28);
        sig[64] -= 27;
        assert_eq!(recover_signer(&v.digest, &sig), Ok(v.signer), "{}", v.label);
    }
}

#[test]
fn the_wrong_parity_recovers_someone_else() {
    for v in vectors() {
        let mut sig = v.signature.clone();
        sig[64] = if sig[64] == 27 { 28 } else { 27 };
        assert_ne!(recover_signer(&v.digest, &sig), Ok(v.signer), "{}", v.label);
    }
}

#[test]
fn high_s_twin_of_a_valid_signature_is_rejected() {
    let n = U256::from_str_radix(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141",
        16,
    )
    .expect("n");
    for v in vectors() {
        let s = U256::from_be_slice(&v.signature[32..64]);
        let mut twin = v.signature.clone();
        twin[32..64].copy_from_slice(&(n - s).to_be_bytes::<32>());
        twin[64] = if twin[64] == 27 { 28 } else { 27 };
        assert_eq!(
            recover_signer(&v.digest, &twin),
            Err(SignatureError::HighS),
            "{}",
            v.label
        );
    }
}

#[test]
fn v_outside_0_1_27_28_is_rejected() {
    let v = &vectors()[0];
    for bad in [2u8, 26, 29, 30, 35, 36, 37, 38, 255] {
        let mut sig = v.signature.clone();
        sig[64] = bad;
        assert_eq!(
            recover_signer(&v.digest, &sig),
            Err(SignatureError::BadV(bad)),
            "v = {bad}"
        );
    }
}

#[test]
fn only_65_byte_signatures_are_accepted() {
    let v = &vectors()[0];
    for len in [0usize, 64, 66, 130] {
        let mut sig = v.signature.clone();
        sig.resize(len, 0);
        assert_eq!(
            recover_signer(&v.digest, &sig),
            Err(SignatureError::Length(len))
        );
    }
}

#[test]
fn any_change_to_a_signed_field_changes_the_digest() {
    let v = &vectors()[0];
    let one = U256::from(1u8);
    let mut variants = Vec::new();
    let base = v.order.clone();
    let mut o = base.clone();
    o.salt += one;
    variants.push(o);
    let mut o = base.clone();
    o.taker = Address::repeat_byte(1);
    variants.push(o);
    let mut o = base.clone();
    std::mem::swap(&mut o.makerAmount, &mut o.takerAmount);
    variants.push(o);
    let mut o = base.clone();
    o.side ^= 1;
    variants.push(o);
    let mut o = base.clone();
    o.feeRateBps += one;
    variants.push(o);
    for changed in variants {
        let digest = order_digest(v.domain_separator, &changed);
        assert_ne!(digest.0, v.digest);
        assert_ne!(recover_signer(&digest.0, &v.signature), Ok(v.signer));
    }
    // The same order on another exchange or chain is another order.
    let other = ContractAddress(Address::repeat_byte(0x99));
    assert_ne!(
        order_digest(domain_separator(v.chain_id, other), &v.order).0,
        v.digest
    );
    assert_ne!(
        order_digest(
            domain_separator(ChainId(v.chain_id.0 + 1), v.exchange),
            &v.order
        )
        .0,
        v.digest
    );
}
