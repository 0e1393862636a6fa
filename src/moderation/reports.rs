//! Reports: readers flag comments; moderators see them grouped by comment, most reported
//! first (an index scan on the stored open-report count), and resolve them all at once.

use actix_web::{get, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::PublicUser;
use crate::auth::{AuthUser, Moderator};
use crate::comments::model::CommentView;
use crate::comments::queries as comments;
use crate::db::schema::{comments as comments_table, report_resolutions, reports, users};
use crate::error::{violated_constraint, ApiError, FieldErrors};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problems::*;
use crate::moderation::domain::ensure_can_act;
use crate::moderation::domain::{moderator_view, reason};
use crate::moderation::log::{self, Action, Entry};
use crate::moderation::queries;
use crate::pagination::{self, Page};
use crate::startup::AppState;

/// `POST /comments/{id}/reports`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"reason": "Personal attack on another reader."}))]
pub struct ReportRequest {
    /// Why (1–500 characters).
    pub reason: String,
}

/// A report as filed (what the reporter gets back).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledReport {
    /// Id.
    pub id: i64,
    /// The comment reported.
    pub comment_id: i64,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// One report as moderators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// Id.
    pub id: i64,
    /// Who reported (moderators see it, to spot report abuse).
    pub reporter: PublicUser,
    /// Why.
    pub reason: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// How a group of reports was resolved.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportResolutionView {
    /// dismiss or remove.
    pub action: String,
    /// Why.
    pub reason: String,
    /// Who resolved them.
    pub resolved_by: PublicUser,
    /// When.
    pub resolved_at: DateTime<Utc>,
}

/// The reports on one comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportGroup {
    /// The comment, as moderators see it.
    pub comment: CommentView,
    /// Reports in this group.
    pub report_count: i64,
    /// The first report's time.
    pub first_reported_at: DateTime<Utc>,
    /// The last report's time.
    pub last_reported_at: DateTime<Utc>,
    /// The reports, oldest first.
    pub reports: Vec<ReportView>,
    /// How they were resolved; null while open.
    pub resolution: Option<ReportResolutionView>,
}

/// The moderator's decision on a comment's open reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportAction {
    /// Nothing wrong: close the reports.
    Dismiss,
    /// Remove the comment and close the reports.
    Remove,
}

/// `POST /reports/{comment_id}/resolution`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReportResolutionRequest {
    /// dismiss or remove.
    pub action: ReportAction,
    /// Why (1–500 characters); public in the log.
    pub reason: String,
}

