//! The leaderboard (`leaderboard.sql`): one statement for the three scopes, so one prepared
//! statement serves every leaderboard page.

use diesel::sql_types::{BigInt, Double, Integer, Nullable, Text};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::ids::{ArticleId, UserId};

/// One ranked forecaster.
#[derive(Debug, QueryableByName)]
pub struct BoardRow {
    /// The forecaster.
    #[diesel(sql_type = BigInt)]
    pub user_id: UserId,
    /// Their username (the last tie breaker).
    #[diesel(sql_type = Text)]
    pub username: String,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub display_name: Option<String>,
    /// Scored forecasts in scope.
    #[diesel(sql_type = BigInt)]
    pub scored: i64,
    /// Mean Brier in scope.
    #[diesel(sql_type = Double)]
    pub mean_brier: f64,
    /// Mean relative Brier in scope.
    #[diesel(sql_type = Double)]
    pub mean_relative: f64,
}

/// Where a leaderboard page starts: the (mean Brier, −scored, username) of the last row seen.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardAfter {
    /// Mean Brier.
    pub mean_brier: f64,
    /// Minus the scored forecasts (more forecasts rank first).
    pub neg_scored: i64,
    /// Username.
    pub username: String,
}

/// The scope of a leaderboard (at most one of article and tag).
#[derive(Debug, Clone, Copy)]
pub enum BoardScope<'a> {
    /// Every scored forecast.
    All,
    /// One article, by id.
    Article(ArticleId),
    /// Articles with this tag.
    Tag(&'a str),
}

/// A page of the leaderboard, with the look-ahead row when there is a next page.
#[tracing::instrument(skip_all, fields(?scope, min_scored, limit))]
pub async fn page(
    conn: &mut AsyncPgConnection,
    scope: BoardScope<'_>,
    min_scored: i32,
    limit: i64,
    after: Option<&BoardAfter>,
) -> diesel::QueryResult<Vec<BoardRow>> {
    let (article_id, tag) = match scope {
        BoardScope::All => (None, None),
        BoardScope::Article(id) => (Some(id), None),
        BoardScope::Tag(tag) => (None, Some(tag)),
    };
    cached(
        diesel::sql_query(include_str!("leaderboard.sql"))
            .bind::<Integer, _>(min_scored)
            .bind::<BigInt, _>(limit + 1)
            .bind::<Nullable<Text>, _>(tag)
            .bind::<Nullable<Double>, _>(after.map(|a| a.mean_brier))
            .bind::<Nullable<BigInt>, _>(after.map(|a| a.neg_scored))
            .bind::<Nullable<Text>, _>(after.map(|a| a.username.as_str()))
            .bind::<Nullable<BigInt>, _>(article_id),
    )
    .load(conn)
    .await
}
