//! `hindsight seed-predictions`: load data for the prediction views benchmark. Users,
//! predictions on five tagged articles, forecasts, resolutions and scores are written with
//! set-based SQL (the same Brier and median formulas as a live resolution, applied to all
//! predictions at once), plus one open prediction with 1,000 forecasts for timing a live
//! resolution.

use chrono::{DateTime, Utc};
use diesel::sql_types::{Array, BigInt, SmallInt, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use hindsight::articles::model::ArticleInput;
use hindsight::articles::queries as articles;
use hindsight::ids::UserId;

const TAGS: &[&str] = &["korea", "china", "japan", "trade", "security"];

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// What was seeded.
pub struct ForecastLoad {
    /// Scored forecasts written.
    pub forecasts: usize,
    /// The open prediction with 1,000 forecasts.
    pub open_prediction: i64,
}

async fn ensure_articles(
    conn: &mut AsyncPgConnection,
    author: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<i64>> {
    let mut ids = Vec::new();
    for tag in TAGS {
        let slug = format!("forecasts-{tag}");
        let existing = articles::find_live_id(conn, &slug).await?;
        let id = match existing {
            Some(article) => article.id.get(),
            None => {
                let input = ArticleInput {
                    title: format!("Forecasting {tag}"),
                    slug: Some(slug.clone()),
                    summary: None,
                    body: "Benchmark article.".to_owned(),
                    body_html: hindsight::articles::markdown::render_article("Benchmark article.")?,
                    tags: vec![(*tag).to_owned()],
                    published_at: None,
                };
                articles::insert(conn, &input, &slug, UserId(author), now)
                    .await?
                    .id
                    .get()
            }
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Inserts predictions (one comment each) and returns their ids.
async fn insert_predictions(
    conn: &mut AsyncPgConnection,
    article_ids: &[i64],
    authors: &[i64],
    count: usize,
    resolved: bool,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<Vec<i64>> {
    let mut article_col = Vec::with_capacity(count);
    let mut author_col = Vec::with_capacity(count);
    let mut outcome_col: Vec<Option<String>> = Vec::with_capacity(count);
    for _ in 0..count {
        article_col.push(article_ids[rng.gen_range(0..article_ids.len())]);
        author_col.push(authors[rng.gen_range(0..authors.len())]);
        outcome_col.push(resolved.then(|| if rng.gen_bool(0.4) { "yes" } else { "no" }.to_owned()));
    }
    let rows: Vec<Id> = diesel::sql_query(
        "WITH input AS ( \
            SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[]) WITH ORDINALITY AS t(article_id, author_id, outcome, n) \
         ), c AS ( \
            INSERT INTO comments (article_id, author_id, path, depth, body, body_html, created_at) \
            SELECT article_id, author_id, '{}', 0, 'Forecast ' || n, '<p>Forecast ' || n || '</p>', $4 - interval '60 days' \
            FROM input ORDER BY n RETURNING id, article_id, author_id \
         ), numbered AS (SELECT c.*, row_number() OVER (ORDER BY c.id) AS n FROM c) \
         INSERT INTO predictions (comment_id, article_id, author_id, claim, resolves_at, created_at, \
                                  outcome, closed_at, resolved_at) \
         SELECT numbered.id, numbered.article_id, numbered.author_id, 'Benchmark claim number ' || numbered.n, \
                $4 + interval '30 days', $4 - interval '60 days', input.outcome, \
                CASE WHEN input.outcome IS NULL THEN NULL ELSE $4 END, \
                CASE WHEN input.outcome IS NULL THEN NULL ELSE $4 END \
         FROM numbered JOIN input USING (n) RETURNING id",
    )
    .bind::<Array<BigInt>, _>(&article_col)
    .bind::<Array<BigInt>, _>(&author_col)
    .bind::<Array<diesel::sql_types::Nullable<Text>>, _>(&outcome_col)
    .bind::<Timestamptz, _>(now)
    .load(conn)
    .await?;
    diesel::sql_query("UPDATE articles a SET comment_count = (SELECT count(*) FROM comments c WHERE c.article_id = a.id AND c.state = 'visible') WHERE a.id = ANY($1)")
        .bind::<Array<BigInt>, _>(article_ids)
        .execute(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}

/// Inserts forecasts: `per_prediction` distinct users on each prediction.
async fn insert_forecasts(
    conn: &mut AsyncPgConnection,
    predictions: &[i64],
    users: &[i64],
    per_prediction: usize,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> anyhow::Result<usize> {
    let mut total = 0;
    for chunk in predictions.chunks(500) {
        let (mut p_col, mut u_col, mut pct_col) = (Vec::new(), Vec::new(), Vec::new());
        for prediction in chunk {
            for user in users.choose_multiple(rng, per_prediction) {
                p_col.push(*prediction);
                u_col.push(*user);
                pct_col.push(rng.gen_range(1_i16..=99));
            }
        }
        total += p_col.len();
        diesel::sql_query(
            "WITH f AS ( \
                INSERT INTO forecasts (prediction_id, user_id, article_id, percent, created_at, updated_at) \
                SELECT t.p, t.u, p.article_id, t.pct, $4 - interval '30 days', $4 - interval '30 days' \
                FROM unnest($1::bigint[], $2::bigint[], $3::smallint[]) AS t(p, u, pct) \
                JOIN predictions p ON p.id = t.p \
                ON CONFLICT DO NOTHING RETURNING prediction_id, user_id, article_id, percent, created_at) \
             INSERT INTO forecast_history (prediction_id, user_id, article_id, percent, community_probability, forecasters, made_at) \
             SELECT prediction_id, user_id, article_id, percent, percent / 100.0, 1, created_at FROM f",
        )
        .bind::<Array<BigInt>, _>(&p_col)
        .bind::<Array<BigInt>, _>(&u_col)
        .bind::<Array<SmallInt>, _>(&pct_col)
        .bind::<Timestamptz, _>(now)
        .execute(conn)
        .await?;
    }
    conn.batch_execute(
        "UPDATE predictions p SET forecaster_count = s.n, community_probability = s.median \
         FROM (SELECT prediction_id, count(*) AS n, \
                      percentile_cont(0.5) WITHIN GROUP (ORDER BY percent / 100.0) AS median \
               FROM forecasts GROUP BY prediction_id) s \
         WHERE s.prediction_id = p.id",
    )
    .await?;
    Ok(total)
}

/// Scores every resolved, unscored prediction at once and rebuilds the totals.
async fn score_all(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    conn.batch_execute(
        "INSERT INTO forecast_scores (prediction_id, user_id, article_id, percent, outcome_yes, brier, \
                                      community_brier, relative_brier, scored_at) \
         SELECT f.prediction_id, f.user_id, f.article_id, f.percent, p.outcome = 'yes', \
                (f.percent / 100.0 - o.v) ^ 2, (p.community_probability - o.v) ^ 2, \
                (f.percent / 100.0 - o.v) ^ 2 - (p.community_probability - o.v) ^ 2, p.resolved_at \
         FROM forecasts f JOIN predictions p ON p.id = f.prediction_id \
         CROSS JOIN LATERAL (SELECT CASE WHEN p.outcome = 'yes' THEN 1.0 ELSE 0.0 END AS v) o \
         WHERE p.outcome IN ('yes', 'no') \
           AND NOT EXISTS (SELECT 1 FROM forecast_scores s WHERE s.prediction_id = p.id); \
         TRUNCATE user_scores, user_article_scores, user_calibration; \
         INSERT INTO user_scores (user_id, scored_forecasts, brier_sum, relative_brier_sum) \
         SELECT user_id, count(*), sum(brier), sum(relative_brier) FROM forecast_scores GROUP BY user_id; \
         INSERT INTO user_article_scores (user_id, article_id, scored_forecasts, brier_sum, relative_brier_sum) \
         SELECT user_id, article_id, count(*), sum(brier), sum(relative_brier) FROM forecast_scores GROUP BY user_id, article_id; \
         INSERT INTO user_calibration (user_id, bucket, forecasts, probability_sum, came_true) \
         SELECT user_id, least(percent / 10, 9), count(*), sum(percent / 100.0), sum(outcome_yes::int) \
         FROM forecast_scores GROUP BY user_id, least(percent / 10, 9); \
         ANALYZE;",
    )
    .await?;
    Ok(())
}

/// Seeds users, resolved predictions with scored forecasts, and one open prediction with
/// 1,000 forecasts.
pub async fn seed_forecasts(
    conn: &mut AsyncPgConnection,
    users: usize,
    predictions: usize,
    forecasts: usize,
    seed: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<ForecastLoad> {
    let mut rng = StdRng::seed_from_u64(seed);
    let user_ids = super::load::create_users(conn, users.max(1001), seed, now).await?;
    let article_ids = ensure_articles(conn, user_ids[0], now).await?;
    let per_prediction = (forecasts / predictions.max(1)).clamp(1, user_ids.len());
    let resolved = insert_predictions(
        conn,
        &article_ids,
        &user_ids,
        predictions,
        true,
        now,
        &mut rng,
    )
    .await?;
    let written =
        insert_forecasts(conn, &resolved, &user_ids, per_prediction, now, &mut rng).await?;
    score_all(conn).await?;
    let open =
        insert_predictions(conn, &article_ids, &user_ids[..1], 1, false, now, &mut rng).await?;
    insert_forecasts(conn, &open, &user_ids[1..], 1000, now, &mut rng).await?;
    Ok(ForecastLoad {
        forecasts: written,
        open_prediction: open[0],
    })
}
