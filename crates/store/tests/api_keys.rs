//! API keys and wallet bindings on both backends: SQLite always; PostgreSQL in the `_on_postgres`
//! tests, which need `--include-ignored`.

use store::api_keys::{
    count_live_keys, insert_api_key, lock_key_owner, ApiKeyChange, ApiKeyRecord,
};
use store::Store;
use test_support::{on_backend, Backend};
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
    keys_round_trip_and_only_live_keys_count_as_live_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn keys_round_trip_and_only_live_keys_count_as_live_on_postgres() {
    keys_round_trip_and_only_live_keys_count_as_live_on(Backend::Postgres).await;
}

async fn keys_round_trip_and_only_live_keys_count_as_live_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
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
        let listed = s.listed_api_keys(a, now, 25).await.unwrap();
        assert_eq!(
            listed.iter().map(|k| k.key_id.as_str()).collect::<Vec<_>>(),
            ["k4", "k3", "k2", "k1"],
            "{backend}"
        );
        assert_eq!(listed[3].revoked_at, Some(now), "{backend}");
        assert_eq!(s.api_key("k3").await.unwrap(), Some(key("k3", a, 3)));
        assert!(s.listed_api_keys(b, now, 25).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn a_listing_holds_every_live_key_and_only_the_last_ended_ones() {
    a_listing_holds_every_live_key_and_only_the_last_ended_ones_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn a_listing_holds_every_live_key_and_only_the_last_ended_ones_on_postgres() {
    a_listing_holds_every_live_key_and_only_the_last_ended_ones_on(Backend::Postgres).await;
}

async fn a_listing_holds_every_live_key_and_only_the_last_ended_ones_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
        let a = wallet(3);
        // Keys 0..6 end one after the other: 0, 1, 2 revoked at 100 + n, 3, 4, 5 expired at 100 + n.
        for n in 0..6i64 {
            let mut k = key(&format!("ended{n}"), a, n);
            if n >= 3 {
                k.expires_at = Some(Timestamp(100 + n));
            }
            insert(&s, &k, Timestamp(n)).await;
            if n < 3 {
                assert!(s
                    .revoke_api_key(&k.key_id, a, Timestamp(100 + n))
                    .await
                    .unwrap());
            }
        }
        for n in 6..8i64 {
            insert(&s, &key(&format!("live{n}"), a, n), Timestamp(n)).await;
        }
        let now = Timestamp(1_000);
        let ids = |keys: Vec<ApiKeyRecord>| -> Vec<String> {
            keys.into_iter().map(|k| k.key_id).collect()
        };
        assert_eq!(
            ids(s.listed_api_keys(a, now, 4).await.unwrap()),
            ["live7", "live6", "ended5", "ended4", "ended3", "ended2"],
            "{backend}"
        );
        assert_eq!(
            ids(s.listed_api_keys(a, now, 0).await.unwrap()),
            ["live7", "live6"],
            "{backend}"
        );
        // Before the expiries, the expiring keys are live and listed whatever the limit.
        assert_eq!(
            ids(s.listed_api_keys(a, Timestamp(50), 1).await.unwrap()),
            ["live7", "live6", "ended5", "ended4", "ended3", "ended2"],
            "{backend}"
        );
    })
    .await;
}

#[tokio::test]
async fn another_wallets_key_cannot_be_changed_regenerated_or_revoked() {
    another_wallets_key_cannot_be_changed_regenerated_or_revoked_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn another_wallets_key_cannot_be_changed_regenerated_or_revoked_on_postgres() {
    another_wallets_key_cannot_be_changed_regenerated_or_revoked_on(Backend::Postgres).await;
}

async fn another_wallets_key_cannot_be_changed_regenerated_or_revoked_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
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
    last_used_only_moves_forward_and_bindings_upsert_on(Backend::Sqlite).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL"]
async fn last_used_only_moves_forward_and_bindings_upsert_on_postgres() {
    last_used_only_moves_forward_and_bindings_upsert_on(Backend::Postgres).await;
}

async fn last_used_only_moves_forward_and_bindings_upsert_on(backend: Backend) {
    on_backend(backend, |s, _, backend| async move {
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
