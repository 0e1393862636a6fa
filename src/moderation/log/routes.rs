//! `GET /api/v1/modlog`: the public moderation log.

use actix_web::{get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::queries::{self, LogFilter, LogRow};
use super::Action;
use crate::accounts::model::PublicUser;
use crate::auth::MaybeUser;
use crate::comments::model::ArticleRef;
use crate::error::{ApiError, FieldError, FieldErrors};
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::ids::{CommentId, PredictionId};
use crate::pagination::{self, Page};
use crate::startup::AppState;

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

impl ModlogEntry {
    /// The wire form of a row; the moderator's name only when `show_moderator`.
    fn from_row(row: LogRow, show_moderator: bool) -> Self {
        Self {
            id: row.id,
            action: row.action,
            moderator: match (show_moderator, row.moderator_id, row.moderator_username) {
                (true, Some(id), Some(username)) => Some(PublicUser {
                    id: id.get(),
                    username,
                    display_name: row.moderator_display_name,
                }),
                _ => None,
            },
            article: row
                .article_slug
                .zip(row.article_title)
                .map(|(slug, title)| ArticleRef { slug, title }),
            comment_id: row.comment_id.map(CommentId::get),
            prediction_id: row.prediction_id.map(PredictionId::get),
            user: row
                .target_id
                .zip(row.target_username)
                .map(|(id, username)| PublicUser {
                    id: id.get(),
                    username,
                    display_name: row.target_display_name,
                }),
            reason: row.reason,
            expires_at: row.expires_at,
            created_at: row.created_at,
        }
    }
}

/// The `action` filter, or the 422 entry listing the actions.
fn parse_action(raw: Option<&str>) -> Result<Option<Action>, FieldError> {
    raw.map(|text| {
        Action::parse(text).ok_or_else(|| {
            let all: Vec<&str> = Action::ALL.iter().map(|a| a.as_str()).collect();
            FieldError::new(
                "action",
                "invalid_value",
                format!("one of {}", all.join(", ")),
            )
        })
    })
    .transpose()
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
#[tracing::instrument(skip_all)]
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
    let action = errors.check(parse_action(query.action.as_deref()));
    let (limit, cursor) =
        pagination::page_request(errors, query.limit, query.cursor.as_deref(), &list, "new")?;
    let after = match &cursor {
        Some(cursor) => Some((
            pagination::cursor_time(&cursor.key).ok_or_else(|| {
                ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor")
            })?,
            cursor.id,
        )),
        None => None,
    };
    let filter = LogFilter {
        article: query.article,
        user: query.user,
        action: action.flatten(),
    };
    let mut conn = state.pool.get().await?;
    let rows = queries::page(&mut conn, &filter, limit, after).await?;
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        let at = last
            .created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        pagination::encode(&list, "new", serde_json::Value::from(at), last.id)
    });
    let show_moderators = reader.0.as_ref().is_some_and(|u| u.role.is_moderator());
    let items = rows
        .into_iter()
        .map(|row| ModlogEntry::from_row(row, show_moderators))
        .collect();
    Ok(web::Json(Page { items, next_cursor }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_action_filter_names_every_action_when_it_is_unknown() {
        assert_eq!(
            parse_action(Some("ban_user")).expect("known"),
            Some(Action::BanUser)
        );
        assert_eq!(parse_action(None).expect("absent"), None);
        let error = parse_action(Some("nuke")).expect_err("unknown");
        assert_eq!(error.field, "action");
        assert!(error.message.contains("resolve_prediction"));
    }
}
