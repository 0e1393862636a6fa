//! Prediction handlers: forecasting, resolving, reading one prediction, listing, track records.

use actix_web::{get, post, put, web};
use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel::QueryableByName;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::accounts::model::PublicUser;
use crate::auth::{AuthUser, MaybeUser, Moderator, Role};
use crate::comments::model::{ArticleRef, CommentView, ViewContext};
use crate::comments::queries::reads::find_comment;
use crate::db::cached;
use crate::error::{ApiError, FieldError, FieldErrors, Problem};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problems::*;
use crate::pagination::{self, Page};
use crate::predictions::model::*;
use crate::predictions::queries;
use crate::predictions::scoring::{calibration, parse_probability};
use crate::startup::AppState;
use crate::text::optional_text;

/// Registers every prediction route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(forecast)
        .service(resolve)
        .service(get_prediction)
        .service(list_predictions)
        .service(track_record)
        .configure(super::views::configure);
}

fn prediction_not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("prediction {id}"))
}

/// Put your probability on a prediction (the author too, to update theirs) while it is open.
/// Updating replaces your current forecast; the old one stays in the history.
#[utoipa::path(
    tag = "predictions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Prediction id")),
    request_body = ForecastRequest,
    responses(
        (status = 200, description = "The prediction after your forecast", body = PredictionView),
        (status = 409, description = "Past its deadline, resolved (`prediction-closed`), or its comment deleted or removed (`prediction-hidden`)", body = Problem, content_type = "application/problem+json"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[put("/predictions/{id}/forecast")]
pub async fn forecast(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<ForecastRequest>,
) -> Result<web::Json<PredictionView>, ApiError> {
    user.ensure_can_contribute()?;
    state
        .limiter
        .take(state.limiter.limits().votes, &format!("votes:{}", user.id))?;
    let body = body.into_inner()?;
    let percent = parse_probability(body.probability, "probability")
        .map_err(|e| ApiError::Validation(vec![e]))?;
    let id = *id;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let comment_id = conn
        .transaction(async |conn| {
            let prediction = queries::lock(conn, id)
                .await?
                .ok_or_else(|| prediction_not_found(id))?;
            if prediction.comment_state != "visible" {
                return Err(ApiError::conflict(
                    "prediction-hidden",
                    "the prediction's comment was deleted or removed",
                ));
            }
            if prediction.outcome.is_some() || now >= prediction.resolves_at {
                return Err(ApiError::conflict(
                    "prediction-closed",
                    "the prediction takes no more forecasts",
                ));
            }
            queries::record_forecast(conn, id, prediction.article_id, user.id, percent, now)
                .await?;
            state.metrics.count(crate::metrics::Event::Forecast);
            Ok(prediction.comment_id)
        })
        .await?;
    let ctx = ViewContext::of(Some(&user), now);
    let row = find_comment(&mut conn, comment_id, Some(user.id))
        .await?
        .ok_or_else(|| prediction_not_found(id))?;
    CommentView::from_row(row, &ctx)
        .prediction
        .map(web::Json)
        .ok_or_else(|| prediction_not_found(id))
}

fn check_evidence(url: Option<String>) -> Result<Option<String>, FieldError> {
    let Some(url) = url.filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let url = url.trim().to_owned();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && url.len() <= 2_000
        && !url.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(Some(url))
    } else {
        Err(FieldError::new(
            "evidence_url",
            "invalid_format",
            "an http or https URL of at most 2,000 characters",
        ))
    }
}

/// Resolve a prediction (moderators and admins, never its author). Allowed before the deadline
/// too, which closes forecasting at that moment. A resolved prediction can be re-resolved by an
/// admin only, with a note; its scores are recomputed.
#[utoipa::path(
    tag = "predictions",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Prediction id")),
    request_body = ResolutionRequest,
    responses(
        (status = 200, description = "The resolved prediction", body = PredictionView),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/predictions/{id}/resolution")]
pub async fn resolve(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<ResolutionRequest>,
) -> Result<web::Json<PredictionView>, ApiError> {
    let body = body.into_inner()?;
    let user = moderator.0;
    let mut errors = FieldErrors::new();
    let note = errors
        .check(optional_text(body.note, "note", 1_000))
        .flatten();
    let evidence_url = errors.check(check_evidence(body.evidence_url)).flatten();
    errors.finish()?;
    let id = *id;
    let mut conn = state.pool.get().await?;
    let comment_id = conn
        .transaction(async |conn| {
            let prediction = queries::lock(conn, id)
                .await?
                .ok_or_else(|| prediction_not_found(id))?;
            // The clock is read under the lock: every forecast committed before it is older.
            let now = state.clock.now();
            if prediction.author_id == user.id {
                return Err(ApiError::forbidden("nobody resolves their own prediction"));
            }
            let re_resolution = prediction.outcome.is_some();
            if re_resolution && user.role != Role::Admin {
                return Err(ApiError::forbidden(
                    "only admins re-resolve a resolved prediction",
                ));
            }
            if re_resolution && note.is_none() {
                return Err(ApiError::invalid(
                    "note",
                    "required",
                    "say why the prediction is re-resolved",
                ));
            }
            let resolution = queries::Resolution {
                outcome: body.outcome,
                note: note.as_deref(),
                evidence_url: evidence_url.as_deref(),
                resolver_id: user.id,
            };
            queries::apply_resolution(conn, &prediction, &resolution, now).await?;
            Ok(prediction.comment_id)
        })
        .await?;
    let ctx = ViewContext::of(Some(&user), state.clock.now());
    let row = find_comment(&mut conn, comment_id, Some(user.id))
        .await?
        .ok_or_else(|| prediction_not_found(id))?;
    CommentView::from_row(row, &ctx)
        .prediction
        .map(web::Json)
        .ok_or_else(|| prediction_not_found(id))
}

/// One prediction with its comment, article and the histogram of current forecasts.
#[utoipa::path(
    tag = "predictions",
    security((), ("bearer" = [])),
    params(("id" = i64, Path, description = "Prediction id")),
    responses(
        (status = 200, description = "The prediction", body = PredictionDetail),
        Unauthorized, NotFound, Unavailable
    )
)]
#[get("/predictions/{id}")]
pub async fn get_prediction(
    state: web::Data<AppState>,
    reader: MaybeUser,
    id: web::Path<i64>,
) -> Result<web::Json<PredictionDetail>, ApiError> {
    let id = *id;
    let mut conn = state.pool.get().await?;
    let comment_id: i64 = {
        use crate::db::schema::predictions;
        use diesel::{OptionalExtension, QueryDsl};
        predictions::table
            .find(id)
            .select(predictions::comment_id)
            .first(&mut conn)
            .await
            .optional()?
            .ok_or_else(|| prediction_not_found(id))?
    };
    let row = find_comment(&mut conn, comment_id, reader.id())
        .await?
        .ok_or_else(|| prediction_not_found(id))?;
    let article = ArticleRef {
        slug: row.article_slug.clone(),
        title: row.article_title.clone(),
    };
    let ctx = ViewContext::of(reader.0.as_ref(), state.clock.now());
    let mut comment = CommentView::from_row(row, &ctx);
    let prediction = comment
        .prediction
        .clone()
        .ok_or_else(|| prediction_not_found(id))?;
    comment.prediction = None;
    let histogram = queries::histogram(&mut conn, id).await?;
    Ok(web::Json(PredictionDetail {
        prediction,
        comment,
        article,
        histogram,
    }))
}

