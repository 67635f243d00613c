//! Which wallet a Privy user acts as: the `linked_accounts` claim of an identity token (or of
//! Privy's user API), a JSON array or a string holding one.

use serde_json::Value;
use types::Wallet;

/// The first Ethereum wallet among the linked accounts, an embedded (Privy) wallet first.
/// Entries that do not parse are skipped.
pub fn wallet_from_linked_accounts(value: &Value) -> Option<Wallet> {
    let parsed;
    let accounts = match value {
        Value::Array(a) => a,
        Value::String(s) => {
            parsed = serde_json::from_str::<Value>(s).ok()?;
            parsed.as_array()?
        }
        _ => return None,
    };
    let wallets: Vec<(Wallet, bool)> = accounts
        .iter()
        .filter_map(|acc| {
            let field = |k: &str| acc.get(k).and_then(Value::as_str);
            if field("type") != Some("wallet") || field("chain_type") != Some("ethereum") {
                return None;
            }
            let wallet = field("address")?.parse::<Wallet>().ok()?;
            Some((wallet, field("wallet_client_type") == Some("privy")))
        })
        .collect();
    wallets
        .iter()
        .find(|(_, embedded)| *embedded)
        .or_else(|| wallets.first())
        .map(|(w, _)| *w)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const A: &str = "0xaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "0xBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    #[test]
    fn embedded_wallet_wins_over_an_earlier_external_one() {
        let accounts = json!([
            {"type": "email", "address": "x@y.z"},
            {"type": "wallet", "address": A, "chain_type": "ethereum", "wallet_client_type": "metamask"},
            {"type": "wallet", "address": B, "chain_type": "ethereum", "wallet_client_type": "privy"},
        ]);
        assert_eq!(
            wallet_from_linked_accounts(&accounts).unwrap().to_string(),
            B.to_lowercase()
        );
    }

    #[test]
    fn the_string_form_and_non_ethereum_wallets() {
        let accounts = json!([
            {"type": "wallet", "address": "So1ana", "chain_type": "solana", "wallet_client_type": "privy"},
            {"type": "wallet", "address": A, "chain_type": "ethereum"},
        ]);
        let as_string = Value::String(accounts.to_string());
        assert_eq!(
            wallet_from_linked_accounts(&as_string).unwrap().to_string(),
            A
        );
        assert_eq!(wallet_from_linked_accounts(&json!([])), None);
        assert_eq!(wallet_from_linked_accounts(&json!("not json")), None);
        assert_eq!(
            wallet_from_linked_accounts(
                &json!([{"type": "wallet", "address": "0x12", "chain_type": "ethereum"}])
            ),
            None
        );
    }
}
