//! Moderation handlers: removal, restore, lock, pin, ban, unban and the public log.

use actix_web::{delete, get, post, put, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use diesel_async::{AsyncConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::PublicUser;
use crate::articles::model::Article;
use crate::auth::{MaybeUser, Moderator};
use crate::comments::model::{ArticleRef, CommentView, ViewContext};
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::comments::thread::find_comment;
use crate::db::schema::{articles, comments as comments_table};
use crate::error::{ApiError, FieldErrors};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::problems::*;
use crate::moderation::queries::{self, ensure_can_act};
use crate::pagination::first_field;
use crate::pagination::{self, Page};
use crate::predictions::queries::{log_action, ModAction};
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
        .service(modlog)
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

pub(crate) fn reason(raw: &str) -> Result<String, ApiError> {
    required_text(raw, "reason", 1, 500, true).map_err(|e| ApiError::Validation(vec![e]))
}

fn comment_not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("comment {id}"))
}

pub(crate) async fn moderator_view(
    conn: &mut diesel_async::AsyncPgConnection,
    id: i64,
    moderator: &crate::auth::AuthUser,
    now: DateTime<Utc>,
) -> Result<CommentView, ApiError> {
    let row = find_comment(conn, id, Some(moderator.id))
        .await?
        .ok_or_else(|| comment_not_found(id))?;
    Ok(CommentView::from_row(
        row,
        &ViewContext::of(Some(moderator), now),
    ))
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
        log_action(
            conn,
            ModAction {
                moderator_id: Some(user.id),
                action: "remove_comment",
                article_id: Some(comment.article_id),
                comment_id: Some(id),
                target_user_id: Some(comment.author_id),
                reason: Some(&reason),
                ..ModAction::default()
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
        log_action(
            conn,
            ModAction {
                moderator_id: Some(user.id),
                action: "restore_comment",
                article_id: Some(comment.article_id),
                comment_id: Some(id),
                target_user_id: Some(comment.author_id),
                ..ModAction::default()
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
        let (id, _, _) = crate::articles::queries::find_live_id(conn, &slug)
            .await?
            .ok_or_else(|| ApiError::not_found(format!("article {slug}")))?;
        diesel::update(articles::table.find(id))
            .set((
                articles::locked.eq(body.locked),
                articles::lock_reason.eq(reason.as_deref().filter(|_| body.locked)),
            ))
            .execute(conn)
            .await?;
        log_action(
            conn,
            ModAction {
                moderator_id: Some(user.id),
                action: if body.locked {
                    "lock_article"
                } else {
                    "unlock_article"
                },
                article_id: Some(id),
                reason: reason.as_deref(),
                ..ModAction::default()
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    let (row, author) = crate::articles::queries::find_live(&mut conn, &slug)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("article {slug}")))?;
    Ok(web::Json(Article::new(
        row,
        crate::articles::queries::author_of(author),
    )))
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
        log_action(
            conn,
            ModAction {
                moderator_id: Some(user.id),
                action: if body.pinned {
                    "pin_comment"
                } else {
                    "unpin_comment"
                },
                article_id: Some(comment.article_id),
                comment_id: Some(id),
                target_user_id: Some(comment.author_id),
                ..ModAction::default()
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
        log_action(
            conn,
            ModAction {
                moderator_id: Some(user.id),
                action: "ban_user",
                target_user_id: Some(target.id),
                reason: Some(&reason),
                expires_at: body.expires_at,
                ..ModAction::default()
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
        log_action(
            conn,
            ModAction {
                moderator_id: Some(user.id),
                action: "unban_user",
                target_user_id: Some(target.id),
                ..ModAction::default()
            },
            now,
        )
        .await?;
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Query of `GET /modlog`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ModlogQuery {
    /// Only actions on this article (or its comments and predictions).
    pub article: Option<String>,
    /// Only actions against this user.
    pub user: Option<String>,
    /// Only this action (remove_comment, restore_comment, lock_article, unlock_article,
    /// pin_comment, unpin_comment, ban_user, unban_user, resolve_reports, change_role,
    /// resolve_prediction).
    pub action: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// One entry of the moderation log.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModlogEntry {
    /// Id.
    pub id: i64,
    /// What was done.
    pub action: String,
    /// Who did it: shown to moderators and admins only (null for readers, and for the CLI).
    pub moderator: Option<PublicUser>,
    /// The article acted on (or holding the comment or prediction).
    pub article: Option<ArticleRef>,
    /// The comment acted on.
    pub comment_id: Option<i64>,
    /// The prediction acted on.
    pub prediction_id: Option<i64>,
    /// The user acted against.
    pub user: Option<PublicUser>,
    /// Why.
    pub reason: Option<String>,
    /// For bans: when it lapses (null: permanent).
    pub expires_at: Option<DateTime<Utc>>,
    /// When.
    pub created_at: DateTime<Utc>,
}

const ACTIONS: &[&str] = &[
    "remove_comment",
    "restore_comment",
    "lock_article",
    "unlock_article",
    "pin_comment",
    "unpin_comment",
    "ban_user",
    "unban_user",
    "resolve_reports",
    "change_role",
    "resolve_prediction",
];

#[derive(QueryableByName)]
struct LogRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    action: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    moderator_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    moderator_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    moderator_display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    article_slug: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    article_title: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    comment_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    prediction_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    target_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    target_username: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    target_display_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    reason: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    expires_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

/// The public moderation log, newest first.
#[utoipa::path(
    tag = "moderation",
    security((), ("bearer" = [])),
    params(ModlogQuery),
    responses(
        (status = 200, description = "A page of the log", body = Page<ModlogEntry>),
        Unauthorized, Invalid, Unavailable
    )
)]
#[get("/modlog")]
pub async fn modlog(
    state: web::Data<AppState>,
    reader: MaybeUser,
    ApiQuery(query): ApiQuery<ModlogQuery>,
) -> Result<web::Json<Page<ModlogEntry>>, ApiError> {
    let list = format!(
        "modlog:{}:{}:{}",
        query.article.as_deref().unwrap_or(""),
        query.user.as_deref().unwrap_or("").to_lowercase(),
        query.action.as_deref().unwrap_or("")
    );
    let mut errors = FieldErrors::new();
    let limit = errors.check(pagination::bounded(query.limit, "limit", 20, 1, 100));
    if query
        .action
        .as_deref()
        .is_some_and(|a| !ACTIONS.contains(&a))
    {
        errors.push(crate::error::FieldError::new(
            "action",
            "invalid_value",
            format!("one of {}", ACTIONS.join(", ")),
        ));
    }
    let cursor = errors.check(
        pagination::decode_optional(query.cursor.as_deref(), &list, "new").map_err(first_field),
    );
    errors.finish()?;
    let (Some(limit), Some(cursor)) = (limit, cursor) else {
        return Err(ApiError::internal(anyhow::anyhow!(
            "validated fields missing"
        )));
    };
    let keyset = if cursor.is_some() {
        "AND (m.created_at, m.id) < ($5::timestamptz, $6)"
    } else {
        ""
    };
    let sql = format!(
        "SELECT m.id, m.action, m.moderator_id, mu.username AS moderator_username, \
                mu.display_name AS moderator_display_name, a.slug AS article_slug, a.title AS article_title, \
                m.comment_id, m.prediction_id, m.target_user_id AS target_id, tu.username AS target_username, \
                tu.display_name AS target_display_name, m.reason, m.expires_at, m.created_at \
         FROM mod_actions m \
         LEFT JOIN users mu ON mu.id = m.moderator_id \
         LEFT JOIN users tu ON tu.id = m.target_user_id \
         LEFT JOIN articles a ON a.id = m.article_id \
         WHERE ($1::text IS NULL OR a.slug = $1) \
           AND ($2::text IS NULL OR lower(tu.username) = lower($2)) \
           AND ($3::text IS NULL OR m.action = $3) {keyset} \
         ORDER BY m.created_at DESC, m.id DESC LIMIT $4"
    );
    let mut q = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Nullable<Text>, _>(query.article.clone())
        .bind::<Nullable<Text>, _>(query.user.clone())
        .bind::<Nullable<Text>, _>(query.action.clone())
        .bind::<BigInt, _>(limit + 1);
    if let Some(cursor) = &cursor {
        let at = pagination::cursor_time(&cursor.key)
            .ok_or_else(|| ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor"))?;
        q = q
            .bind::<Text, _>(at.to_rfc3339())
            .bind::<BigInt, _>(cursor.id);
    }
    let mut conn = state.pool.get().await?;
    let mut rows: Vec<LogRow> = q.load(&mut conn).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(0);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match (more, rows.last()) {
        (true, Some(last)) => Some(pagination::encode(
            &list,
            "new",
            serde_json::Value::from(
                last.created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            ),
            last.id,
        )),
        _ => None,
    };
    let show_moderators = reader.0.as_ref().is_some_and(|u| u.role.is_moderator());
    let items = rows
        .into_iter()
        .map(|row| ModlogEntry {
            id: row.id,
            action: row.action,
            moderator: match (show_moderators, row.moderator_id, row.moderator_username) {
                (true, Some(id), Some(username)) => Some(PublicUser {
                    id,
                    username,
                    display_name: row.moderator_display_name,
                }),
                _ => None,
            },
            article: row
                .article_slug
                .zip(row.article_title)
                .map(|(slug, title)| ArticleRef { slug, title }),
            comment_id: row.comment_id,
            prediction_id: row.prediction_id,
            user: row
                .target_id
                .zip(row.target_username)
                .map(|(id, username)| PublicUser {
                    id,
                    username,
                    display_name: row.target_display_name,
                }),
            reason: row.reason,
            expires_at: row.expires_at,
            created_at: row.created_at,
        })
        .collect();
    Ok(web::Json(Page { items, next_cursor }))
}
