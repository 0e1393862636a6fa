//! The write path's budget (issue 19), measured with the `/metrics` counters of the app's
//! pool: statements sent (BEGIN and COMMIT included) and checkouts per request.

use crate::helpers::*;

/// The app's (statements, checkouts) totals, read from `/metrics`.
async fn db_totals(app: &TestApp) -> (u64, u64) {
    let text = app.get("/metrics").await.text().await.expect("metrics");
    let read = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or_else(|| panic!("{name} missing in\n{text}"))
    };
    (
        read("hindsight_db_statements_total"),
        read("hindsight_db_checkouts_total"),
    )
}

/// The cheapest of five runs of `post` (a background job may share the pool during one),
/// as (statements, checkouts).
async fn cost_of<F, Fut>(app: &TestApp, mut post: F) -> (u64, u64)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let mut best = (u64::MAX, u64::MAX);
    for attempt in 0..5 {
        let before = db_totals(app).await;
        post(attempt).await;
        let after = db_totals(app).await;
        let cost = (after.0 - before.0, after.1 - before.1);
        best = best.min(cost);
    }
    best
}

#[tokio::test]
async fn a_comment_costs_at_most_three_statements_and_one_checkout() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Budget", &[]).await;
    let alice = app.register("alice").await;
    let bob = app.register("bob").await;
    let parent = app.comment_id(&alice, &slug, "The parent.", None).await;
    let top = cost_of(&app, |i| {
        let (app, bob, slug) = (&app, &bob, &slug);
        async move {
            app.comment(bob, slug, &format!("Top-level {i}."), None)
                .await;
        }
    })
    .await;
    let reply = cost_of(&app, |i| {
        let (app, bob, slug) = (&app, &bob, &slug);
        async move {
            app.comment(bob, slug, &format!("Reply {i}."), Some(parent))
                .await;
        }
    })
    .await;
    eprintln!("top-level comment: {top:?}, reply: {reply:?} (statements, checkouts)");
    assert!(top.0 <= 3 && top.1 == 1, "top-level comment cost {top:?}");
    assert!(reply.0 <= 3 && reply.1 == 1, "reply cost {reply:?}");
}
