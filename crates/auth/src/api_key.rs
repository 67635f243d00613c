//! API key credentials: the formats of `key_id` and `secret`, generation from the OS RNG, and the
//! keyed hash under which secrets are stored and compared in constant time.

use base64::Engine;
use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use types::Secret;

use crate::error::AuthError;

pub const KEY_ID_PREFIX: &str = "fs_key_";
pub const SECRET_PREFIX: &str = "fs_secret_";
const KEY_ID_CHARS: usize = 32;
const SECRET_CHARS: usize = 43;
const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `fs_key_` + 32 random base62 characters (about 190 bits). Public, safe to log.
pub fn new_key_id() -> Result<String, AuthError> {
    let mut out = String::with_capacity(KEY_ID_PREFIX.len() + KEY_ID_CHARS);
    out.push_str(KEY_ID_PREFIX);
    let mut buf = [0u8; 64];
    while out.len() < KEY_ID_PREFIX.len() + KEY_ID_CHARS {
        OsRng.try_fill_bytes(&mut buf).map_err(|_| AuthError::Rng)?;
        // Rejection sampling: 248 = 4 * 62, so every character is equally likely.
        for b in buf.iter().filter(|b| **b < 248) {
            if out.len() == KEY_ID_PREFIX.len() + KEY_ID_CHARS {
                break;
            }
            out.push(BASE62[usize::from(*b % 62)] as char);
        }
    }
    Ok(out)
}

/// `fs_secret_` + 43 base64url characters: 256 random bits from the OS.
pub fn new_secret() -> Result<Secret<String>, AuthError> {
    let mut bytes = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|_| AuthError::Rng)?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    Ok(Secret::new(format!("{SECRET_PREFIX}{encoded}")))
}

/// Whether `s` has the shape of a key id (checked before any lookup).
pub fn is_key_id(s: &str) -> bool {
    s.strip_prefix(KEY_ID_PREFIX).is_some_and(|rest| {
        rest.len() == KEY_ID_CHARS && rest.bytes().all(|b| b.is_ascii_alphanumeric())
    })
}

/// Whether `s` has the shape of a secret.
pub fn is_secret(s: &str) -> bool {
    s.strip_prefix(SECRET_PREFIX).is_some_and(|rest| {
        rest.len() == SECRET_CHARS
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// HMAC-SHA256 under the server's pepper. The keyed state is computed once and cloned per use.
#[derive(Clone)]
pub struct SecretHasher {
    mac: Hmac<Sha256>,
}

pub type SecretHash = [u8; 32];

impl SecretHasher {
    pub fn new(pepper: &Secret<Vec<u8>>) -> SecretHasher {
        // HMAC accepts keys of any length, so this cannot fail.
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(pepper.expose())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        SecretHasher { mac }
    }

    pub fn hash(&self, secret: &str) -> SecretHash {
        let mut mac = self.mac.clone();
        mac.update(secret.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// Constant-time comparison of the presented secret's hash with the stored one.
    pub fn verify(&self, secret: &str, stored: &SecretHash) -> bool {
        bool::from(self.hash(secret).ct_eq(stored))
    }
}

impl std::fmt::Debug for SecretHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretHasher(***)")
    }
}

pub fn hash_to_hex(h: &SecretHash) -> String {
    h.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn hash_from_hex(s: &str) -> Option<SecretHash> {
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, chunk) in s.as_bytes().chunks_exact(2).enumerate() {
        let pair = std::str::from_utf8(chunk).ok()?;
        out[i] = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_format_is_pinned() {
        let id = new_key_id().unwrap();
        assert!(id.starts_with("fs_key_"), "{id}");
        assert_eq!(id.len(), "fs_key_".len() + 32);
        assert!(id["fs_key_".len()..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric()));
        assert!(is_key_id(&id));
        assert_ne!(id, new_key_id().unwrap());
        assert!(!is_key_id("fs_key_short"));
        assert!(!is_key_id(&format!("fs_key_{}-", "a".repeat(31))));
        assert!(!is_key_id(&format!("xx_key_{}", "a".repeat(32))));
    }

    #[test]
    fn secret_format_is_pinned() {
        let s = new_secret().unwrap();
        let s = s.expose();
        assert!(s.starts_with("fs_secret_"), "{s}");
        assert_eq!(s.len(), "fs_secret_".len() + 43);
        let decoded = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&s["fs_secret_".len()..])
            .unwrap();
        assert_eq!(decoded.len(), 32);
        assert!(is_secret(s));
        assert!(!is_secret("fs_secret_abc"));
        assert_eq!(format!("{:?}", new_secret().unwrap()), "***");
    }

    #[test]
    fn hmac_matches_a_known_answer_and_depends_on_the_pepper() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let h = SecretHasher::new(&Secret::new(b"Jefe".to_vec()));
        assert_eq!(
            hash_to_hex(&h.hash("what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let other = SecretHasher::new(&Secret::new(b"Jefe2".to_vec()));
        let stored = h.hash("s");
        assert!(h.verify("s", &stored));
        assert!(!h.verify("t", &stored));
        assert!(!other.verify("s", &stored));
        assert_eq!(hash_from_hex(&hash_to_hex(&stored)), Some(stored));
        assert_eq!(hash_from_hex("zz"), None);
    }
}
