//! The prediction list (`list.sql`): filtered by status, article and author, in one of three
//! keyset orders. The statement text comes from a fixed set of fragments, so it is prepared
//! once per connection and variant.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

use crate::comments::model::CommentRow;
use crate::comments::queries::reads::comment_rows_sql;
use crate::db::cached;
use crate::ids::{PredictionId, UserId};
use crate::predictions::state::{PredictionSort, StatusFilter};

/// One prediction of the list with its comment and the prediction's author.
#[derive(QueryableByName)]
pub struct ListRow {
    /// The comment, as every comment read returns it (with the prediction's columns).
    #[diesel(embed)]
    pub comment: CommentRow,
    /// When the prediction was made (the `newest` order).
    #[diesel(sql_type = Timestamptz)]
    pub prediction_created_at: DateTime<Utc>,
    /// The prediction's author.
    #[diesel(sql_type = BigInt)]
    pub prediction_author_id: UserId,
    /// Their username.
    #[diesel(sql_type = Text)]
    pub prediction_author_username: String,
    /// Their display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub prediction_author_display_name: Option<String>,
}

/// The keyset position after which a page starts: the sort key of the last row seen (a time
/// for `newest` and `closing_soon`, a count for `most_forecasts`) and its prediction id.
pub struct ListAfter {
    /// The sort key as text, cast by the statement to its column's type.
    pub key: String,
    /// The prediction id (tie breaker).
    pub id: PredictionId,
}

/// What a list page asks for.
pub struct ListFilter<'a> {
    /// Only this status.
    pub status: Option<StatusFilter>,
    /// Only under this article.
    pub article: Option<&'a str>,
    /// Only by this user (any case), on visible comments.
    pub author: Option<&'a str>,
    /// The order.
    pub sort: PredictionSort,
    /// Page size; one more row is read as the look-ahead.
    pub limit: i64,
    /// Where the page starts; None for the first page.
    pub after: Option<ListAfter>,
    /// The reader, for their vote and forecast (None when anonymous).
    pub viewer: Option<UserId>,
    /// The time the status is judged at.
    pub now: DateTime<Utc>,
}

/// The ORDER BY and keyset fragments of a sort.
fn order_and_after(sort: PredictionSort) -> (&'static str, &'static str) {
    match sort {
        PredictionSort::ClosingSoon => (
            "p.resolves_at ASC, p.id ASC",
            "(p.resolves_at, p.id) > ($6::timestamptz, $7)",
        ),
        PredictionSort::Newest => (
            "p.created_at DESC, p.id DESC",
            "(p.created_at, p.id) < ($6::timestamptz, $7)",
        ),
        PredictionSort::MostForecasts => (
            "p.forecaster_count DESC, p.id DESC",
            "(p.forecaster_count, p.id) < ($6::integer, $7)",
        ),
    }
}

/// The WHERE fragment of a status filter.
fn status_condition(status: Option<StatusFilter>) -> &'static str {
    match status {
        None => "TRUE",
        Some(StatusFilter::Open) => "p.outcome IS NULL AND p.resolves_at > $1",
        Some(StatusFilter::Closed) => "p.outcome IS NULL AND p.resolves_at <= $1",
        Some(StatusFilter::Resolved) => "p.outcome IN ('yes', 'no')",
        Some(StatusFilter::Void) => "p.outcome = 'void'",
    }
}

/// The statement of one variant.
fn statement(filter: &ListFilter<'_>) -> String {
    let (order, after) = order_and_after(filter.sort);
    let keyset = if filter.after.is_some() {
        format!("AND {after}")
    } else {
        String::new()
    };
    let tail = include_str!("list.sql")
        .replace("{status}", status_condition(filter.status))
        .replace("{keyset}", &keyset)
        .replace("{order}", order);
    comment_rows_sql(
        ", p.created_at AS prediction_created_at, pu.id AS prediction_author_id, \
         pu.username AS prediction_author_username, \
         pu.display_name AS prediction_author_display_name",
        "JOIN users pu ON pu.id = p.author_id",
        &tail,
        5,
    )
}

/// A page of the list, with the look-ahead row when there is a next page.
#[tracing::instrument(skip_all, fields(sort = filter.sort.as_str(), limit = filter.limit))]
pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &ListFilter<'_>,
) -> diesel::QueryResult<Vec<ListRow>> {
    let mut query = diesel::sql_query(statement(filter))
        .into_boxed()
        .bind::<Timestamptz, _>(filter.now)
        .bind::<Nullable<Text>, _>(filter.article)
        .bind::<Nullable<Text>, _>(filter.author)
        .bind::<BigInt, _>(filter.limit + 1)
        .bind::<BigInt, _>(filter.viewer.map_or(0, UserId::get));
    if let Some(after) = &filter.after {
        query = query
            .bind::<Text, _>(after.key.clone())
            .bind::<BigInt, _>(after.id);
    }
    cached(query).load(conn).await
}
