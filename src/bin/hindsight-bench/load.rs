//! `hindsight seed-load`: bulk comments with a realistic shape for benchmarks. About 30 % are
//! top-level, the rest reply to a random earlier comment (so early comments gather more
//! replies) down to depth 8. Ids are reserved from the sequence first, so whole batches go in
//! as single `INSERT … SELECT FROM unnest(…)` statements with every counter already computed.

use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{Array, BigInt, Integer, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use hindsight::articles::{markdown, queries as articles};
use hindsight::auth::password::Passwords;
use hindsight::config::Secret;

/// Deepest level a generated reply reaches (0 = top level).
pub const MAX_DEPTH: usize = 8;

const ROWS_PER_STATEMENT: usize = 5_000;

const WORDS: &[&str] = &[
    "summit",
    "Seoul",
    "Beijing",
    "tariffs",
    "chips",
    "exports",
    "alliance",
    "Tokyo",
    "Washington",
    "investment",
    "pledge",
    "tourism",
    "visa",
    "supply",
    "chain",
    "memory",
    "fabs",
    "licences",
    "trade",
    "talks",
    "signal",
    "hedging",
    "security",
    "markets",
    "won",
    "yuan",
    "deal",
    "timeline",
    "probably",
    "unlikely",
    "certainly",
    "doubt",
    "agree",
    "evidence",
    "source",
    "forecast",
];

/// One generated comment.
struct Planned {
    id: i64,
    parent: Option<usize>,
    depth: usize,
    author: usize,
    reply_count: i32,
    descendant_count: i32,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// What was loaded.
pub struct LoadOutcome {
    /// Comments inserted.
    pub comments: usize,
    /// Users created.
    pub users: usize,
}

/// Plans the shape: parents, depths and counters (all comments live).
fn plan(ids: &[i64], users: usize, rng: &mut StdRng) -> Vec<Planned> {
    let mut planned: Vec<Planned> = Vec::with_capacity(ids.len());
    for (i, id) in ids.iter().enumerate() {
        let parent = if i == 0 || rng.gen_bool(0.3) {
            None
        } else {
            let mut candidate = rng.gen_range(0..i);
            while planned[candidate].depth >= MAX_DEPTH {
                candidate = planned[candidate].parent.unwrap_or(candidate);
            }
            Some(candidate)
        };
        let depth = parent.map_or(0, |p| planned[p].depth + 1);
        planned.push(Planned {
            id: *id,
            parent,
            depth,
            author: rng.gen_range(0..users.max(1)),
            reply_count: 0,
            descendant_count: 0,
        });
        if let Some(p) = parent {
            planned[p].reply_count += 1;
            let mut ancestor = Some(p);
            while let Some(a) = ancestor {
                planned[a].descendant_count += 1;
                ancestor = planned[a].parent;
            }
        }
    }
    planned
}

fn sentence(rng: &mut StdRng) -> String {
    let n = rng.gen_range(6..30);
    let words: Vec<&str> = (0..n)
        .map(|_| WORDS[rng.gen_range(0..WORDS.len())])
        .collect();
    let mut text = words.join(" ");
    text.push('.');
    text
}

fn path_literal(planned: &[Planned], index: usize) -> String {
    let mut chain = Vec::new();
    let mut ancestor = planned[index].parent;
    while let Some(a) = ancestor {
        chain.push(planned[a].id);
        ancestor = planned[a].parent;
    }
    chain.reverse();
    let parts: Vec<String> = chain.iter().map(i64::to_string).collect();
    format!("{{{}}}", parts.join(","))
}

/// Creates `count` load-test users named `load_<seed>_<i>` (or finds them from an earlier run).
pub async fn create_users(
    conn: &mut AsyncPgConnection,
    count: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<i64>> {
    let hash = Passwords::new(1)
        .hash(&Secret::new("load-test-password-not-for-login"))
        .await
        .map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let names: Vec<String> = (0..count).map(|i| format!("load_{seed}_{i}")).collect();
    let emails: Vec<String> = names
        .iter()
        .map(|n| format!("{n}@load.hindsight.invalid"))
        .collect();
    let rows: Vec<Id> = diesel::sql_query(
        "INSERT INTO users (username, email, password_hash, bio, created_at) \
         SELECT n, e, $3, 'Load-test account created by hindsight seed-load.', $4 \
         FROM unnest($1::text[], $2::text[]) AS t(n, e) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind::<Array<Text>, _>(&names)
    .bind::<Array<Text>, _>(&emails)
    .bind::<Text, _>(&hash)
    .bind::<Timestamptz, _>(now - Duration::days(60))
    .load(conn)
    .await?;
    let mut ids: Vec<i64> = rows.into_iter().map(|r| r.id).collect();
    if ids.len() < count {
        // A previous run with the same seed made them already.
        let existing: Vec<Id> =
            diesel::sql_query("SELECT id FROM users WHERE username = ANY($1) ORDER BY id")
                .bind::<Array<Text>, _>(&names)
                .load(conn)
                .await?;
        ids = existing.into_iter().map(|r| r.id).collect();
    }
    Ok(ids)
}

/// Inserts `count` comments under the article `slug`, by `users` generated users.
pub async fn seed_load(
    conn: &mut AsyncPgConnection,
    slug: &str,
    count: usize,
    users: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<LoadOutcome> {
    let article_id = articles::find_live_id(conn, slug)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no article with slug {slug}"))?
        .id
        .get();
    let user_ids = create_users(conn, users.max(1), seed, now).await?;
    let reserved: Vec<Id> = diesel::sql_query(
        "SELECT nextval(pg_get_serial_sequence('comments', 'id')) AS id FROM generate_series(1, $1)",
    )
    .bind::<BigInt, _>(i64::try_from(count)?)
    .load(conn)
    .await?;
    let ids: Vec<i64> = reserved.into_iter().map(|r| r.id).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let planned = plan(&ids, user_ids.len(), &mut rng);
    let start = now - Duration::seconds(i64::try_from(count)?);
    conn.transaction(async |conn| {
        for chunk_start in (0..planned.len()).step_by(ROWS_PER_STATEMENT) {
            let chunk_end = (chunk_start + ROWS_PER_STATEMENT).min(planned.len());
            insert_chunk(
                conn,
                article_id,
                &planned,
                chunk_start..chunk_end,
                &user_ids,
                start,
                now,
                &mut rng,
            )
            .await?;
        }
        diesel::sql_query("UPDATE articles SET comment_count = comment_count + $2 WHERE id = $1")
            .bind::<BigInt, _>(article_id)
            .bind::<BigInt, _>(i64::try_from(count)?)
            .execute(conn)
            .await?;
        Ok::<_, anyhow::Error>(())
    })
    .await?;
    Ok(LoadOutcome {
        comments: count,
        users: user_ids.len(),
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "one batch's context; a struct would only rename it"
)]
async fn insert_chunk(
    conn: &mut AsyncPgConnection,
    article_id: i64,
    planned: &[Planned],
    range: std::ops::Range<usize>,
    user_ids: &[i64],
    start: DateTime<Utc>,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<()> {
    let mut ids = Vec::new();
    let mut parents: Vec<Option<i64>> = Vec::new();
    let mut paths = Vec::new();
    let mut depths = Vec::new();
    let mut authors = Vec::new();
    let mut bodies = Vec::new();
    let mut htmls = Vec::new();
    let mut times = Vec::new();
    let mut replies = Vec::new();
    let mut descendants = Vec::new();
    for i in range {
        let p = &planned[i];
        ids.push(p.id);
        parents.push(p.parent.map(|x| planned[x].id));
        paths.push(path_literal(planned, i));
        depths.push(i32::try_from(p.depth)?);
        authors.push(user_ids[p.author]);
        let body = sentence(rng);
        htmls.push(markdown::render(&body)?);
        bodies.push(body);
        times.push(start + Duration::seconds(i64::try_from(i)?));
        replies.push(p.reply_count);
        descendants.push(p.descendant_count);
    }
    diesel::sql_query(
        "INSERT INTO comments (id, article_id, parent_id, path, depth, author_id, body, body_html, \
                               created_at, reply_count, descendant_count, rank_hot) \
         OVERRIDING SYSTEM VALUE \
         SELECT id, $1, parent_id, path::bigint[], depth, author_id, body, body_html, created_at, \
                reply_count, descendant_count, r.hot(0, created_at, $12) \
         FROM unnest($2::bigint[], $3::bigint[], $4::text[], $5::int[], $6::bigint[], $7::text[], \
                     $8::text[], $9::timestamptz[], $10::int[], $11::int[]) \
              AS t(id, parent_id, path, depth, author_id, body, body_html, created_at, reply_count, descendant_count)",
    )
    .bind::<BigInt, _>(article_id)
    .bind::<Array<BigInt>, _>(&ids)
    .bind::<Array<diesel::sql_types::Nullable<BigInt>>, _>(&parents)
    .bind::<Array<Text>, _>(&paths)
    .bind::<Array<Integer>, _>(&depths)
    .bind::<Array<BigInt>, _>(&authors)
    .bind::<Array<Text>, _>(&bodies)
    .bind::<Array<Text>, _>(&htmls)
    .bind::<Array<Timestamptz>, _>(&times)
    .bind::<Array<Integer>, _>(&replies)
    .bind::<Array<Integer>, _>(&descendants)
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plan_has_the_promised_shape_and_consistent_counters() {
        let ids: Vec<i64> = (1..=10_000).collect();
        let planned = plan(&ids, 50, &mut StdRng::seed_from_u64(7));
        let top = planned.iter().filter(|p| p.parent.is_none()).count();
        assert!((2_700..3_300).contains(&top), "about 30 % top-level: {top}");
        assert!(planned.iter().all(|p| p.depth <= MAX_DEPTH));
        assert!(planned.iter().any(|p| p.depth == MAX_DEPTH));
        let replies: i32 = planned.iter().map(|p| p.reply_count).sum();
        assert_eq!(
            usize::try_from(replies).expect("positive"),
            planned.len() - top
        );
        let root_descendants: i32 = planned
            .iter()
            .filter(|p| p.parent.is_none())
            .map(|p| p.descendant_count)
            .sum();
        assert_eq!(
            usize::try_from(root_descendants).expect("positive"),
            planned.len() - top
        );
    }
}
