//! Report SQL. The reads behind `GET /reports` are `.sql` files in `reports/` (each a cached
//! prepared statement, and each one statement for a whole page of groups); the writes of
//! filing and resolving are Diesel statements.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Integer, Nullable, Text, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::db::cached;
use crate::db::schema::{comments, report_resolutions, reports};
use crate::ids::{ArticleId, CommentId, ReportId, UserId};
use crate::moderation::model::ReportAction;

/// One report with its reporter, as the groups of `GET /reports` list it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ReportRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: ReportId,
    /// The comment reported.
    #[diesel(sql_type = BigInt)]
    pub comment_id: CommentId,
    /// The resolution that closed it (None while open).
    #[diesel(sql_type = Nullable<BigInt>)]
    pub resolution_id: Option<i64>,
    /// Why.
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Who reported.
    #[diesel(sql_type = BigInt)]
    pub reporter_id: UserId,
    /// Their username.
    #[diesel(sql_type = Text)]
    pub reporter_username: String,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub reporter_display_name: Option<String>,
}

/// One open group of a page: the comment and its stored open-report count (the sort key).
#[derive(Debug, Clone, QueryableByName)]
pub struct OpenGroupRow {
    /// The reported comment.
    #[diesel(sql_type = BigInt)]
    pub comment_id: CommentId,
    /// Its open reports.
    #[diesel(sql_type = Integer)]
    pub report_count: i32,
}

/// One resolution with who made it, as the resolved groups list it.
#[derive(Debug, Clone, QueryableByName)]
pub struct ResolutionRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// The comment whose reports it closed.
    #[diesel(sql_type = BigInt)]
    pub comment_id: CommentId,
    /// Dismiss or remove.
    #[diesel(sql_type = Text)]
    pub action: ReportAction,
    /// Why.
    #[diesel(sql_type = Text)]
    pub reason: String,
    /// When.
    #[diesel(sql_type = Timestamptz)]
    pub resolved_at: DateTime<Utc>,
    /// Who resolved them.
    #[diesel(sql_type = BigInt)]
    pub resolver_id: UserId,
    /// Their username.
    #[diesel(sql_type = Text)]
    pub resolver_username: String,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub resolver_display_name: Option<String>,
}

/// A page of open groups (`fetch` rows: the page size plus the look-ahead row), after the
/// keyset (open report count, comment id) of the last group seen.
#[tracing::instrument(level = "debug", skip_all, fields(fetch = fetch))]
pub async fn open_groups(
    conn: &mut AsyncPgConnection,
    fetch: i64,
    after: Option<(i32, CommentId)>,
) -> QueryResult<Vec<OpenGroupRow>> {
    cached(
        diesel::sql_query(include_str!("reports/open_groups.sql"))
            .bind::<BigInt, _>(fetch)
            .bind::<Nullable<Integer>, _>(after.map(|(count, _)| count))
            .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id)),
    )
    .load(conn)
    .await
}

/// A page of resolutions, newest first (`fetch` rows), after the keyset (resolved_at, id).
#[tracing::instrument(level = "debug", skip_all, fields(fetch = fetch))]
pub async fn resolved_groups(
    conn: &mut AsyncPgConnection,
    fetch: i64,
    after: Option<(DateTime<Utc>, i64)>,
) -> QueryResult<Vec<ResolutionRow>> {
    cached(
        diesel::sql_query(include_str!("reports/resolved_groups.sql"))
            .bind::<BigInt, _>(fetch)
            .bind::<Nullable<Timestamptz>, _>(after.map(|(at, _)| at))
            .bind::<Nullable<BigInt>, _>(after.map(|(_, id)| id)),
    )
    .load(conn)
    .await
}

/// The open reports of these comments, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(comments = comment_ids.len()))]
pub async fn open_reports(
    conn: &mut AsyncPgConnection,
    comment_ids: &[CommentId],
) -> QueryResult<Vec<ReportRow>> {
    cached(
        diesel::sql_query(include_str!("reports/open_reports.sql"))
            .bind::<Array<BigInt>, _>(comment_ids),
    )
    .load(conn)
    .await
}

