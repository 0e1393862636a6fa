//! Moderation handlers: removal, restore, lock, pin, ban and unban (the log's own handler is
//! in `log/routes.rs`, the reports' in `reports.rs`).

use actix_web::{delete, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::articles::model::Article;
use crate::auth::Moderator;
use crate::comments::model::CommentView;
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::db::schema::{articles, comments as comments_table};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::ApiJson;
use crate::http::problems::*;
use crate::moderation::domain::{comment_not_found, ensure_can_act, moderator_view, reason};
use crate::moderation::log::{self, Action, Entry};
use crate::moderation::queries;
use crate::startup::AppState;
use crate::text::{optional_text, required_text};

/// Registers every moderation route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(remove_comment)
        .service(restore_comment)
        .service(lock_article)
        .service(pin_comment)
        .service(ban_user)
        .service(unban_user)
        .service(super::log::routes::modlog)
        .service(super::reports::report_comment)
        .service(super::reports::list_reports)
        .service(super::reports::resolve_reports);
}

/// `POST /comments/{id}/removal`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RemovalRequest {
    /// Why (1–500 characters); public in the log.
    pub reason: String,
}

/// `PUT /articles/{slug}/lock`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct LockRequest {
    /// true locks, false unlocks.
    pub locked: bool,
    /// Why (required when locking); public on the article and in the log.
    pub reason: Option<String>,
}

/// `PUT /comments/{id}/pin`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct PinRequest {
    /// true pins, false unpins.
    pub pinned: bool,
}

/// `POST /users/{username}/ban`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BanRequest {
    /// Why (1–500 characters); shown to the user.
    pub reason: String,
    /// When it lapses (in the future); absent for a permanent ban.
    pub expires_at: Option<DateTime<Utc>>,
    /// Also remove all their comments (one action in the log).
    #[serde(default)]
    pub remove_content: bool,
}

async fn comment_and_author_role(
    conn: &mut diesel_async::AsyncPgConnection,
    id: i64,
) -> Result<(CommentForWrite, crate::auth::Role), ApiError> {
    let comment = comments::find_for_write(conn, id)
        .await?
        .ok_or_else(|| comment_not_found(id))?;
    let role = queries::role_of(conn, comment.author_id).await?;
    Ok((comment, role))
}

