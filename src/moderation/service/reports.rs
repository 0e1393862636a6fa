//! Reports: readers flag comments; moderators see them grouped by comment, most reported
//! first (an index scan on the stored open-report count) or newest resolution first, and
//! resolve all of a comment's open reports at once. A page of groups takes three statements
//! whatever its size: the groups, their reports, and their comments.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde_json::Value;

use super::removal::removal_notice;
use super::{
    comment_and_author_role, find_comment_for_write, moderator_view, notify_and_append,
    remove_if_live,
};
use crate::accounts::model::PublicUser;
use crate::auth::AuthUser;
use crate::comments::model::{CommentRow, CommentView, ViewContext};
use crate::comments::queries::{self as comments, CommentForWrite};
use crate::db::DbPool;
use crate::error::violated_constraint;
use crate::events::{Event, EventKind};
use crate::ids::{CommentId, UserId};
use crate::moderation::domain::{self, ensure_can_act};
use crate::moderation::error::ModerationError;
use crate::moderation::log::{self, Action, Entry};
use crate::moderation::model::*;
use crate::moderation::queries::reports::{self as queries, NewResolution, ReportRow};
use crate::notifications::{NewNotification, NotificationKind};
use crate::pagination::{self, Cursor, Page};

/// Files a report on a live comment (one open report per user per comment). Filing writes no
/// log row; reporters never see each other, and authors never see who reported them.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), reporter_id = reporter_id.get()))]
pub async fn file_report(
    conn: &mut AsyncPgConnection,
    reporter_id: UserId,
    id: CommentId,
    raw_reason: &str,
    now: DateTime<Utc>,
) -> Result<FiledReport, ModerationError> {
    let reason = domain::reason(raw_reason)?;
    let filed = queries::file_report(conn, id, reporter_id, &reason, now)
        .await
        .map_err(|e| match violated_constraint(&e) {
            Some("reports_open_key") => ModerationError::AlreadyReported,
            _ => ModerationError::at("filing the report")(e),
        })?;
    let report_id = match (filed.state, filed.report_id) {
        (None, _) => return Err(ModerationError::CommentNotFound(id)),
        (Some(_), Some(report_id)) => report_id,
        (Some(_), None) => return Err(ModerationError::CommentNotLive),
    };
    Ok(FiledReport {
        id: report_id,
        comment_id: id.get(),
        reason,
        created_at: now,
    })
}

/// A page of report groups for moderators: open ones most reported first, or resolved ones
/// newest first with who resolved them, how and when. `cursor` was decoded for
/// `status.cursor_list()`; a key that does not fit the list is a 422.
#[tracing::instrument(skip_all, fields(status = ?status, moderator_id = moderator.id.get()))]
pub async fn list_reports(
    pool: &DbPool,
    moderator: &AuthUser,
    status: ReportStatus,
    limit: i64,
    cursor: Option<Cursor>,
    now: DateTime<Utc>,
) -> Result<Page<ReportGroup>, ModerationError> {
    let mut conn = pool.get().await?;
    let ctx = ViewContext::of(Some(moderator), now);
    match status {
        ReportStatus::Open => open_page(&mut conn, moderator, &ctx, limit, cursor).await,
        ReportStatus::Resolved => resolved_page(&mut conn, moderator, &ctx, limit, cursor).await,
    }
}

