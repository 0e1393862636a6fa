//! The three search statements (`comments.sql`, `articles.sql`, `predictions.sql`): one
//! round trip each, ranks for the newest [`MAX_RANKED`] matches, snippets for the page only.
//! Unlike the other raw statements these are not cached, and they run after
//! [`plan_for_these_words`]: PostgreSQL then plans each search for its own words (the language
//! is a parameter, so the tsquery is a constant at planning), and whether a word is common or
//! rare decides between reading comments newest first through the primary key and reading the
//! GIN index; a generic plan (the pool's default, `force_generic_plan`) cannot know. Planning
//! costs about a millisecond; the wrong plan costs a common word 250 ms on 100,000 comments.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Float8, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::domain::{headline_options, PredictionStatus, SearchRequest, MAX_RANKED};

/// Makes the rest of the caller's transaction plan each statement for its values.
pub async fn plan_for_these_words(conn: &mut AsyncPgConnection) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(conn)
        .await
        .map(|_| ())
}

/// Where a page starts: after (rank, id) of the previous page's last hit.
pub type After = Option<(f64, i64)>;

/// A comment hit as the statement returns it.
#[derive(Debug, QueryableByName)]
pub struct CommentRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Rank.
    #[diesel(sql_type = Float8)]
    pub rank: f64,
    /// Written.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Article slug.
    #[diesel(sql_type = Text)]
    pub article_slug: String,
    /// Article title.
    #[diesel(sql_type = Text)]
    pub article_title: String,
    /// Author id.
    #[diesel(sql_type = BigInt)]
    pub author_id: i64,
    /// Author username.
    #[diesel(sql_type = Text)]
    pub author_username: String,
    /// Author display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub author_display_name: Option<String>,
    /// `ts_headline` with the match markers.
    #[diesel(sql_type = Text)]
    pub headline: String,
}

/// An article hit.
#[derive(Debug, QueryableByName)]
pub struct ArticleRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Rank.
    #[diesel(sql_type = Float8)]
    pub rank: f64,
    /// Slug.
    #[diesel(sql_type = Text)]
    pub slug: String,
    /// Title.
    #[diesel(sql_type = Text)]
    pub title: String,
    /// Summary.
    #[diesel(sql_type = Nullable<Text>)]
    pub summary: Option<String>,
    /// Published.
    #[diesel(sql_type = Timestamptz)]
    pub published_at: DateTime<Utc>,
    /// `ts_headline` with the match markers.
    #[diesel(sql_type = Text)]
    pub headline: String,
}

/// A prediction hit.
#[derive(Debug, QueryableByName)]
pub struct PredictionRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Rank.
    #[diesel(sql_type = Float8)]
    pub rank: f64,
    /// Its comment.
    #[diesel(sql_type = BigInt)]
    pub comment_id: i64,
    /// Claim.
    #[diesel(sql_type = Text)]
    pub claim: String,
    /// Deadline.
    #[diesel(sql_type = Timestamptz)]
    pub resolves_at: DateTime<Utc>,
    /// Outcome once resolved.
    #[diesel(sql_type = Nullable<Text>)]
    pub outcome: Option<String>,
    /// Forecasters.
    #[diesel(sql_type = Integer)]
    pub forecaster_count: i32,
    /// Community median.
    #[diesel(sql_type = Nullable<Double>)]
    pub community_probability: Option<f64>,
    /// Article slug.
    #[diesel(sql_type = Text)]
    pub article_slug: String,
    /// Article title.
    #[diesel(sql_type = Text)]
    pub article_title: String,
    /// Author id.
    #[diesel(sql_type = BigInt)]
    pub author_id: i64,
    /// Author username.
    #[diesel(sql_type = Text)]
    pub author_username: String,
    /// Author display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub author_display_name: Option<String>,
    /// `ts_headline` with the match markers.
    #[diesel(sql_type = Text)]
    pub headline: String,
}

/// `limit + 1` comment hits after `after`.
pub async fn comments(
    conn: &mut AsyncPgConnection,
    request: &SearchRequest,
    limit: i64,
    after: After,
) -> QueryResult<Vec<CommentRow>> {
    diesel::sql_query(include_str!("comments.sql"))
        .bind::<Text, _>(&request.query)
        .bind::<Nullable<Text>, _>(request.article.as_deref())
        .bind::<Nullable<Text>, _>(request.author.as_deref())
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Float8>, _>(after.map(|(rank, _)| rank))
        .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id))
        .bind::<Text, _>(headline_options())
        .bind::<BigInt, _>(MAX_RANKED)
        .bind::<Text, _>(&request.language)
        .load(conn)
        .await
}

/// `limit + 1` article hits after `after`, published by `now`.
pub async fn articles(
    conn: &mut AsyncPgConnection,
    request: &SearchRequest,
    limit: i64,
    after: After,
    now: DateTime<Utc>,
) -> QueryResult<Vec<ArticleRow>> {
    diesel::sql_query(include_str!("articles.sql"))
        .bind::<Text, _>(&request.query)
        .bind::<Nullable<Text>, _>(request.article.as_deref())
        .bind::<Nullable<Text>, _>(request.author.as_deref())
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Float8>, _>(after.map(|(rank, _)| rank))
        .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id))
        .bind::<Text, _>(headline_options())
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(MAX_RANKED)
        .bind::<Text, _>(&request.language)
        .load(conn)
        .await
}

/// `limit + 1` prediction hits after `after`.
pub async fn predictions(
    conn: &mut AsyncPgConnection,
    request: &SearchRequest,
    limit: i64,
    after: After,
) -> QueryResult<Vec<PredictionRow>> {
    diesel::sql_query(include_str!("predictions.sql"))
        .bind::<Text, _>(&request.query)
        .bind::<Nullable<Text>, _>(request.article.as_deref())
        .bind::<Nullable<Text>, _>(request.author.as_deref())
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Float8>, _>(after.map(|(rank, _)| rank))
        .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id))
        .bind::<Text, _>(headline_options())
        .bind::<Nullable<Text>, _>(request.status.map(PredictionStatus::as_str))
        .bind::<BigInt, _>(MAX_RANKED)
        .bind::<Text, _>(&request.language)
        .load(conn)
        .await
}