/// Order of the prediction list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PredictionSort {
    /// Earliest deadline first.
    ClosingSoon,
    /// Newest first.
    Newest,
    /// Most forecasters first.
    MostForecasts,
}

/// Status filter of the prediction list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    /// Taking forecasts.
    Open,
    /// Past the deadline, unresolved: the moderators' resolution queue.
    Closed,
    /// Resolved yes or no.
    Resolved,
    /// Resolved void.
    Void,
}

/// Query of `GET /predictions`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PredictionListQuery {
    /// Only predictions with this status.
    pub status: Option<StatusFilter>,
    /// Only predictions under this article.
    pub article: Option<String>,
    /// Only predictions by this user, on comments anyone can see as theirs (never on a deleted
    /// or removed comment, whose author is hidden).
    pub author: Option<String>,
    /// Order (default `newest`).
    pub sort: Option<PredictionSort>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

#[derive(QueryableByName)]
struct ListRow {
    #[diesel(embed)]
    comment: crate::comments::model::CommentRow,
    #[diesel(sql_type = Timestamptz)]
    prediction_created_at: DateTime<Utc>,
    #[diesel(sql_type = BigInt)]
    prediction_author_id: i64,
    #[diesel(sql_type = Text)]
    prediction_author_username: String,
    #[diesel(sql_type = Nullable<Text>)]
    prediction_author_display_name: Option<String>,
}