/// Report a comment (one open report per user per comment). Filing writes no log row;
/// reporters never see each other, and authors never see who reported them.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = ReportRequest,
    responses(
        (status = 201, description = "Filed", body = FiledReport),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, TooMany, Unavailable
    )
)]
#[post("/comments/{id}/reports")]
pub async fn report_comment(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<i64>,
    body: ApiJson<ReportRequest>,
) -> Result<HttpResponse, ApiError> {
    user.ensure_can_contribute()?;
    state.limiter.take(
        state.limiter.limits().reports,
        &format!("reports:{}", user.id),
    )?;
    let body = body.into_inner()?;
    let reason = reason(&body.reason)?;
    let (id, now) = (*id, state.clock.now());
    let mut conn = state.pool.get().await?;
    let filed = conn
        .transaction(async |conn| {
            let comment = comments::find_for_write(conn, id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("comment {id}")))?;
            if comment.state != "visible" {
                return Err(ApiError::conflict(
                    "comment-not-live",
                    "the comment is already deleted or removed",
                ));
            }
            let report_id: i64 = diesel::insert_into(reports::table)
                .values((
                    reports::comment_id.eq(id),
                    reports::article_id.eq(comment.article_id),
                    reports::reporter_id.eq(user.id),
                    reports::reason.eq(&reason),
                    reports::created_at.eq(now),
                ))
                .returning(reports::id)
                .get_result(conn)
                .await
                .map_err(|e| match violated_constraint(&e) {
                    Some("reports_open_key") => ApiError::conflict(
                        "already-reported",
                        "you already have an open report on this comment",
                    ),
                    _ => e.into(),
                })?;
            diesel::update(comments_table::table.find(id))
                .set(comments_table::open_report_count.eq(comments_table::open_report_count + 1))
                .execute(conn)
                .await?;
            Ok(FiledReport {
                id: report_id,
                comment_id: id,
                reason: reason.clone(),
                created_at: now,
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(filed))
}

/// Open or resolved report groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportStatus {
    /// Awaiting a moderator, most reported first.
    Open,
    /// Resolved, newest first.
    Resolved,
}

/// Query of `GET /reports`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportListQuery {
    /// open (default) or resolved.
    pub status: Option<ReportStatus>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

type ReportRow = (
    i64,
    i64,
    Option<i64>,
    String,
    DateTime<Utc>,
    i64,
    String,
    Option<String>,
);

async fn load_reports(
    conn: &mut diesel_async::AsyncPgConnection,
    comment_ids: &[i64],
    resolution_ids: Option<&[i64]>,
) -> QueryResult<Vec<ReportRow>> {
    let mut query = reports::table
        .inner_join(users::table.on(users::id.eq(reports::reporter_id)))
        .filter(reports::comment_id.eq_any(comment_ids))
        .order(reports::id.asc())
        .select((
            reports::id,
            reports::comment_id,
            reports::resolution_id,
            reports::reason,
            reports::created_at,
            users::id,
            users::username,
            users::display_name,
        ))
        .into_boxed();
    query = match resolution_ids {
        Some(ids) => query.filter(reports::resolution_id.eq_any(ids.to_vec())),
        None => query.filter(reports::resolution_id.is_null()),
    };
    query.load(conn).await
}

fn group(
    comment: CommentView,
    rows: Vec<&ReportRow>,
    resolution: Option<ReportResolutionView>,
) -> Option<ReportGroup> {
    let first = rows.iter().map(|r| r.4).min()?;
    let last = rows.iter().map(|r| r.4).max()?;
    Some(ReportGroup {
        comment,
        report_count: i64::try_from(rows.len()).unwrap_or(0),
        first_reported_at: first,
        last_reported_at: last,
        reports: rows
            .into_iter()
            .map(|r| ReportView {
                id: r.0,
                reporter: PublicUser {
                    id: r.5,
                    username: r.6.clone(),
                    display_name: r.7.clone(),
                },
                reason: r.3.clone(),
                created_at: r.4,
            })
            .collect(),
        resolution,
    })
}

/// Report groups for moderators: open ones most reported first, or resolved ones newest first
/// with who resolved them, how and when.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(ReportListQuery),
    responses(
        (status = 200, description = "A page of report groups", body = Page<ReportGroup>),
        Unauthorized, Forbidden, Invalid, Unavailable
    )
)]
#[get("/reports")]
pub async fn list_reports(
    state: web::Data<AppState>,
    moderator: Moderator,
    ApiQuery(query): ApiQuery<ReportListQuery>,
) -> Result<web::Json<Page<ReportGroup>>, ApiError> {
    let status = query.status.unwrap_or(ReportStatus::Open);
    let list = format!("reports:{status:?}");
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        "default",
    )?;
    let (user, now) = (moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    let fetch = limit + 1;
    let mut items = Vec::new();
    let mut next_cursor = None;
    match status {
        ReportStatus::Open => {
            let mut q = comments_table::table
                .inner_join(crate::db::schema::articles::table)
                .filter(crate::db::schema::articles::deleted_at.is_null())
                .filter(comments_table::open_report_count.gt(0))
                .order((
                    comments_table::open_report_count.desc(),
                    comments_table::id.desc(),
                ))
                .select((comments_table::id, comments_table::open_report_count))
                .limit(fetch)
                .into_boxed();
            if let Some(c) = &cursor {
                let count = c
                    .key
                    .as_i64()
                    .and_then(|v| i32::try_from(v).ok())
                    .ok_or_else(|| {
                        ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor")
                    })?;
                q = q.filter(
                    comments_table::open_report_count.lt(count).or(
                        comments_table::open_report_count
                            .eq(count)
                            .and(comments_table::id.lt(c.id)),
                    ),
                );
            }
            let mut page: Vec<(i64, i32)> = q.load(&mut conn).await?;
            if page.len() > usize::try_from(limit).unwrap_or(0) {
                page.truncate(usize::try_from(limit).unwrap_or(0));
                next_cursor = page.last().map(|(id, count)| {
                    pagination::encode(&list, "default", serde_json::Value::from(*count), *id)
                });
            }
            let ids: Vec<i64> = page.iter().map(|p| p.0).collect();
            let rows = load_reports(&mut conn, &ids, None).await?;
            for id in ids {
                let Ok(view) = moderator_view(&mut conn, id, &user, now).await else {
                    continue;
                };
                if let Some(g) = group(view, rows.iter().filter(|r| r.1 == id).collect(), None) {
                    items.push(g);
                }
            }
        }
        ReportStatus::Resolved => {
            let mut q = report_resolutions::table
                .inner_join(users::table.on(users::id.eq(report_resolutions::resolved_by)))
                .order((
                    report_resolutions::resolved_at.desc(),
                    report_resolutions::id.desc(),
                ))
                .select((
                    report_resolutions::id,
                    report_resolutions::comment_id,
                    report_resolutions::action,
                    report_resolutions::reason,
                    report_resolutions::resolved_at,
                    users::id,
                    users::username,
                    users::display_name,
                ))
                .limit(fetch)
                .into_boxed();
            if let Some(c) = &cursor {
                let at = pagination::cursor_time(&c.key).ok_or_else(|| {
                    ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor")
                })?;
                q = q.filter(
                    report_resolutions::resolved_at
                        .lt(at)
                        .or(report_resolutions::resolved_at
                            .eq(at)
                            .and(report_resolutions::id.lt(c.id))),
                );
            }
            type ResolutionRow = (
                i64,
                i64,
                String,
                String,
                DateTime<Utc>,
                i64,
                String,
                Option<String>,
            );
            let mut page: Vec<ResolutionRow> = q.load(&mut conn).await?;
            if page.len() > usize::try_from(limit).unwrap_or(0) {
                page.truncate(usize::try_from(limit).unwrap_or(0));
                next_cursor = page.last().map(|r| {
                    pagination::encode(
                        &list,
                        "default",
                        serde_json::Value::from(
                            r.4.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                        ),
                        r.0,
                    )
                });
            }
            let resolution_ids: Vec<i64> = page.iter().map(|r| r.0).collect();
            let comment_ids: Vec<i64> = page.iter().map(|r| r.1).collect();
            let rows = load_reports(&mut conn, &comment_ids, Some(&resolution_ids)).await?;
            for r in page {
                // A resolution whose article was deleted since is left out of the list.
                let Ok(view) = moderator_view(&mut conn, r.1, &user, now).await else {
                    continue;
                };
                let resolution = ReportResolutionView {
                    action: r.2,
                    reason: r.3,
                    resolved_by: PublicUser {
                        id: r.5,
                        username: r.6,
                        display_name: r.7,
                    },
                    resolved_at: r.4,
                };
                if let Some(g) = group(
                    view,
                    rows.iter().filter(|x| x.2 == Some(r.0)).collect(),
                    Some(resolution),
                ) {
                    items.push(g);
                }
            }
        }
    }
    Ok(web::Json(Page { items, next_cursor }))
}

