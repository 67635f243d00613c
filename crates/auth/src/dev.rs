//! Dev mode's local signing key and pepper, kept under `data/`, and the tokens `gateway dev-token`
//! prints. Outside dev mode the gateway never loads this key, so it never trusts it.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use types::{Secret, Wallet};

pub const DEV_KID: &str = "fs-dev";
/// The dev key's file name in the data directory (`gateway dev-token --data-dir`).
pub const DEV_KEY_FILE: &str = "dev-jwt-key.pem";
/// Where the server keeps the dev key: under `data/` in its working directory.
pub const DEV_KEY_PATH: &str = "data/dev-jwt-key.pem";
pub const DEV_PEPPER_PATH: &str = "data/dev-api-key-pepper";
/// The audience of dev tokens when `FS_PRIVY_APP_ID` is unset.
pub const DEV_APP_ID: &str = "fs-dev-app";

/// The DER prefix of an SPKI holding an uncompressed P-256 point.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// An ES256 key pair (PKCS#8), used by dev mode and by tests to sign tokens.
pub struct SigningKey {
    pkcs8: Secret<Vec<u8>>,
    public_point: Vec<u8>,
}

impl SigningKey {
    pub fn generate() -> Result<SigningKey, String> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .map_err(|_| "cannot generate a P-256 key".to_owned())?;
        SigningKey::from_pkcs8(doc.as_ref().to_vec())
    }

    pub fn from_pkcs8(pkcs8: Vec<u8>) -> Result<SigningKey, String> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8)
            .map_err(|_| "not a PKCS#8 P-256 private key".to_owned())?;
        Ok(SigningKey {
            public_point: pair.public_key().as_ref().to_vec(),
            pkcs8: Secret::new(pkcs8),
        })
    }

    pub fn decoding_key(&self) -> Arc<DecodingKey> {
        Arc::new(DecodingKey::from_ec_der(&self.public_point))
    }

    /// The public key as an SPKI PEM (what `FS_PRIVY_VERIFICATION_KEY` takes).
    pub fn public_pem(&self) -> String {
        let mut der = P256_SPKI_PREFIX.to_vec();
        der.extend_from_slice(&self.public_point);
        pem("PUBLIC KEY", &der)
    }

    /// The public key as a JWK with this `kid`.
    pub fn jwk(&self, kid: &str) -> serde_json::Value {
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (x, y) = self.public_point[1..].split_at(32);
        serde_json::json!({"kty": "EC", "crv": "P-256", "kid": kid, "alg": "ES256", "use": "sig",
            "x": b64.encode(x), "y": b64.encode(y)})
    }

    /// Signs `claims` as an ES256 JWT with `kid` in the header.
    pub fn sign(&self, kid: Option<&str>, claims: &serde_json::Value) -> Result<String, String> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = kid.map(str::to_owned);
        jsonwebtoken::encode(
            &header,
            claims,
            &EncodingKey::from_ec_der(self.pkcs8.expose()),
        )
        .map_err(|e| format!("signing: {e}"))
    }

    fn private_pem(&self) -> String {
        pem("PRIVATE KEY", self.pkcs8.expose())
    }
}

fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

fn unpem(text: &str) -> Option<Vec<u8>> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .ok()
}

/// Writes a new file readable by its owner only; fails if it exists.
fn create_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(contents)
}

/// The dev signing key at `path`, created on first use.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, String> {
    if !path.exists() {
        let key = SigningKey::generate()?;
        match create_private_file(path, key.private_pem().as_bytes()) {
            Ok(()) => return Ok(key),
            // Someone else created it meanwhile: use theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let der = unpem(&text).ok_or_else(|| format!("{}: not a PEM file", path.display()))?;
    SigningKey::from_pkcs8(der).map_err(|e| format!("{}: {e}", path.display()))
}

/// Dev mode's API key pepper at `path` (64 hex characters), created on first use.
pub fn load_or_create_pepper(path: &Path) -> Result<Secret<Vec<u8>>, String> {
    if !path.exists() {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes).map_err(|_| "OS random number generator failed")?;
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        match create_private_file(path, hex.as_bytes()) {
            Ok(()) => return Ok(Secret::new(hex.into_bytes())),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("{}: {e}", path.display())),
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(Secret::new(text.trim().as_bytes().to_vec()))
}

/// A token for `wallet` as Privy would issue it: access and identity claims in one, so the
/// gateway resolves the wallet from its `linked_accounts`.
pub fn dev_token(
    key: &SigningKey,
    app_id: &str,
    wallet: Wallet,
    now_secs: i64,
    ttl_secs: i64,
) -> Result<String, String> {
    let claims = serde_json::json!({
        "iss": crate::jwt::PRIVY_ISSUER,
        "aud": app_id,
        "sub": format!("did:privy:dev-{}", &wallet.to_string()[2..]),
        "iat": now_secs,
        "exp": now_secs + ttl_secs,
        "linked_accounts": [{"type": "wallet", "address": wallet.to_string(),
            "chain_type": "ethereum", "wallet_client_type": "privy"}],
    });
    key.sign(Some(DEV_KID), &claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dev_key_path_is_its_file_under_data() {
        assert_eq!(
            Path::new(DEV_KEY_PATH),
            Path::new("data").join(DEV_KEY_FILE)
        );
    }

    #[test]
    fn the_dev_key_persists_and_its_pem_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data/key.pem");
        let a = load_or_create_key(&path).unwrap();
        let b = load_or_create_key(&path).unwrap();
        assert_eq!(a.public_point, b.public_point);
        assert!(crate::jwt::KeyRing::pem_key(&a.public_pem()).is_ok());
        let pepper = load_or_create_pepper(&dir.path().join("data/pepper")).unwrap();
        assert_eq!(pepper.expose().len(), 64);
        assert_eq!(
            load_or_create_pepper(&dir.path().join("data/pepper")).unwrap(),
            pepper
        );
    }
}
