//! A search: checks the request, runs the statement of its type, and makes the page.

use diesel_async::AsyncConnection;
use serde_json::Value;

use super::domain::{self, SearchType};
use super::error::SearchError;
use super::model::*;
use super::queries::{self, After};
use crate::accounts::model::PublicUser;
use crate::error::{ApiError, FieldErrors};
use crate::pagination::{self, Page};
use crate::startup::AppState;

/// The sort name cursors carry (there is one order: relevance).
const SORT: &str = "rank";

/// One page of hits for `query`.
#[tracing::instrument(skip_all)]
pub async fn search(state: &AppState, query: SearchQuery) -> Result<Page<SearchHit>, SearchError> {
    let mut errors = FieldErrors::new();
    let request = domain::parse(
        &mut errors,
        query.q.as_deref(),
        query.kind.as_deref(),
        query.article.as_deref(),
        query.author.as_deref(),
        query.status.as_deref(),
    );
    let list = request.as_ref().map_or("search", |r| r.kind.as_str());
    let limit = errors.check(pagination::bounded(
        query.limit,
        "limit",
        20,
        1,
        domain::MAX_LIMIT,
    ));
    let cursor = errors.check(
        pagination::decode_optional(query.cursor.as_deref(), list, SORT)
            .map_err(pagination::first_field),
    );
    let after: After = match cursor.flatten() {
        Some(cursor) => match cursor.key.as_f64() {
            Some(rank) if rank.is_finite() => Some((rank, cursor.id)),
            _ => {
                errors.push(crate::error::FieldError::new(
                    "cursor",
                    "invalid_cursor",
                    "not a cursor this service made",
                ));
                None
            }
        },
        None => None,
    };
    errors.finish().map_err(invalid)?;
    let (Some(mut request), Some(limit)) = (request, limit) else {
        return Err(SearchError::bug("validated search parameters missing"));
    };
    request.language = state.settings.search_language.clone();
    let mut conn = state.pool.get().await?;
    let cursor_of = |rank: f64, id: i64| pagination::encode(list, SORT, Value::from(rank), id);
    let now = state.clock.now();
    let page = conn
        .transaction(async |conn| {
            queries::plan_for_these_words(conn)
                .await
                .map_err(SearchError::at("planning the search"))?;
            Ok::<_, SearchError>(match request.kind {
                SearchType::Comments => {
                    let rows = queries::comments(conn, &request, limit, after)
                        .await
                        .map_err(SearchError::at("searching comments"))?;
                    let (rows, next) =
                        pagination::finish_page(rows, limit, |r| cursor_of(r.rank, r.id));
                    page(rows.into_iter().map(comment_hit).collect(), next)
                }
                SearchType::Articles => {
                    let rows = queries::articles(conn, &request, limit, after, now)
                        .await
                        .map_err(SearchError::at("searching articles"))?;
                    let (rows, next) =
                        pagination::finish_page(rows, limit, |r| cursor_of(r.rank, r.id));
                    page(rows.into_iter().map(article_hit).collect(), next)
                }
                SearchType::Predictions => {
                    let rows = queries::predictions(conn, &request, limit, after)
                        .await
                        .map_err(SearchError::at("searching predictions"))?;
                    let (rows, next) =
                        pagination::finish_page(rows, limit, |r| cursor_of(r.rank, r.id));
                    page(rows.into_iter().map(prediction_hit).collect(), next)
                }
            })
        })
        .await?;
    Ok(page)
}

fn page(items: Vec<SearchHit>, next_cursor: Option<String>) -> Page<SearchHit> {
    Page { items, next_cursor }
}

fn invalid(error: ApiError) -> SearchError {
    match error {
        ApiError::Validation(fields) => SearchError::Invalid(fields),
        other => SearchError::internal(anyhow::Error::new(other)),
    }
}

/// A hit's author as the wire shows people.
fn author(id: i64, username: String, display_name: Option<String>) -> PublicUser {
    PublicUser {
        id,
        username,
        display_name,
    }
}

fn comment_hit(row: queries::CommentRow) -> SearchHit {
    SearchHit::Comment(CommentHit {
        id: row.id,
        article: HitArticle {
            slug: row.article_slug,
            title: row.article_title,
        },
        author: author(row.author_id, row.author_username, row.author_display_name),
        created_at: row.created_at,
        snippet_html: domain::snippet_html(&row.headline),
        rank: row.rank,
    })
}

fn article_hit(row: queries::ArticleRow) -> SearchHit {
    SearchHit::Article(ArticleHit {
        id: row.id,
        slug: row.slug,
        title: row.title,
        summary: row.summary,
        published_at: row.published_at,
        snippet_html: domain::snippet_html(&row.headline),
        rank: row.rank,
    })
}

fn prediction_hit(row: queries::PredictionRow) -> SearchHit {
    SearchHit::Prediction(PredictionHit {
        id: row.id,
        comment_id: row.comment_id,
        article: HitArticle {
            slug: row.article_slug,
            title: row.article_title,
        },
        author: author(row.author_id, row.author_username, row.author_display_name),
        claim: row.claim,
        resolves_at: row.resolves_at,
        outcome: row.outcome,
        forecaster_count: row.forecaster_count,
        community_probability: row.community_probability,
        snippet_html: domain::snippet_html(&row.headline),
        rank: row.rank,
    })
}