/// Resolve every open report on a comment: `dismiss` closes them, `remove` also removes the
/// comment (subject to the same limits as a removal).
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("comment_id" = i64, Path, description = "The reported comment")),
    request_body = ReportResolutionRequest,
    responses(
        (status = 200, description = "The resolved group", body = ReportGroup),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/reports/{comment_id}/resolution")]
pub async fn resolve_reports(
    state: web::Data<AppState>,
    moderator: Moderator,
    comment_id: web::Path<i64>,
    body: ApiJson<ReportResolutionRequest>,
) -> Result<web::Json<ReportGroup>, ApiError> {
    let body = body.into_inner()?;
    let reason = reason(&body.reason)?;
    let (id, user, now) = (*comment_id, moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    let resolution_id = conn
        .transaction(async |conn| {
            let comment = comments::find_for_write(conn, id)
                .await?
                .ok_or_else(|| ApiError::not_found(format!("comment {id}")))?;
            if body.action == ReportAction::Remove {
                let role = queries::role_of(conn, comment.author_id).await?;
                ensure_can_act(&user, comment.author_id, role, true)?;
            }
            comments::lock_chain(conn, &comment.chain()).await?;
            let open: i64 = reports::table
                .filter(reports::comment_id.eq(id))
                .filter(reports::resolution_id.is_null())
                .count()
                .get_result(conn)
                .await?;
            if open == 0 {
                return Err(ApiError::conflict(
                    "no-open-reports",
                    "the comment has no open reports",
                ));
            }
            if body.action == ReportAction::Remove {
                queries::remove_if_live(conn, &comment, &reason, now).await?;
            }
            let resolution_id: i64 = diesel::insert_into(report_resolutions::table)
                .values((
                    report_resolutions::comment_id.eq(id),
                    report_resolutions::article_id.eq(comment.article_id),
                    report_resolutions::resolved_by.eq(user.id),
                    report_resolutions::action.eq(if body.action == ReportAction::Remove {
                        "remove"
                    } else {
                        "dismiss"
                    }),
                    report_resolutions::reason.eq(&reason),
                    report_resolutions::resolved_at.eq(now),
                ))
                .returning(report_resolutions::id)
                .get_result(conn)
                .await?;
            diesel::update(
                reports::table
                    .filter(reports::comment_id.eq(id))
                    .filter(reports::resolution_id.is_null()),
            )
            .set(reports::resolution_id.eq(resolution_id))
            .execute(conn)
            .await?;
            diesel::update(comments_table::table.find(id))
                .set(comments_table::open_report_count.eq(0))
                .execute(conn)
                .await?;
            log::record(
                conn,
                Entry {
                    article_id: Some(comment.article_id),
                    comment_id: Some(id),
                    target_user_id: Some(comment.author_id),
                    reason: Some(&reason),
                    ..Entry::new(Action::ResolveReports, Some(user.id))
                },
                now,
            )
            .await?;
            Ok::<_, ApiError>(resolution_id)
        })
        .await?;
    let rows = load_reports(&mut conn, &[id], Some(&[resolution_id])).await?;
    let view = moderator_view(&mut conn, id, &user, now).await?;
    let resolution = ReportResolutionView {
        action: if body.action == ReportAction::Remove {
            "remove"
        } else {
            "dismiss"
        }
        .to_owned(),
        reason,
        resolved_by: PublicUser {
            id: user.id,
            username: user.username.clone(),
            display_name: None,
        },
        resolved_at: now,
    };
    group(view, rows.iter().collect(), Some(resolution))
        .map(web::Json)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("resolved reports vanished")))
}
