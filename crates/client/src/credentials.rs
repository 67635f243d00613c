//! What a bot authenticates and signs with: an API key pair and/or a Privy JWT, and the
//! private key of its wallet. None of them ever prints: `Debug` shows `***` for every secret.

use std::fmt;

use alloy_primitives::{hex, Address, B256};
use secp256k1::{Message, PublicKey, SecretKey, SECP256K1};
use types::{Secret, Wallet};

use crate::error::ClientError;

/// An API key pair: `key_id` (`fs_key_...`, public) and its secret (`fs_secret_...`).
#[derive(Clone, Debug)]
pub struct ApiKey {
    pub key_id: String,
    secret: Secret<String>,
}

impl ApiKey {
    pub fn new(key_id: impl Into<String>, secret: impl Into<String>) -> ApiKey {
        ApiKey {
            key_id: key_id.into(),
            secret: Secret::new(secret.into()),
        }
    }

    pub(crate) fn secret(&self) -> &str {
        self.secret.expose()
    }
}

/// How requests to authenticated routes identify the caller.
///
/// With both an API key pair and a JWT, the key pair is sent: a bot's key carries only the
/// permissions it was given, which is the safer of the two. The JWT is used when there is no
/// key (and is the only credential the L1 key-management routes accept).
#[derive(Clone, Debug, Default)]
pub struct Credentials {
    pub api_key: Option<ApiKey>,
    pub jwt: Option<Secret<String>>,
}

impl Credentials {
    /// No credentials: market data (L0) only.
    pub fn none() -> Credentials {
        Credentials::default()
    }

    pub fn api_key(key_id: impl Into<String>, secret: impl Into<String>) -> Credentials {
        Credentials {
            api_key: Some(ApiKey::new(key_id, secret)),
            jwt: None,
        }
    }

    pub fn jwt(token: impl Into<String>) -> Credentials {
        Credentials {
            api_key: None,
            jwt: Some(Secret::new(token.into())),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.api_key.is_none() && self.jwt.is_none()
    }
}

/// A wallet's secp256k1 private key. It signs orders and yields the wallet's address; its
/// `Debug` prints `PrivateKey(***)` and the key bytes are overwritten when it is dropped.
pub struct PrivateKey {
    secret: SecretKey,
    wallet: Wallet,
}

impl PrivateKey {
    /// Parses 32 bytes of hex, with or without `0x`. The error never repeats the input.
    pub fn from_hex(text: &str) -> Result<PrivateKey, ClientError> {
        let text = text.trim();
        let digits = text
            .strip_prefix("0x")
            .or_else(|| text.strip_prefix("0X"))
            .unwrap_or(text);
        let invalid = || {
            ClientError::invalid(
                "private key",
                "must be 64 hex characters (32 bytes), with or without 0x",
            )
        };
        if digits.len() != 64 {
            return Err(invalid());
        }
        let bytes: [u8; 32] = hex::decode(digits)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(invalid)?;
        PrivateKey::from_bytes(bytes)
    }

    /// A key from its 32 bytes; zero and values at or above the curve order are refused.
    pub fn from_bytes(bytes: [u8; 32]) -> Result<PrivateKey, ClientError> {
        let secret = SecretKey::from_byte_array(bytes).map_err(|_| {
            ClientError::invalid("private key", "is not a valid secp256k1 secret key")
        })?;
        let public = PublicKey::from_secret_key_global(&secret);
        let wallet = Wallet(Address::from_raw_public_key(
            &public.serialize_uncompressed()[1..],
        ));
        Ok(PrivateKey { secret, wallet })
    }

    /// The wallet this key controls: the maker and signer of its orders.
    pub fn wallet(&self) -> Wallet {
        self.wallet
    }

    /// Signs a 32-byte digest as `eth_signTypedData` does: `r ‖ s ‖ v`, RFC 6979 nonces,
    /// low `s` (libsecp256k1 only produces the lower half), `v` = 27 + recovery id.
    pub fn sign_digest(&self, digest: &B256) -> Result<[u8; 65], ClientError> {
        let sig = SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest.0), &self.secret);
        let (recid, compact) = sig.serialize_compact();
        // Recovery ids 2 and 3 need an `r` above the group order (odds about 2^-127); the
        // contract has no `v` for them.
        let v = match i32::from(recid) {
            0 => 27,
            1 => 28,
            _ => return Err(ClientError::invalid(
                "signature",
                "recovery id above 1 cannot be expressed as v 27/28; sign again with another salt",
            )),
        };
        let mut out = [0u8; 65];
        out[..64].copy_from_slice(&compact);
        out[64] = v;
        Ok(out)
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateKey(***)")
    }
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.secret.non_secure_erase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The well-known key of the web3.py / ethers documentation.
    const DOC_KEY: &str = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";
    const DOC_ADDRESS: &str = "0x2c7536e3605d9c16a7a3d7b1898e529396a65c23";

    #[test]
    fn the_wallet_is_the_address_of_the_key() {
        let key = PrivateKey::from_hex(DOC_KEY).unwrap();
        assert_eq!(key.wallet().to_string(), DOC_ADDRESS);
        let bare = PrivateKey::from_hex(&DOC_KEY[2..].to_uppercase()).unwrap();
        assert_eq!(bare.wallet(), key.wallet());
    }

    #[test]
    fn malformed_keys_are_refused_without_echoing_them() {
        let zero = format!("0x{}", "0".repeat(64));
        let order = "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141";
        for bad in [
            "",
            "0x",
            &DOC_KEY[..60],
            &format!("{DOC_KEY}00"),
            &DOC_KEY.replace('c', "g"),
            &zero,
            order,
        ] {
            let err = PrivateKey::from_hex(bad).unwrap_err();
            let text = format!("{err} {err:?}");
            assert!(text.starts_with("private key: "), "{text}");
            if bad.len() > 8 {
                assert!(!text.contains(&bad[2..10]), "error repeats the key: {text}");
            }
        }
    }

    #[test]
    fn debug_of_credentials_prints_no_secret() {
        let key = PrivateKey::from_hex(DOC_KEY).unwrap();
        let creds = Credentials {
            api_key: Some(ApiKey::new("fs_key_public", "fs_secret_hunter2")),
            jwt: Some(Secret::new("eyJhbGciOiJFUzI1NiJ9.payload.sig".to_owned())),
        };
        let printed = format!("{creds:?} {creds:#?} {key:?} {key:#?}");
        for secret in [
            "hunter2",
            "eyJhbGci",
            "payload",
            &DOC_KEY[2..],
            &DOC_KEY[10..30],
        ] {
            assert!(!printed.contains(secret), "{secret} leaked in {printed}");
        }
        assert!(
            printed.contains("fs_key_public"),
            "the key id is public: {printed}"
        );
        assert!(printed.contains("***"));
    }
}
