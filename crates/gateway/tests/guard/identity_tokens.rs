//! Identity tokens: the wallet they name, bound to the access token of the same user.

use actix_web::test;
use serde_json::json;

use crate::common::{claims, expect, fixture, get, now, service, OTHER_WALLET, WALLET};

#[actix_web::test]
async fn identity_tokens_name_the_wallet_and_must_belong_to_the_same_user() {
    let f = fixture(None).await;
    let app = service!(f);
    let sub = "did:privy:bob";
    let access = f.key.sign(None, &claims(sub, None, json!({}))).unwrap();
    let id_token = f
        .key
        .sign(None, &claims(sub, Some(OTHER_WALLET), json!({})))
        .unwrap();
    let foreign = f
        .key
        .sign(None, &claims("did:privy:mallory", Some(WALLET), json!({})))
        .unwrap();
    let expired_id = f
        .key
        .sign(
            None,
            &claims(sub, Some(WALLET), json!({"exp": now() - 120})),
        )
        .unwrap();

    let req = |id: Option<(&str, &str)>| {
        let mut r = get("/t/read").insert_header(("authorization", format!("Bearer {access}")));
        if let Some(h) = id {
            r = r.insert_header(h);
        }
        r.to_request()
    };
    let res = test::call_service(&app, req(Some(("privy-id-token", foreign.as_str())))).await;
    expect(
        res,
        401,
        Some("AUTH_INVALID"),
        "identity token of another sub",
    )
    .await;
    let res = test::call_service(&app, req(Some(("privy-id-token", expired_id.as_str())))).await;
    expect(res, 401, Some("AUTH_INVALID"), "expired identity token").await;
    let res = test::call_service(&app, req(None)).await;
    expect(
        res,
        403,
        Some("FORBIDDEN"),
        "no identity token, no binding yet",
    )
    .await;
    let cookie = format!("other=1; privy-id-token={id_token}");
    let res = test::call_service(&app, req(Some(("cookie", cookie.as_str())))).await;
    let b = expect(res, 200, None, "identity token in the cookie").await;
    assert_eq!(b["wallet"], OTHER_WALLET);
    // The binding is stored: the access token alone now resolves the wallet.
    let res = test::call_service(&app, req(None)).await;
    let b = expect(res, 200, None, "stored binding").await;
    assert_eq!(b["wallet"], OTHER_WALLET);
}
