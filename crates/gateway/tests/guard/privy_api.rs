//! Privy's server API: the last resort for a wallet, asked once per user.

use actix_web::{test, web, App, HttpResponse};
use serde_json::json;

use crate::common::{claims, expect, fixture, get, now, service, APP_ID, WALLET};

#[actix_web::test]
async fn privy_server_api_resolves_a_wallet_when_nothing_else_does() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let calls = Arc::new(AtomicUsize::new(0));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let counter = calls.clone();
    let server = actix_web::HttpServer::new(move || {
        let counter = counter.clone();
        App::new().route(
            "/api/v1/users/{sub}",
            web::get().to(move |req: actix_web::HttpRequest, sub: web::Path<String>| {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let authorized = req.headers().get("authorization").is_some()
                        && req.headers().get("privy-app-id").and_then(|v| v.to_str().ok()) == Some(APP_ID);
                    if !authorized {
                        return HttpResponse::Unauthorized().finish();
                    }
                    if sub.as_str() != "did:privy:carol" {
                        return HttpResponse::NotFound().finish();
                    }
                    HttpResponse::Ok().json(json!({"id": "did:privy:carol", "linked_accounts": [
                        {"type": "wallet", "address": WALLET, "chain_type": "ethereum", "wallet_client_type": "privy"}]}))
                }
            }),
        )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    actix_web::rt::spawn(server);

    let f = fixture(Some(base)).await;
    let app = service!(f);
    for round in 0..2 {
        let token = f
            .key
            .sign(
                None,
                &claims("did:privy:carol", None, json!({"iat": now() - round})),
            )
            .unwrap();
        let res = test::call_service(
            &app,
            get("/t/read")
                .insert_header(("authorization", format!("Bearer {token}")))
                .to_request(),
        )
        .await;
        let b = expect(res, 200, None, "wallet from Privy's API").await;
        assert_eq!(b["wallet"], WALLET);
    }
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "the answer is kept as a binding"
    );
    let token = f
        .key
        .sign(None, &claims("did:privy:dave", None, json!({})))
        .unwrap();
    let res = test::call_service(
        &app,
        get("/t/read")
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request(),
    )
    .await;
    expect(res, 403, Some("FORBIDDEN"), "unknown to Privy").await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    let token = f
        .key
        .sign(
            None,
            &claims("did:privy:dave", None, json!({"iat": now() - 1})),
        )
        .unwrap();
    let res = test::call_service(
        &app,
        get("/t/read")
            .insert_header(("authorization", format!("Bearer {token}")))
            .to_request(),
    )
    .await;
    expect(res, 403, Some("FORBIDDEN"), "still no wallet").await;
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "a user without a wallet is not asked about again at once"
    );
    handle.stop(false).await;
}