/// The reports these resolutions closed on these comments, oldest first.
#[tracing::instrument(level = "debug", skip_all, fields(resolutions = resolution_ids.len()))]
pub async fn resolved_reports(
    conn: &mut AsyncPgConnection,
    comment_ids: &[CommentId],
    resolution_ids: &[i64],
) -> QueryResult<Vec<ReportRow>> {
    cached(
        diesel::sql_query(include_str!("reports/resolved_reports.sql"))
            .bind::<Array<BigInt>, _>(comment_ids)
            .bind::<Array<BigInt>, _>(resolution_ids),
    )
    .load(conn)
    .await
}

/// How many reports on the comment are still open.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment_id.get()))]
pub async fn count_open(conn: &mut AsyncPgConnection, comment_id: CommentId) -> QueryResult<i64> {
    reports::table
        .filter(reports::comment_id.eq(comment_id))
        .filter(reports::resolution_id.is_null())
        .count()
        .get_result(conn)
        .await
}

/// A resolution to record.
#[derive(Debug, Insertable)]
#[diesel(table_name = report_resolutions)]
pub struct NewResolution<'a> {
    /// The comment whose open reports it closes.
    pub comment_id: CommentId,
    /// Its article.
    pub article_id: ArticleId,
    /// The moderator.
    pub resolved_by: UserId,
    /// Dismiss or remove.
    pub action: ReportAction,
    /// Why.
    pub reason: &'a str,
    /// When.
    pub resolved_at: DateTime<Utc>,
}

/// Records a resolution; returns its id.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = resolution.comment_id.get()))]
pub async fn insert_resolution(
    conn: &mut AsyncPgConnection,
    resolution: &NewResolution<'_>,
) -> QueryResult<i64> {
    diesel::insert_into(report_resolutions::table)
        .values(resolution)
        .returning(report_resolutions::id)
        .get_result(conn)
        .await
}

/// Closes the comment's open reports under the resolution and zeroes its open count; returns
/// their reporters (one open report per reporter), whom the resolution notifies.
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment_id.get()))]
pub async fn close_open_reports(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
    resolution_id: i64,
) -> QueryResult<Vec<UserId>> {
    let reporters = diesel::update(
        reports::table
            .filter(reports::comment_id.eq(comment_id))
            .filter(reports::resolution_id.is_null()),
    )
    .set(reports::resolution_id.eq(resolution_id))
    .returning(reports::reporter_id)
    .get_results(conn)
    .await?;
    diesel::update(comments::table.find(comment_id))
        .set(comments::open_report_count.eq(0))
        .execute(conn)
        .await?;
    Ok(reporters)
}

/// What `file_report.sql` found and did.
#[derive(Debug, QueryableByName)]
pub struct FiledRow {
    /// The comment's state; None when there is no such comment (or its article is deleted).
    #[diesel(sql_type = Nullable<Text>)]
    pub state: Option<String>,
    /// The new report; None when the comment is not visible.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub report_id: Option<i64>,
}

/// Files a report and counts it in one statement (see `file_report.sql`).
#[tracing::instrument(level = "debug", skip_all, fields(comment_id = comment_id.get()))]
pub async fn file_report(
    conn: &mut AsyncPgConnection,
    comment_id: CommentId,
    reporter_id: UserId,
    reason: &str,
    now: DateTime<Utc>,
) -> QueryResult<FiledRow> {
    cached(
        diesel::sql_query(include_str!("file_report.sql"))
            .bind::<BigInt, _>(comment_id)
            .bind::<BigInt, _>(reporter_id)
            .bind::<Text, _>(reason)
            .bind::<Timestamptz, _>(now),
    )
    .get_result(conn)
    .await
}