/// Open groups, most reported first.
async fn open_page(
    conn: &mut AsyncPgConnection,
    moderator: &AuthUser,
    ctx: &ViewContext,
    limit: i64,
    cursor: Option<Cursor>,
) -> Result<Page<ReportGroup>, ModerationError> {
    let after = cursor.map(|c| open_key(&c)).transpose()?;
    let rows = queries::open_groups(conn, limit + 1, after)
        .await
        .map_err(ModerationError::at("reading the open report groups"))?;
    let list = ReportStatus::Open.cursor_list();
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        let key = Value::from(last.report_count);
        pagination::encode(list, "default", key, last.comment_id.get())
    });
    let ids: Vec<CommentId> = rows.iter().map(|r| r.comment_id).collect();
    let reports = queries::open_reports(conn, &ids)
        .await
        .map_err(ModerationError::at("reading the open reports"))?;
    let comments = moderator_rows(conn, &ids, moderator).await?;
    let items = ids
        .iter()
        .filter_map(|id| {
            let view = CommentView::from_row(comments.get(id)?.clone(), ctx);
            group(view, reports.iter().filter(|r| r.comment_id == *id), None)
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// Resolved groups, newest resolution first. A resolution whose article was deleted since is
/// left out of the list.
async fn resolved_page(
    conn: &mut AsyncPgConnection,
    moderator: &AuthUser,
    ctx: &ViewContext,
    limit: i64,
    cursor: Option<Cursor>,
) -> Result<Page<ReportGroup>, ModerationError> {
    let after = cursor.map(|c| resolved_key(&c)).transpose()?;
    let rows = queries::resolved_groups(conn, limit + 1, after)
        .await
        .map_err(ModerationError::at("reading the resolved report groups"))?;
    let list = ReportStatus::Resolved.cursor_list();
    let (rows, next_cursor) = pagination::finish_page(rows, limit, |last| {
        let at = last
            .resolved_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        pagination::encode(list, "default", Value::from(at), last.id)
    });
    let resolution_ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let comment_ids: Vec<CommentId> = rows.iter().map(|r| r.comment_id).collect();
    let reports = queries::resolved_reports(conn, &comment_ids, &resolution_ids)
        .await
        .map_err(ModerationError::at("reading the resolved reports"))?;
    let comments = moderator_rows(conn, &comment_ids, moderator).await?;
    let items = rows
        .into_iter()
        .filter_map(|r| {
            let view = CommentView::from_row(comments.get(&r.comment_id)?.clone(), ctx);
            let resolution = ReportResolutionView {
                action: r.action,
                reason: r.reason,
                resolved_by: PublicUser {
                    id: r.resolver_id.get(),
                    username: r.resolver_username,
                    display_name: r.resolver_display_name,
                },
                resolved_at: r.resolved_at,
            };
            let closed = reports.iter().filter(|x| x.resolution_id == Some(r.id));
            group(view, closed, Some(resolution))
        })
        .collect();
    Ok(Page { items, next_cursor })
}

/// Resolves every open report on a comment: `dismiss` closes them, `remove` also removes the
/// comment (subject to the same limits as a removal). Logged; returns the resolved group.
#[tracing::instrument(skip_all, fields(comment_id = id.get(), action = ?action, moderator_id = moderator.id.get()))]
pub async fn resolve_reports(
    pool: &DbPool,
    moderator: &AuthUser,
    id: CommentId,
    action: ReportAction,
    raw_reason: &str,
    now: DateTime<Utc>,
) -> Result<ReportGroup, ModerationError> {
    let reason = domain::reason(raw_reason)?;
    let mut conn = pool.get().await?;
    let resolution_id = conn
        .transaction(async |conn| close_reports(conn, moderator, id, action, &reason, now).await)
        .await?;
    let reports = queries::resolved_reports(&mut conn, &[id], &[resolution_id])
        .await
        .map_err(ModerationError::at("reading the resolved reports"))?;
    let view = moderator_view(&mut conn, id, moderator, now).await?;
    let resolution = ReportResolutionView {
        action,
        reason,
        resolved_by: PublicUser {
            id: moderator.id.get(),
            username: moderator.username.clone(),
            display_name: None,
        },
        resolved_at: now,
    };
    group(view, reports.iter(), Some(resolution))
        .ok_or_else(|| ModerationError::internal(anyhow::anyhow!("resolved reports vanished")))
}

/// The transaction of a resolution: checks, the optional removal, the resolution row, the
/// reports it closes, and the log row. Returns the resolution's id.
async fn close_reports(
    conn: &mut AsyncPgConnection,
    moderator: &AuthUser,
    id: CommentId,
    action: ReportAction,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<i64, ModerationError> {
    let comment = if action == ReportAction::Remove {
        let (comment, role) = comment_and_author_role(conn, id).await?;
        ensure_can_act(moderator, comment.author_id, role, true)?;
        comment
    } else {
        find_comment_for_write(conn, id).await?
    };
    comments::lock_chain(conn, &comment.chain())
        .await
        .map_err(ModerationError::at("locking the comment chain"))?;
    let open = queries::count_open(conn, id)
        .await
        .map_err(ModerationError::at("counting the open reports"))?;
    if open == 0 {
        return Err(ModerationError::NoOpenReports);
    }
    let removed =
        action == ReportAction::Remove && remove_if_live(conn, &comment, reason, now).await?;
    let resolution = NewResolution {
        comment_id: id,
        article_id: comment.article_id,
        resolved_by: moderator.id,
        action,
        reason,
        resolved_at: now,
    };
    let resolution_id = queries::insert_resolution(conn, &resolution)
        .await
        .map_err(ModerationError::at("recording the resolution"))?;
    let reporters = queries::close_open_reports(conn, id, resolution_id)
        .await
        .map_err(ModerationError::at("closing the reports"))?;
    let entry = Entry {
        article_id: Some(comment.article_id),
        comment_id: Some(id),
        target_user_id: Some(comment.author_id),
        reason: Some(reason),
        ..Entry::new(Action::ResolveReports, Some(moderator.id))
    };
    log::record(conn, entry, now)
        .await
        .map_err(ModerationError::at("logging the resolution"))?;
    let mut events = Vec::new();
    let mut told = resolution_notices(&comment, moderator, action, &reporters);
    if removed {
        events.push(Event::comment(
            EventKind::CommentRemoved,
            comment.article_id,
            id,
        ));
        told.push(removal_notice(&comment, moderator.id, reason));
    }
    notify_and_append(conn, &told, events, now).await?;
    Ok(resolution_id)
}

/// The `report_resolved` notice to each reporter of a resolution: what was done (dismiss or
/// remove), not the moderator's reason, which was written for the author and the log.
fn resolution_notices(
    comment: &CommentForWrite,
    moderator: &AuthUser,
    action: ReportAction,
    reporters: &[UserId],
) -> Vec<NewNotification> {
    let data = serde_json::json!({ "action": action });
    reporters
        .iter()
        .map(|reporter| {
            NewNotification::new(
                NotificationKind::ReportResolved,
                *reporter,
                Some(moderator.id),
            )
            .on_comment(comment.article_id, comment.id)
            .with_data(data.clone())
        })
        .collect()
}

/// The comments of a page of groups as a moderator sees them, in one statement; comments
/// whose article was deleted are left out (their groups with them).
async fn moderator_rows(
    conn: &mut AsyncPgConnection,
    ids: &[CommentId],
    moderator: &AuthUser,
) -> Result<HashMap<CommentId, CommentRow>, ModerationError> {
    let ids: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    let rows = crate::comments::queries::reads::rows_by_ids(conn, &ids, Some(moderator.id))
        .await
        .map_err(ModerationError::at("reading the reported comments"))?;
    Ok(rows
        .into_iter()
        .filter(|row| row.article_live)
        .map(|row| (CommentId(row.id), row))
        .collect())
}

/// A group of reports on one comment; None when it has no reports (nothing to show).
fn group<'a>(
    comment: CommentView,
    rows: impl Iterator<Item = &'a ReportRow>,
    resolution: Option<ReportResolutionView>,
) -> Option<ReportGroup> {
    let reports: Vec<ReportView> = rows
        .map(|r| ReportView {
            id: r.id.get(),
            reporter: PublicUser {
                id: r.reporter_id.get(),
                username: r.reporter_username.clone(),
                display_name: r.reporter_display_name.clone(),
            },
            reason: r.reason.clone(),
            created_at: r.created_at,
        })
        .collect();
    let first = reports.iter().map(|r| r.created_at).min()?;
    let last = reports.iter().map(|r| r.created_at).max()?;
    Some(ReportGroup {
        comment,
        report_count: i64::try_from(reports.len()).unwrap_or(0),
        first_reported_at: first,
        last_reported_at: last,
        reports,
        resolution,
    })
}

/// The keyset of an open-list cursor: the open-report count and comment id of the last group.
fn open_key(cursor: &Cursor) -> Result<(i32, CommentId), ModerationError> {
    cursor
        .key
        .as_i64()
        .and_then(|v| i32::try_from(v).ok())
        .map(|count| (count, CommentId(cursor.id)))
        .ok_or(ModerationError::InvalidCursor)
}

/// The keyset of a resolved-list cursor: the resolution time and id of the last group.
fn resolved_key(cursor: &Cursor) -> Result<(DateTime<Utc>, i64), ModerationError> {
    pagination::cursor_time(&cursor.key)
        .map(|at| (at, cursor.id))
        .ok_or(ModerationError::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_keys_must_fit_their_list() {
        let count = Cursor {
            key: Value::from(4),
            id: 9,
        };
        assert_eq!(open_key(&count).expect("a count"), (4, CommentId(9)));
        assert!(resolved_key(&count).is_err());
        let too_big = Cursor {
            key: Value::from(i64::from(i32::MAX) + 1),
            id: 9,
        };
        assert!(open_key(&too_big).is_err());
        let time = Cursor {
            key: Value::from("2026-01-01T00:00:00.000000Z"),
            id: 3,
        };
        assert_eq!(resolved_key(&time).expect("a time").1, 3);
        assert!(open_key(&time).is_err());
    }
}
