//! Two server instances on one PostgreSQL database share the case history, as several
//! instances behind a load balancer do (`--database postgres://...`). Skips without
//! `PHISHPROBE_TEST_POSTGRES`, fails without it when `PHISHPROBE_REQUIRE_POSTGRES=1` (CI).

mod common;

use common::*;
use phishprobe_store::testing::TempPg;
use serde_json::json;

/// The database is made and dropped outside the runtime: the blocking `postgres` client
/// runs its own.
#[test]
fn two_instances_share_one_postgres_history() {
    let Some(pg) = TempPg::create("server") else {
        return;
    };
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(share(&pg.url));
}

async fn share(url: &str) {
    // Both start at once: the migrations must not trip over each other.
    let (a, b) = tokio::join!(
        start_with(|c, _| c.database = Some(url.to_string())),
        start_with(|c, _| c.database = Some(url.to_string())),
    );
    let health = get(&b, "/api/v1/health").await.json();
    assert_eq!(health["cases"], true, "{health}");

    let r = post_json(
        &a,
        "/api/v1/cases",
        &json!({
            "texts": ["Amazon Seller Support: your store data leaked. Reset your store password at https://sellercentral-amazon.account-reset.top/ap/signin today."],
            "email": {"name": "suspended.eml", "message": PHISH_EML},
        }),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    let id = created["id"].as_str().expect("case id").to_string();
    assert_eq!(created["report"]["verdict"], "phishing");

    // Instance B reads what A wrote: the case, its inputs, the list and the report.
    let r = get(&b, &format!("/api/v1/cases/{id}")).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["report"], created["report"]);
    assert_eq!(r.json()["inputs"].as_array().map(Vec::len), Some(2));
    let list = get(&b, "/api/v1/cases?limit=5").await.json();
    assert_eq!(list["cases"][0]["id"], id.as_str(), "{list}");
    let html = get(&b, &format!("/api/v1/cases/{id}/report.html?lang=en")).await;
    assert_eq!(html.status, 200);
    assert!(html.text().contains(&id));

    // Unknown ids are a structured 404 on either instance.
    let r = get(&a, "/api/v1/cases/zzzzzzzzzzzz").await;
    assert_eq!((r.status, r.code().as_str()), (404, "case_not_found"));
    a.stop().await;
    b.stop().await;
}
