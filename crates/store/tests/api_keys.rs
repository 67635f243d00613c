//! API keys and wallet bindings on both backends: SQLite always, PostgreSQL when reachable.

use store::api_keys::{
    count_live_keys, insert_api_key, lock_key_owner, ApiKeyChange, ApiKeyRecord,
};
use store::Store;
use test_support::on_each_backend;
use types::{Timestamp, Wallet};

fn wallet(n: u8) -> Wallet {
    format!("0x{}", format!("{n:02x}").repeat(20))
        .parse()
        .unwrap()
}

fn key(id: &str, owner: Wallet, created: i64) -> ApiKeyRecord {
    ApiKeyRecord {
        key_id: id.to_owned(),
        wallet: owner,
        name: Some("bot".into()),
        permissions: "read".into(),
        secret_hash: "ab".repeat(32),
        created_at: Timestamp(created),
        last_used_at: None,
        expires_at: None,
        revoked_at: None,
    }
}

/// Inserts the key in a transaction of its own, as the key lifecycle does; returns how many of
/// the wallet's keys were live before it.
async fn insert(s: &Store, k: &ApiKeyRecord, now: Timestamp) -> u32 {
    let mut conn = s.write_connection().await.unwrap();
    let mut tx = conn.begin().await.unwrap();
    lock_key_owner(&mut tx, k.wallet, now).await.unwrap();
    let live = count_live_keys(&mut tx, k.wallet, now).await.unwrap();
    insert_api_key(&mut tx, k, now).await.unwrap();
    tx.commit().await.unwrap();
    live
}

#[tokio::test]
async fn keys_round_trip_and_only_live_keys_count_as_live() {
    on_each_backend(|s, _, backend| async move {
        let now = Timestamp(1_000_000);
        let (a, b) = (wallet(1), wallet(2));
        assert_eq!(insert(&s, &key("k1", a, 1), now).await, 0);
        let mut expired = key("k2", a, 2);
        expired.expires_at = Some(Timestamp(now.0 - 1));
        assert_eq!(insert(&s, &expired, now).await, 1);
        assert_eq!(
            insert(&s, &key("k3", a, 3), now).await,
            1,
            "{backend}: an expired key is not live"
        );
        assert!(s.revoke_api_key("k1", a, now).await.unwrap());
        assert_eq!(
            insert(&s, &key("k4", a, 4), now).await,
            1,
            "{backend}: a revoked key is not live"
        );
        let listed = s.api_keys_of(a).await.unwrap();
        assert_eq!(
            listed.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(),
            ["k1", "k2", "k3", "k4"],
            "{backend}"
        );
        assert_eq!(listed[0].revoked_at, Some(now), "{backend}");
        assert_eq!(s.api_key("k3").await.unwrap(), Some(key("k3", a, 3)));
        assert!(s.api_keys_of(b).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn another_wallets_key_cannot_be_changed_regenerated_or_revoked() {
    on_each_backend(|s, _, backend| async move {
        let now = Timestamp(5);
        let (a, b) = (wallet(1), wallet(2));
        insert(&s, &key("k1", a, 1), now).await;
        let change = ApiKeyChange {
            name: Some("renamed".into()),
            permissions: Some("read,trade".into()),
        };
        assert_eq!(s.update_api_key("k1", b, &change).await.unwrap(), None);
        assert_eq!(
            s.replace_api_key_secret("k1", b, &"cd".repeat(32))
                .await
                .unwrap(),
            None
        );
        assert!(!s.revoke_api_key("k1", b, now).await.unwrap());
        assert_eq!(s.api_key("k1").await.unwrap(), Some(key("k1", a, 1)));

        let changed = s.update_api_key("k1", a, &change).await.unwrap().unwrap();
        assert_eq!(changed.name.as_deref(), Some("renamed"), "{backend}");
        assert_eq!(changed.permissions, "read,trade");
        let only_name = ApiKeyChange {
            name: Some("again".into()),
            permissions: None,
        };
        let changed = s
            .update_api_key("k1", a, &only_name)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(changed.permissions, "read,trade", "{backend}");
        let regenerated = s
            .replace_api_key_secret("k1", a, &"cd".repeat(32))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(regenerated.secret_hash, "cd".repeat(32));
        assert!(s.revoke_api_key("k1", a, Timestamp(7)).await.unwrap());
        assert!(s.revoke_api_key("k1", a, Timestamp(9)).await.unwrap());
        let revoked = s.api_key("k1").await.unwrap().unwrap();
        assert_eq!(revoked.revoked_at, Some(Timestamp(7)), "{backend}");
        assert_eq!(s.update_api_key("k1", a, &change).await.unwrap(), None);
        assert_eq!(
            s.replace_api_key_secret("k1", a, &"ef".repeat(32))
                .await
                .unwrap(),
            None,
            "{backend}: a revoked key cannot be regenerated"
        );
    })
    .await;
}

#[tokio::test]
async fn last_used_only_moves_forward_and_bindings_upsert() {
    on_each_backend(|s, _, backend| async move {
        let a = wallet(3);
        insert(&s, &key("k1", a, 1), Timestamp(1)).await;
        s.touch_api_keys(&[("k1".into(), Timestamp(50))])
            .await
            .unwrap();
        s.touch_api_keys(&[("k1".into(), Timestamp(40)), ("nope".into(), Timestamp(1))])
            .await
            .unwrap();
        let k = s.api_key("k1").await.unwrap().unwrap();
        assert_eq!(k.last_used_at, Some(Timestamp(50)), "{backend}");

        assert_eq!(s.wallet_binding("did:privy:x").await.unwrap(), None);
        s.bind_wallet("did:privy:x", wallet(4), Timestamp(1))
            .await
            .unwrap();
        s.bind_wallet("did:privy:x", wallet(5), Timestamp(2))
            .await
            .unwrap();
        assert_eq!(
            s.wallet_binding("did:privy:x").await.unwrap(),
            Some(wallet(5)),
            "{backend}"
        );
    })
    .await;
}