/// Remove a comment: it stays as a placeholder for readers (its text, author and prediction
/// claim hidden), while moderators and its author still see the text and the reason. Replies
/// stay. Moderators may remove their own comments.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = RemovalRequest,
    responses(
        (status = 200, description = "The removed comment, as moderators see it", body = CommentView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/comments/{id}/removal")]
pub async fn remove_comment(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<RemovalRequest>,
) -> Result<web::Json<CommentView>, ApiError> {
    let body = body.into_inner()?;
    let reason = reason(&body.reason)?;
    let (id, user, now) = (*id, moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let (comment, role) = comment_and_author_role(conn, id).await?;
        ensure_can_act(&user, comment.author_id, role, true)?;
        if !queries::remove_if_live(conn, &comment, &reason, now).await? {
            return Err(ApiError::conflict(
                "comment-not-live",
                "the comment is already deleted or removed",
            ));
        }
        log::record(
            conn,
            Entry {
                article_id: Some(comment.article_id),
                comment_id: Some(id),
                target_user_id: Some(comment.author_id),
                reason: Some(&reason),
                ..Entry::new(Action::RemoveComment, Some(user.id))
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(web::Json(moderator_view(&mut conn, id, &user, now).await?))
}

/// Restore a removed comment.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    responses(
        (status = 200, description = "The restored comment", body = CommentView),
        Unauthorized, Forbidden, NotFound, Conflict, Unavailable
    )
)]
#[delete("/comments/{id}/removal")]
pub async fn restore_comment(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
) -> Result<web::Json<CommentView>, ApiError> {
    let (id, user, now) = (*id, moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let (comment, role) = comment_and_author_role(conn, id).await?;
        ensure_can_act(&user, comment.author_id, role, false)?;
        let current = comments::lock_chain(conn, &comment.chain()).await?;
        if current.as_deref() != Some("removed") {
            return Err(ApiError::conflict(
                "comment-not-removed",
                "the comment is not removed",
            ));
        }
        queries::restore(conn, &comment).await?;
        log::record(
            conn,
            Entry {
                article_id: Some(comment.article_id),
                comment_id: Some(id),
                target_user_id: Some(comment.author_id),
                ..Entry::new(Action::RestoreComment, Some(user.id))
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(web::Json(moderator_view(&mut conn, id, &user, now).await?))
}

/// Lock or unlock an article's thread. While locked, new comments, replies and edits are
/// refused (403, `/problems/thread-locked`); reading, votes and forecasts go on.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = LockRequest,
    responses(
        (status = 200, description = "The article", body = Article),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[put("/articles/{slug}/lock")]
pub async fn lock_article(
    state: web::Data<AppState>,
    moderator: Moderator,
    slug: web::Path<String>,
    body: ApiJson<LockRequest>,
) -> Result<web::Json<Article>, ApiError> {
    let body = body.into_inner()?;
    let reason = if body.locked {
        Some(reason(body.reason.as_deref().unwrap_or(""))?)
    } else {
        optional_text(body.reason.clone(), "reason", 500)
            .map_err(|e| ApiError::Validation(vec![e]))?
    };
    let (user, now) = (moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let id = crate::articles::queries::find_live_id(conn, &slug)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("article {slug}")))?
            .id;
        diesel::update(articles::table.find(id))
            .set((
                articles::locked.eq(body.locked),
                articles::lock_reason.eq(reason.as_deref().filter(|_| body.locked)),
            ))
            .execute(conn)
            .await?;
        log::record(
            conn,
            Entry {
                article_id: Some(id),
                reason: reason.as_deref(),
                ..Entry::new(Action::lock(body.locked), Some(user.id))
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    let found = crate::articles::queries::find_live(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("article {slug}")))?;
    Ok(web::Json(Article::from(found)))
}

/// Pin or unpin a top-level comment (at most 3 per article). Pinned comments come first on the
/// first page of the tree, earliest pinned first, in every sort.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "Comment id")),
    request_body = PinRequest,
    responses(
        (status = 200, description = "The comment", body = CommentView),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[put("/comments/{id}/pin")]
pub async fn pin_comment(
    state: web::Data<AppState>,
    moderator: Moderator,
    id: web::Path<i64>,
    body: ApiJson<PinRequest>,
) -> Result<web::Json<CommentView>, ApiError> {
    let body = body.into_inner()?;
    let (id, user, now) = (*id, moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let comment = comments::find_for_write(conn, id)
            .await?
            .ok_or_else(|| comment_not_found(id))?;
        if !comment.ancestors().is_empty() {
            return Err(ApiError::invalid(
                "pinned",
                "not_top_level",
                "only top-level comments can be pinned",
            ));
        }
        // Lock order: the comment, then the article; the article row serialises pins, so two
        // moderators cannot both pin a fourth.
        let current = comments::lock_chain(conn, &[id]).await?;
        articles::table
            .find(comment.article_id)
            .select(articles::id)
            .for_update()
            .first::<i64>(conn)
            .await?;
        if body.pinned {
            if current.as_deref() != Some("visible") {
                return Err(ApiError::conflict(
                    "comment-not-live",
                    "the comment is deleted or removed",
                ));
            }
            let pinned: i64 = comments_table::table
                .filter(comments_table::article_id.eq(comment.article_id))
                .filter(comments_table::pinned_at.is_not_null())
                .filter(comments_table::id.ne(id))
                .count()
                .get_result(conn)
                .await?;
            if pinned >= 3 {
                return Err(ApiError::conflict(
                    "too-many-pins",
                    "an article has at most 3 pinned comments",
                ));
            }
        }
        let already: Option<DateTime<Utc>> = comments_table::table
            .find(id)
            .select(comments_table::pinned_at)
            .first(conn)
            .await?;
        if body.pinned == already.is_some() {
            return Ok(());
        }
        diesel::update(comments_table::table.find(id))
            .set(comments_table::pinned_at.eq(body.pinned.then_some(now)))
            .execute(conn)
            .await?;
        log::record(
            conn,
            Entry {
                article_id: Some(comment.article_id),
                comment_id: Some(id),
                target_user_id: Some(comment.author_id),
                ..Entry::new(Action::pin(body.pinned), Some(user.id))
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(web::Json(moderator_view(&mut conn, id, &user, now).await?))
}

async fn target_user(
    conn: &mut diesel_async::AsyncPgConnection,
    username: &str,
) -> Result<crate::accounts::model::UserRow, ApiError> {
    crate::accounts::queries::find_by_username(conn, username)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("user {username}")))
}

/// Ban a user: from this moment every contributing write answers 403 with `ban_reason` and
/// `banned_until`, whatever tokens they hold; they can still read, log in, change their
/// password, log out, delete their comments and their account. `remove_content` also removes
/// all their comments. A ban with `expires_at` lapses by itself.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Username, any case")),
    request_body = BanRequest,
    responses(
        (status = 204, description = "Banned"),
        BadRequest, Unauthorized, Forbidden, NotFound, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/users/{username}/ban")]
pub async fn ban_user(
    state: web::Data<AppState>,
    moderator: Moderator,
    username: web::Path<String>,
    body: ApiJson<BanRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let (user, now) = (moderator.0, state.clock.now());
    let mut errors = FieldErrors::new();
    let reason = errors.check(required_text(&body.reason, "reason", 1, 500, true));
    if body.expires_at.is_some_and(|t| t <= now) {
        errors.push(crate::error::FieldError::new(
            "expires_at",
            "not_in_future",
            "must be in the future",
        ));
    }
    errors.finish()?;
    let reason = reason.unwrap_or_default();
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let target = target_user(conn, &username).await?;
        ensure_can_act(
            &user,
            target.id,
            crate::auth::role::stored_role(&target.role),
            false,
        )?;
        // Before any row lock: comments of the user being written commit first, and none
        // start until the ban is committed (they then see it).
        queries::lock_for_ban(conn, target.id).await?;
        if body.remove_content {
            queries::remove_all(conn, target.id, &reason, now).await?;
        }
        // The user row last: the lock order is comments, articles, users.
        queries::set_ban(conn, target.id, Some((now, body.expires_at, &reason))).await?;
        log::record(
            conn,
            Entry {
                target_user_id: Some(target.id),
                reason: Some(&reason),
                expires_at: body.expires_at,
                ..Entry::new(Action::BanUser, Some(user.id))
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lift a ban.
#[utoipa::path(
    tag = "moderation",
    security(("bearer" = [])),
    params(("username" = String, Path, description = "Username, any case")),
    responses(
        (status = 204, description = "Unbanned"),
        Unauthorized, Forbidden, NotFound, Conflict, Unavailable
    )
)]
#[delete("/users/{username}/ban")]
pub async fn unban_user(
    state: web::Data<AppState>,
    moderator: Moderator,
    username: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (user, now) = (moderator.0, state.clock.now());
    let mut conn = state.pool.get().await?;
    conn.transaction(async |conn| {
        let target = target_user(conn, &username).await?;
        ensure_can_act(
            &user,
            target.id,
            crate::auth::role::stored_role(&target.role),
            false,
        )?;
        if target.banned_at.is_none() {
            return Err(ApiError::conflict("not-banned", "the user is not banned"));
        }
        queries::set_ban(conn, target.id, None).await?;
        crate::accounts::queries::forget_retained_ban(conn, target.id).await?;
        log::record(
            conn,
            Entry {
                target_user_id: Some(target.id),
                ..Entry::new(Action::UnbanUser, Some(user.id))
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
