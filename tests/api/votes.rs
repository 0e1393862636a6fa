//! Voting and ranking through HTTP, exactness under concurrency included.

use futures_util::StreamExt;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn vote(app: &TestApp, user: &TestUser, comment: i64, value: i64) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/comments/{comment}/vote"),
        Some(&user.token),
        &json!({"value": value}),
    )
    .await
}

async fn setup() -> (TestApp, String, TestUser) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Votes", &[]).await;
    let author = app.register("author").await;
    (app, slug, author)
}

async fn register_many(app: &TestApp, prefix: &str, n: usize) -> Vec<TestUser> {
    futures_util::stream::iter((0..n).map(|i| {
        let name = format!("{prefix}_user_{i}");
        async move { app.register(&name).await }
    }))
    .buffer_unordered(4)
    .collect()
    .await
}

#[tokio::test]
async fn votes_are_counted_idempotent_and_shown_to_the_voter() {
    let (app, slug, author) = setup().await;
    let reader = app.register("reader").await;
    let comment = app.comment_id(&author, &slug, "vote on me", None).await;
    let first = json_with_status(vote(&app, &reader, comment, 1).await, 200).await;
    assert_eq!(
        first,
        json!({"comment_id": comment, "upvotes": 1, "downvotes": 0, "score": 1, "my_vote": 1})
    );
    let again = json_with_status(vote(&app, &reader, comment, 1).await, 200).await;
    assert_eq!(again, first, "the same vote twice changes nothing");
    let flipped = json_with_status(vote(&app, &reader, comment, -1).await, 200).await;
    assert_eq!(
        flipped,
        json!({"comment_id": comment, "upvotes": 0, "downvotes": 1, "score": -1, "my_vote": -1})
    );

    let anonymous = app.get_json(&format!("/api/v1/comments/{comment}")).await;
    assert_null(&anonymous, "my_vote");
    assert_eq!(
        (
            anonymous["upvotes"].as_i64(),
            anonymous["downvotes"].as_i64(),
            anonymous["score"].as_i64()
        ),
        (Some(0), Some(1), Some(-1))
    );
    let mine = json_with_status(
        app.get_as(&reader.token, &format!("/api/v1/comments/{comment}"))
            .await,
        200,
    )
    .await;
    assert_eq!(mine["my_vote"], -1);
    let theirs = json_with_status(
        app.get_as(&author.token, &format!("/api/v1/articles/{slug}/comments"))
            .await,
        200,
    )
    .await;
    assert_eq!(
        theirs["items"][0]["my_vote"], 0,
        "a logged-in reader who has not voted sees 0"
    );
    let thread = json_with_status(
        app.get_as(
            &reader.token,
            &format!("/api/v1/articles/{slug}/comments/flat"),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(thread["items"][0]["my_vote"], -1);

    let cleared = json_with_status(vote(&app, &reader, comment, 0).await, 200).await;
    assert_eq!(cleared["score"], 0);
    assert_eq!(cleared["my_vote"], 0);
    assert_eq!(
        app.count("SELECT count(*) AS count FROM comment_votes")
            .await,
        0
    );
}

#[tokio::test]
async fn refused_votes_change_nothing() {
    let (app, slug, author) = setup().await;
    let reader = app.register("reader").await;
    let comment = app.comment_id(&author, &slug, "mine", None).await;
    let own = assert_problem(vote(&app, &author, comment, 1).await, 403).await;
    assert_eq!(own["type"], "/problems/own-comment");
    let problem = assert_problem(vote(&app, &reader, comment, 2).await, 422).await;
    assert_eq!(
        problem_fields(&problem),
        vec![("value".into(), "out_of_range".into())]
    );
    assert_problem(vote(&app, &reader, 999_999, 1).await, 404).await;
    let anonymous = app
        .send_json(
            Method::PUT,
            &format!("/api/v1/comments/{comment}/vote"),
            None,
            &json!({"value": 1}),
        )
        .await;
    assert_problem(anonymous, 401).await;
    app.request(Method::DELETE, &format!("/api/v1/comments/{comment}"))
        .bearer_auth(&author.token)
        .send()
        .await
        .expect("request");
    assert_problem(vote(&app, &reader, comment, 1).await, 409).await;
    assert_eq!(
        app.count("SELECT count(*) AS count FROM comment_votes")
            .await,
        0
    );
}

#[tokio::test]
async fn karma_is_the_sum_of_scores_and_survives_deletion() {
    let (app, slug, author) = setup().await;
    let voters = register_many(&app, "voter", 3).await;
    let a = app.comment_id(&author, &slug, "a", None).await;
    let b = app.comment_id(&author, &slug, "b", None).await;
    for voter in &voters {
        json_with_status(vote(&app, voter, a, 1).await, 200).await;
    }
    json_with_status(vote(&app, &voters[0], b, -1).await, 200).await;
    let me = json_with_status(app.get_as(&author.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["karma"], 2);
    app.request(Method::DELETE, &format!("/api/v1/comments/{a}"))
        .bearer_auth(&author.token)
        .send()
        .await
        .expect("request");
    let profile = app.get_json("/api/v1/users/author").await;
    assert_eq!(
        profile["karma"], 2,
        "votes on deleted comments are frozen, not erased"
    );
}

async fn assert_counters_match_votes(app: &TestApp) {
    let mismatched = app
        .count(
            "SELECT count(*) AS count FROM comments c WHERE \
               c.upvotes <> (SELECT count(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.value = 1) \
            OR c.downvotes <> (SELECT count(*) FROM comment_votes v WHERE v.comment_id = c.id AND v.value = -1) \
            OR c.score <> c.upvotes - c.downvotes \
            OR abs(c.rank_best - r.wilson(c.upvotes, c.downvotes)) > 1e-12 \
            OR abs(c.rank_controversial - r.controversy(c.upvotes, c.downvotes)) > 1e-12",
        )
        .await;
    assert_eq!(mismatched, 0, "comment counters equal a recount");
    let karma = app
        .count(
            "SELECT count(*) AS count FROM users u WHERE u.karma <> \
             (SELECT coalesce(sum(c.score), 0) FROM comments c WHERE c.author_id = u.id)",
        )
        .await;
    assert_eq!(karma, 0, "karma equals a recount");
}

#[tokio::test]
async fn fifty_users_voting_at_once_count_exactly_fifty() {
    let (app, slug, author) = setup().await;
    let comment = app.comment_id(&author, &slug, "popular", None).await;
    let voters = register_many(&app, "v", 50).await;
    let responses: Vec<u16> = futures_util::future::join_all(voters.iter().map(|v| {
        let app = &app;
        async move { vote(app, v, comment, 1).await.status().as_u16() }
    }))
    .await;
    assert!(responses.iter().all(|s| *s == 200), "{responses:?}");
    let after = app.get_json(&format!("/api/v1/comments/{comment}")).await;
    assert_eq!(after["upvotes"], 50);
    assert_eq!(after["score"], 50);
    assert_counters_match_votes(&app).await;
}

#[tokio::test]
async fn one_user_flipping_concurrently_ends_with_counters_equal_to_the_stored_vote() {
    let (app, slug, author) = setup().await;
    let reader = app.register("flipper").await;
    let comment = app.comment_id(&author, &slug, "flip", None).await;
    let values: Vec<i64> = (0..120).map(|i| [1, -1, 0][i % 3]).collect();
    let statuses: Vec<u16> = futures_util::stream::iter(values.iter().map(|value| {
        let (app, reader) = (&app, &reader);
        async move { vote(app, reader, comment, *value).await.status().as_u16() }
    }))
    .buffer_unordered(16)
    .collect()
    .await;
    assert!(statuses.iter().all(|s| *s == 200), "{statuses:?}");
    let stored = app
        .count(&format!("SELECT coalesce(sum(value), 0)::bigint AS count FROM comment_votes WHERE comment_id = {comment}"))
        .await;
    let after = app.get_json(&format!("/api/v1/comments/{comment}")).await;
    assert_eq!(after["score"].as_i64(), Some(stored));
    assert!(
        after["upvotes"].as_i64().expect("up") + after["downvotes"].as_i64().expect("down") <= 1
    );
    assert_counters_match_votes(&app).await;
}

#[tokio::test]
async fn a_random_storm_of_votes_leaves_every_counter_and_karma_exact() {
    let (app, slug, _) = setup().await;
    let users = register_many(&app, "u", 12).await;
    let mut comments = Vec::new();
    for i in 0..100 {
        let author = &users[i % users.len()];
        comments.push((
            app.comment_id(author, &slug, &format!("c{i}"), None).await,
            i % users.len(),
        ));
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let plan: Vec<(usize, i64, i64)> = (0..2_000)
        .map(|_| {
            let (comment, author) = comments[rng.gen_range(0..comments.len())];
            let mut voter = rng.gen_range(0..users.len());
            if voter == author {
                voter = (voter + 1) % users.len();
            }
            (voter, comment, [1, -1, 0][rng.gen_range(0..3)])
        })
        .collect();
    let statuses: Vec<u16> =
        futures_util::stream::iter(plan.iter().map(|(voter, comment, value)| {
            let (app, users) = (&app, &users);
            async move {
                vote(app, &users[*voter], *comment, *value)
                    .await
                    .status()
                    .as_u16()
            }
        }))
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        statuses.iter().all(|s| *s == 200),
        "no deadlock or conflict reaches the client"
    );
    assert_counters_match_votes(&app).await;
}

async fn tree_ids(app: &TestApp, slug: &str, sort: &str) -> Vec<i64> {
    let query = if sort.is_empty() {
        String::new()
    } else {
        format!("?sort={sort}")
    };
    ids(&app
        .get_json(&format!("/api/v1/articles/{slug}/comments{query}"))
        .await["items"])
}

#[tokio::test]
async fn each_sort_orders_by_its_rank_at_every_level() {
    let (app, slug, author) = setup().await;
    let voters = register_many(&app, "s", 10).await;
    // Votes per comment: (ups, downs).
    let shapes = [(1, 0), (10, 0), (6, 4), (3, 3), (0, 2)];
    let root = app.comment_id(&author, &slug, "root", None).await;
    let mut tops = Vec::new();
    let mut replies = Vec::new();
    for (i, (up, down)) in shapes.iter().enumerate() {
        app.clock.advance(chrono::Duration::seconds(10));
        let top = app
            .comment_id(&author, &slug, &format!("top {i}"), None)
            .await;
        let reply = app
            .comment_id(&author, &slug, &format!("reply {i}"), Some(root))
            .await;
        for (k, voter) in voters.iter().enumerate().take(up + down) {
            let value = if k < *up { 1 } else { -1 };
            for id in [top, reply] {
                json_with_status(vote(&app, voter, id, value).await, 200).await;
            }
        }
        tops.push(top);
        replies.push(reply);
    }
    let [one_up, ten_up, six_four, three_three, two_down] = [0, 1, 2, 3, 4].map(|i| tops[i]);
    let top = tree_ids(&app, &slug, "top").await;
    assert_eq!(top[..3], [ten_up, six_four, one_up]);
    assert_eq!(*top.last().expect("last"), two_down);
    let best = tree_ids(&app, &slug, "best").await;
    assert_eq!(
        best[..4],
        [ten_up, six_four, one_up, three_three],
        "Wilson: 0.859, 0.401, 0.378, 0.268"
    );
    let controversial = tree_ids(&app, &slug, "controversial").await;
    assert_eq!(
        controversial[..2],
        [three_three, six_four],
        "6^(3/3) = 6 > 10^(4/6) = 4.64"
    );
    assert_eq!(tree_ids(&app, &slug, "").await, best, "best is the default");

    // The same order one level down, through the tree and /replies.
    let tree = app
        .get_json(&format!(
            "/api/v1/articles/{slug}/comments?sort=top&replies_limit=10"
        ))
        .await;
    let root_node = tree["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|c| c["id"] == root)
        .expect("root");
    assert_eq!(
        ids(&root_node["replies"])[..3],
        [replies[1], replies[2], replies[0]]
    );
    let below = app
        .get_json(&format!("/api/v1/comments/{root}/replies?sort=best"))
        .await;
    assert_eq!(
        ids(&below["items"])[..3],
        [replies[1], replies[2], replies[0]]
    );
    let flat = app
        .get_json(&format!(
            "/api/v1/articles/{slug}/comments/flat?sort=top&limit=2"
        ))
        .await;
    // Both have score 10; the tie goes to the higher id (the reply was posted second).
    assert_eq!(ids(&flat["items"]), vec![replies[1], ten_up]);
}

#[tokio::test]
async fn sorted_pages_never_repeat_or_skip_on_ties() {
    let (app, slug, author) = setup().await;
    let voter = app.register("tie_voter").await;
    let mut all = Vec::new();
    for i in 0..9 {
        let id = app.comment_id(&author, &slug, &format!("c{i}"), None).await;
        if i % 3 == 0 {
            json_with_status(vote(&app, &voter, id, 1).await, 200).await;
        }
        all.push(id);
    }
    for sort in ["top", "best", "controversial", "hot"] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(c) => format!("sort={sort}&limit=2&cursor={c}"),
                None => format!("sort={sort}&limit=2"),
            };
            let page = app
                .get_json(&format!("/api/v1/articles/{slug}/comments?{query}"))
                .await;
            seen.extend(ids(&page["items"]));
            match page["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        let mut sorted = seen.clone();
        sorted.sort_unstable();
        let mut expected = all.clone();
        expected.sort_unstable();
        assert_eq!(sorted, expected, "{sort}: every comment exactly once");
    }
}

#[tokio::test]
async fn hot_ranks_decay_with_the_service_clock() {
    let (app, slug, author) = setup().await;
    let voters = register_many(&app, "h", 3).await;
    let old = app.comment_id(&author, &slug, "old but loved", None).await;
    for voter in &voters {
        json_with_status(vote(&app, voter, old, 1).await, 200).await;
    }
    app.clock.advance(chrono::Duration::hours(30));
    let author = app.login(&author).await;
    let fresh = app.comment_id(&author, &slug, "fresh", None).await;
    let mut conn = app.db().await;
    hindsight::comments::votes::refresh_hot(&mut conn, app.clock.now())
        .await
        .expect("refresh");
    assert_eq!(
        tree_ids(&app, &slug, "hot").await,
        vec![fresh, old],
        "age outweighs three votes"
    );
    assert_eq!(tree_ids(&app, &slug, "top").await, vec![old, fresh]);
}

#[tokio::test]
async fn the_sql_rank_functions_equal_the_rust_formulas() {
    use hindsight::comments::ranking::{controversy, hot, wilson_lower_bound};
    let app = TestApp::spawn().await;
    #[derive(diesel::QueryableByName)]
    struct Ranks {
        #[diesel(sql_type = diesel::sql_types::Double)]
        best: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        controversial: f64,
        #[diesel(sql_type = diesel::sql_types::Double)]
        hot: f64,
    }
    let mut conn = app.db().await;
    let created = test_epoch();
    for (up, down, hours) in [
        (0, 0, 0),
        (1, 0, 1),
        (0, 3, 5),
        (6, 4, 12),
        (100, 3, 48),
        (7, 7, 200),
    ] {
        let now = created + chrono::Duration::hours(hours);
        let ranks: Ranks = diesel_async::RunQueryDsl::get_result(
            diesel::sql_query(
                "SELECT r.wilson($1, $2) AS best, r.controversy($1, $2) AS controversial, \
                 r.hot($1 - $2, $3, $4) AS hot",
            )
            .bind::<diesel::sql_types::Integer, _>(up)
            .bind::<diesel::sql_types::Integer, _>(down)
            .bind::<diesel::sql_types::Timestamptz, _>(created)
            .bind::<diesel::sql_types::Timestamptz, _>(now),
            &mut conn,
        )
        .await
        .expect("query");
        let (up, down) = (i64::from(up), i64::from(down));
        assert!(
            (ranks.best - wilson_lower_bound(up, down)).abs() < 1e-12,
            "best {up}/{down}"
        );
        assert!(
            (ranks.controversial - controversy(up, down)).abs() < 1e-9,
            "controversial {up}/{down}"
        );
        assert!(
            (ranks.hot - hot(up - down, created, now)).abs() < 1e-12,
            "hot {up}/{down}"
        );
    }
}
