//! Test keys that sign like a wallet does (libsecp256k1, RFC 6979, low-s, v 27/28).

#![allow(dead_code)]

use alloy_primitives::{keccak256, Address, B256};
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};
use types::Wallet;

pub struct TestKey {
    secret: SecretKey,
    pub address: Address,
}

impl TestKey {
    pub fn from_bytes(bytes: [u8; 32]) -> TestKey {
        let secret = SecretKey::from_byte_array(bytes).expect("a valid test key");
        let public = PublicKey::from_secret_key_global(&secret);
        let address = Address::from_raw_public_key(&public.serialize_uncompressed()[1..]);
        TestKey { secret, address }
    }

    /// A deterministic key from a label.
    pub fn named(label: &str) -> TestKey {
        TestKey::from_bytes(keccak256(format!("orders-test-key:{label}")).0)
    }

    pub fn wallet(&self) -> Wallet {
        Wallet(self.address)
    }

    /// `r ‖ s ‖ v` with v 27/28, as eth_signTypedData returns it.
    pub fn sign(&self, digest: &B256) -> [u8; 65] {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest.0), &self.secret);
        let (recid, compact) = sig.serialize_compact();
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&compact);
        out[64] = 27 + u8::try_from(i32::from(recid)).expect("recovery id 0..=3");
        out
    }
}

pub fn hex0x(bytes: &[u8]) -> String {
    format!("0x{}", alloy_primitives::hex::encode(bytes))
}
