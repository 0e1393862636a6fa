//! Banning and unbanning users.

use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;

use super::notify_and_append;
use super::removal::remove_all;
use super::target_user;
use crate::auth::role::stored_role;
use crate::auth::AuthUser;
use crate::db::DbPool;
use crate::ids::UserId;
use crate::moderation::domain::{self, ensure_can_act};
use crate::moderation::error::ModerationError;
use crate::moderation::log::{self, Action, Entry};
use crate::moderation::queries::bans::{self as queries, NewBan};
use crate::notifications::{NewNotification, NotificationKind};

/// What a moderator asks of a ban.
#[derive(Debug, Clone, Copy)]
pub struct BanOrder<'a> {
    /// Why (checked here: 1–500 characters).
    pub reason: &'a str,
    /// When it lapses (must be in the future); None: permanent.
    pub expires_at: Option<DateTime<Utc>>,
    /// Also remove all their live comments.
    pub remove_content: bool,
}

/// Bans a user (never oneself, a peer or a superior): from the commit on, every contributing
/// write of theirs is refused. The ban lock is taken before any row lock, so comments being
/// written commit first (and a content removal sees them) and none start meanwhile.
#[tracing::instrument(skip_all, fields(username = %username, moderator_id = moderator.id.get()))]
pub async fn ban_user(
    pool: &DbPool,
    moderator: &AuthUser,
    username: &str,
    order: BanOrder<'_>,
    now: DateTime<Utc>,
) -> Result<(), ModerationError> {
    let reason = domain::ban_reason(order.reason, order.expires_at, now)?;
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let target = target_user(conn, username).await?;
        let target_id = UserId(target.id);
        ensure_can_act(moderator, target_id, stored_role(&target.role), false)?;
        queries::lock_for_ban(conn, target_id)
            .await
            .map_err(ModerationError::at("taking the ban lock"))?;
        let removals = if order.remove_content {
            remove_all(conn, target_id, &reason, now).await?
        } else {
            Vec::new()
        };
        // The user row last: the lock order is comments, articles, users.
        let ban = NewBan {
            at: now,
            until: order.expires_at,
            reason: &reason,
        };
        queries::set_ban(conn, target_id, Some(ban))
            .await
            .map_err(ModerationError::at("storing the ban"))?;
        let entry = Entry {
            target_user_id: Some(target_id),
            reason: Some(&reason),
            expires_at: order.expires_at,
            ..Entry::new(Action::BanUser, Some(moderator.id))
        };
        log::record(conn, entry, now)
            .await
            .map_err(ModerationError::at("logging the ban"))?;
        // One notice for the ban, none per removed comment: the ban's says content went too.
        let data = serde_json::json!({
            "reason": reason,
            "expires_at": order.expires_at,
            "content_removed": order.remove_content,
        });
        let told = NewNotification::new(NotificationKind::Ban, target_id, Some(moderator.id))
            .with_data(data);
        notify_and_append(conn, &[told], removals, now).await
    })
    .await
}

/// Lifts a ban (and forgets the ban kept for a deleted account), and logs it.
#[tracing::instrument(skip_all, fields(username = %username, moderator_id = moderator.id.get()))]
pub async fn unban_user(
    pool: &DbPool,
    moderator: &AuthUser,
    username: &str,
    now: DateTime<Utc>,
) -> Result<(), ModerationError> {
    let mut conn = pool.get().await?;
    conn.transaction(async |conn| {
        let target = target_user(conn, username).await?;
        let target_id = UserId(target.id);
        ensure_can_act(moderator, target_id, stored_role(&target.role), false)?;
        if target.banned_at.is_none() {
            return Err(ModerationError::NotBanned);
        }
        queries::set_ban(conn, target_id, None)
            .await
            .map_err(ModerationError::at("clearing the ban"))?;
        crate::accounts::queries::forget_retained_ban(conn, UserId(target.id))
            .await
            .map_err(ModerationError::at("forgetting the retained ban"))?;
        let entry = Entry {
            target_user_id: Some(target_id),
            ..Entry::new(Action::UnbanUser, Some(moderator.id))
        };
        log::record(conn, entry, now)
            .await
            .map_err(ModerationError::at("logging the unban"))?;
        let told = NewNotification::new(NotificationKind::Unban, target_id, Some(moderator.id));
        notify_and_append(conn, &[told], Vec::new(), now).await
    })
    .await
}
