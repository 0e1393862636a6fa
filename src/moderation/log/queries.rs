//! The moderation log's SQL: writing an entry, and reading a page (`page.sql`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use super::Entry;
use crate::db::schema::mod_actions;
use crate::ids::{CommentId, PredictionId, UserId};

/// Writes one log row, in the caller's transaction (the action's own).
#[tracing::instrument(level = "debug", skip_all, fields(action = %entry.action))]
pub async fn record(
    conn: &mut AsyncPgConnection,
    entry: Entry<'_>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(mod_actions::table)
        .values((
            mod_actions::moderator_id.eq(entry.moderator_id),
            mod_actions::action.eq(entry.action.as_str()),
            mod_actions::article_id.eq(entry.article_id),
            mod_actions::comment_id.eq(entry.comment_id),
            mod_actions::target_user_id.eq(entry.target_user_id),
            mod_actions::prediction_id.eq(entry.prediction_id),
            mod_actions::reason.eq(entry.reason),
            mod_actions::expires_at.eq(entry.expires_at),
            mod_actions::created_at.eq(now),
        ))
        .execute(conn)
        .await
        .map(|_| ())
}

/// One log row with the names it shows.
#[derive(Debug, QueryableByName)]
pub struct LogRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The action, as stored.
    #[diesel(sql_type = Text)]
    pub action: String,
    /// Who acted (None from the command line).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub moderator_id: Option<UserId>,
    /// Their username.
    #[diesel(sql_type = Nullable<Text>)]
    pub moderator_username: Option<String>,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub moderator_display_name: Option<String>,
    /// The article's slug.
    #[diesel(sql_type = Nullable<Text>)]
    pub article_slug: Option<String>,
    /// The article's title.
    #[diesel(sql_type = Nullable<Text>)]
    pub article_title: Option<String>,
    /// The comment acted on.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub comment_id: Option<CommentId>,
    /// The prediction acted on.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub prediction_id: Option<PredictionId>,
    /// The user acted against.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub target_id: Option<UserId>,
    /// Their username.
    #[diesel(sql_type = Nullable<Text>)]
    pub target_username: Option<String>,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub target_display_name: Option<String>,
    /// Why.
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    /// When a ban lapses.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// What a page of the log is filtered by.
#[derive(Debug, Default)]
pub struct LogFilter {
    /// Article slug.
    pub article: Option<String>,
    /// Target username (any case).
    pub user: Option<String>,
    /// Action.
    pub action: Option<super::Action>,
}

/// A page of the log, newest first: `limit + 1` rows after the keyset `after`.
#[tracing::instrument(level = "debug", skip_all, fields(limit = limit))]
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &LogFilter,
    limit: i64,
    after: Option<(DateTime<Utc>, i64)>,
) -> QueryResult<Vec<LogRow>> {
    diesel::sql_query(include_str!("page.sql"))
        .bind::<Nullable<Text>, _>(filter.article.as_deref())
        .bind::<Nullable<Text>, _>(filter.user.as_deref())
        .bind::<Nullable<Text>, _>(filter.action.map(super::Action::as_str))
        .bind::<BigInt, _>(limit + 1)
        .bind::<Nullable<Timestamptz>, _>(after.map(|(at, _)| at))
        .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id))
        .load(conn)
        .await
}