/// Predictions, filtered and ordered; `status=closed` is the resolution queue.
#[utoipa::path(
    tag = "predictions",
    security((), ("bearer" = [])),
    params(PredictionListQuery),
    responses(
        (status = 200, description = "A page of predictions", body = Page<PredictionSummary>),
        Unauthorized, Invalid, Unavailable
    )
)]
#[get("/predictions")]
pub async fn list_predictions(
    state: web::Data<AppState>,
    reader: MaybeUser,
    ApiQuery(query): ApiQuery<PredictionListQuery>,
) -> Result<web::Json<Page<PredictionSummary>>, ApiError> {
    let sort = query.sort.unwrap_or(PredictionSort::Newest);
    let sort_name = match sort {
        PredictionSort::ClosingSoon => "closing_soon",
        PredictionSort::Newest => "newest",
        PredictionSort::MostForecasts => "most_forecasts",
    };
    let list = format!(
        "predictions:{:?}:{}:{}",
        query.status,
        query.article.as_deref().unwrap_or(""),
        query.author.as_deref().unwrap_or("").to_lowercase()
    );
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        sort_name,
    )?;
    let now = state.clock.now();
    let (order, after) = match sort {
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
    };
    let status_filter = match query.status {
        None => "TRUE",
        Some(StatusFilter::Open) => "p.outcome IS NULL AND p.resolves_at > $1",
        Some(StatusFilter::Closed) => "p.outcome IS NULL AND p.resolves_at <= $1",
        Some(StatusFilter::Resolved) => "p.outcome IN ('yes', 'no')",
        Some(StatusFilter::Void) => "p.outcome = 'void'",
    };
    let keyset = if cursor.is_some() {
        format!("AND {after}")
    } else {
        String::new()
    };
    let tail = format!(
        "WHERE p.id IS NOT NULL AND a.deleted_at IS NULL AND ({status_filter}) \
           AND ($2::text IS NULL OR a.slug = $2) AND ($3::text IS NULL OR (lower(pu.username) = lower($3) AND c.state = 'visible')) \
           {keyset} \
         ORDER BY {order} LIMIT $4"
    );
    let sql = crate::comments::queries::reads::comment_rows_sql(
        ", p.created_at AS prediction_created_at, pu.id AS prediction_author_id, \
           pu.username AS prediction_author_username, pu.display_name AS prediction_author_display_name",
        "JOIN users pu ON pu.id = p.author_id",
        &tail,
        5,
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamptz, _>(now)
        .bind::<Nullable<Text>, _>(query.article.clone())
        .bind::<Nullable<Text>, _>(query.author.clone())
        .bind::<BigInt, _>(limit + 1)
        .bind::<BigInt, _>(reader.id().unwrap_or(0));
    if let Some(cursor) = &cursor {
        let key = match sort {
            PredictionSort::MostForecasts => cursor
                .key
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .map(|v| v.to_string()),
            _ => pagination::cursor_time(&cursor.key).map(|t| t.to_rfc3339()),
        }
        .ok_or_else(|| ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor"))?;
        q = q.bind::<Text, _>(key).bind::<BigInt, _>(cursor.id);
    }
    let mut conn = state.pool.get().await?;
    let mut rows: Vec<ListRow> = cached(q).load(&mut conn).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(0);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let ctx = ViewContext::of(reader.0.as_ref(), now);
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => {
            let pid = last.comment.prediction.prediction_id.unwrap_or(0);
            let key = match sort {
                PredictionSort::ClosingSoon => serde_json::Value::from(
                    last.comment
                        .prediction
                        .prediction_resolves_at
                        .map(|t| t.to_rfc3339())
                        .unwrap_or_default(),
                ),
                PredictionSort::Newest => {
                    serde_json::Value::from(last.prediction_created_at.to_rfc3339())
                }
                PredictionSort::MostForecasts => serde_json::Value::from(
                    last.comment.prediction.prediction_forecasters.unwrap_or(0),
                ),
            };
            Some(pagination::encode(&list, sort_name, key, pid))
        }
        _ => None,
    };
    let items = rows
        .into_iter()
        .filter_map(|row| {
            let article = ArticleRef {
                slug: row.comment.article_slug.clone(),
                title: row.comment.article_title.clone(),
            };
            let comment_id = row.comment.id;
            let author = PublicUser {
                id: row.prediction_author_id,
                username: row.prediction_author_username,
                display_name: row.prediction_author_display_name,
            };
            let view = CommentView::from_row(row.comment, &ctx);
            let author = view.author.is_some().then_some(author);
            view.prediction.map(|prediction| PredictionSummary {
                prediction,
                comment_id,
                article,
                author,
            })
        })
        .collect();
    Ok(web::Json(Page { items, next_cursor }))
}

/// A user's track record: scores and calibration, from stored totals.
#[utoipa::path(
    tag = "predictions",
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 200, description = "The track record", body = TrackRecord),
        NotFound, Unavailable
    )
)]
#[get("/users/{username}/track-record")]
pub async fn track_record(
    state: web::Data<AppState>,
    username: web::Path<String>,
) -> Result<web::Json<TrackRecord>, ApiError> {
    let mut conn = state.pool.get().await?;
    let user = crate::accounts::queries::find_by_username(&mut conn, &username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))?;
    let totals = queries::totals(&mut conn, user.id).await?;
    let buckets = queries::calibration_totals(&mut conn, user.id).await?;
    let (authored, came_true) = queries::authored(&mut conn, user.id).await?;
    let scored = totals.as_ref().map_or(0, |t| i64::from(t.scored_forecasts));
    let mean = |sum: f64| (scored > 0).then(|| sum / scored as f64);
    Ok(web::Json(TrackRecord {
        scored_forecasts: scored,
        predictions_authored: authored,
        predictions_came_true: came_true,
        mean_brier: totals.as_ref().and_then(|t| mean(t.brier_sum)),
        mean_relative_brier: totals.as_ref().and_then(|t| mean(t.relative_brier_sum)),
        calibration: calibration(&buckets),
    }))
}
