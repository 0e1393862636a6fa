//! Turns a run's plan into mails: each notification read as the list shows it (so only
//! visible text is ever mailed), worded by `notification.*` or `digest.*` in
//! `src/mail/templates/`, with the reader's one-click unsubscribe link in the body and in the
//! `List-Unsubscribe` headers.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use serde::Serialize;

use super::domain::{EmailMode, Plan, DIGEST_ITEMS};
use super::{readers, Reader};
use crate::mail::{templates, OutgoingMail};
use crate::notifications::model::Notification;
use crate::notifications::service::reading::view;
use crate::notifications::{queries, NotificationKind};
use crate::startup::AppState;

/// What an unsubscribe token names when it stops every kind (a digest's link).
pub const ALL_KINDS: &str = "all";

/// A notification as a template shows it: the list entry, plus a link to the thread, the
/// actor's name and a ban's end in words.
#[derive(Debug, Serialize)]
pub struct MailItem {
    /// The list entry.
    #[serde(flatten)]
    pub notification: Notification,
    /// The thread at the comment, when there is an article.
    pub link: Option<String>,
    /// The actor's display name (or username); `Someone` once they deleted their account.
    pub who: String,
    /// A ban's end, e.g. `9 December 2026, 18:00 UTC`; None for a permanent ban.
    pub ban_until: Option<String>,
}

impl MailItem {
    /// The item of `notification`, or None when what it is about can no longer be shown (a
    /// reply or mention whose comment was deleted or removed, an article that was deleted):
    /// such a notification is not mailed.
    pub fn of(notification: Notification, public_url: &str) -> Option<Self> {
        let kind = notification.kind;
        let about_a_comment = matches!(
            kind,
            NotificationKind::Reply
                | NotificationKind::Mention
                | NotificationKind::CommentRemoved
                | NotificationKind::CommentRestored
        );
        if about_a_comment && notification.article.is_none() {
            return None;
        }
        let text_gone = notification
            .comment
            .as_ref()
            .is_none_or(|c| c.snippet.is_none());
        if matches!(kind, NotificationKind::Reply | NotificationKind::Mention) && text_gone {
            return None;
        }
        let link = notification.article.as_ref().map(|article| {
            let anchor = notification
                .comment
                .as_ref()
                .map(|c| format!("#comment-{}", c.id))
                .unwrap_or_default();
            format!("{public_url}/embed/{}{anchor}", article.slug)
        });
        let who = notification
            .actor
            .as_ref()
            .map(|actor| {
                actor
                    .display_name
                    .clone()
                    .unwrap_or_else(|| actor.username.clone())
            })
            .unwrap_or_else(|| "Someone".to_owned());
        let ban_until = notification.data["expires_at"]
            .as_str()
            .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
            .map(|at| {
                at.with_timezone(&Utc)
                    .format("%-d %B %Y, %H:%M UTC")
                    .to_string()
            });
        Some(Self {
            notification,
            link,
            who,
            ban_until,
        })
    }
}

/// The mails of `plan`: one per immediate notification, one digest per reader.
pub async fn mails(
    conn: &mut AsyncPgConnection,
    state: &AppState,
    plan: &Plan,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<OutgoingMail>> {
    let ids: Vec<i64> = plan
        .immediate
        .iter()
        .map(|(_, id)| *id)
        .chain(plan.digests.values().flatten().copied())
        .collect();
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut shown: HashMap<i64, Notification> = queries::by_ids(conn, &ids)
        .await?
        .into_iter()
        .filter_map(view)
        .map(|n| (n.id, n))
        .collect();
    let users: Vec<_> = plan
        .immediate
        .iter()
        .map(|(user, _)| *user)
        .chain(plan.digests.keys().copied())
        .collect();
    let readers = readers(conn, &users).await?;
    let public_url = &state.settings.mail.public_url;
    let mut mails = Vec::new();
    for (user, id) in &plan.immediate {
        let (Some(reader), Some(notification)) = (readers.get(user), shown.remove(id)) else {
            continue;
        };
        let kind = notification.kind;
        if let Some(item) = MailItem::of(notification, public_url) {
            mails.push(single(state, reader, kind, item, now)?);
        }
    }
    for (user, ids) in &plan.digests {
        let Some(reader) = readers.get(user) else {
            continue;
        };
        let items: Vec<MailItem> = ids
            .iter()
            .filter_map(|id| shown.remove(id))
            .filter_map(|n| MailItem::of(n, public_url))
            .collect();
        if !items.is_empty() {
            mails.push(digest(state, reader, items, now)?);
        }
    }
    Ok(mails)
}

/// The unsubscribe page of `reader`'s mail about `kind` (a kind's name or [`ALL_KINDS`]).
fn unsubscribe_url(
    state: &AppState,
    reader: &Reader,
    kind: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<String> {
    let token = state.tokens.issue_unsubscribe(reader.id.get(), kind, now)?;
    Ok(format!(
        "{}/unsubscribe?token={token}",
        state.settings.mail.public_url
    ))
}

/// Adds the RFC 8058 headers: the link, and that a POST to it unsubscribes in one click.
fn with_unsubscribe(mut mail: OutgoingMail, url: &str) -> OutgoingMail {
    mail.list_unsubscribe = Some(format!("<{url}>"));
    mail.list_unsubscribe_post = Some("List-Unsubscribe=One-Click".to_owned());
    mail
}

/// One notification's mail.
fn single(
    state: &AppState,
    reader: &Reader,
    kind: NotificationKind,
    item: MailItem,
    now: DateTime<Utc>,
) -> anyhow::Result<OutgoingMail> {
    let url = unsubscribe_url(state, reader, kind.as_str(), now)?;
    let context = serde_json::json!({
        "username": reader.username,
        "item": item,
        "kind_label": EmailMode::label(Some(kind)),
        "unsubscribe_url": url,
    });
    let mail = templates::render("notification", context)?.to("notification", &reader.email);
    Ok(with_unsubscribe(mail, &url))
}

/// A reader's digest: the first [`DIGEST_ITEMS`] listed, the rest counted.
fn digest(
    state: &AppState,
    reader: &Reader,
    mut items: Vec<MailItem>,
    now: DateTime<Utc>,
) -> anyhow::Result<OutgoingMail> {
    let url = unsubscribe_url(state, reader, ALL_KINDS, now)?;
    let total = items.len();
    items.truncate(DIGEST_ITEMS);
    let context = serde_json::json!({
        "username": reader.username,
        "shown": items,
        "total": total,
        "unsubscribe_url": url,
    });
    let mail = templates::render("digest", context)?.to("digest", &reader.email);
    Ok(with_unsubscribe(mail, &url))
}
