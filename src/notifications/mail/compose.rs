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

/// What an unsubscribe token names when it stops the daily digest (a digest's link): every
/// kind mailed daily is switched off, the immediate ones stay.
pub const DIGEST: &str = "digest";

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
            match single(state, reader, kind, item, now) {
                Ok(mail) => mails.push(mail),
                Err(error) => dropped(&error, reader, "notification"),
            }
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
            match digest(state, reader, items, now) {
                Ok(mail) => mails.push(mail),
                Err(error) => dropped(&error, reader, "digest"),
            }
        }
    }
    Ok(mails)
}

/// A mail that could not be composed (a template or signing bug) is logged and dropped with
/// its marks, so that it cannot hold up everyone else's mail run after run.
fn dropped(error: &anyhow::Error, reader: &Reader, what: &str) {
    tracing::error!(user_id = reader.id.get(), what, error = %format!("{error:#}"), "notification mail not composed; dropped");
}

/// The unsubscribe page of `reader`'s mail about `kind` (a kind's name or [`DIGEST`]).
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
    let url = unsubscribe_url(state, reader, DIGEST, now)?;
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::accounts::model::PublicUser;
    use crate::notifications::model::{NotifiedArticle, NotifiedComment, NotifiedPrediction};

    fn notification(kind: NotificationKind, data: serde_json::Value) -> Notification {
        Notification {
            id: 1,
            kind,
            created_at: DateTime::<Utc>::UNIX_EPOCH,
            read_at: None,
            actor: Some(PublicUser {
                id: 2,
                username: "bob".to_owned(),
                display_name: None,
            }),
            article: Some(NotifiedArticle {
                id: 3,
                slug: "summit".to_owned(),
                title: "Summit <&> week".to_owned(),
            }),
            comment: Some(NotifiedComment {
                id: 4,
                snippet: Some("I <b>think</b> so".to_owned()),
            }),
            prediction: Some(NotifiedPrediction {
                id: 5,
                claim: Some("They sign".to_owned()),
            }),
            data,
        }
    }

    /// Every kind with the data shapes it is written with (and the nulls it may carry).
    fn every_kind() -> Vec<Notification> {
        use NotificationKind::*;
        vec![
            notification(Reply, json!({})),
            notification(Mention, json!({})),
            notification(
                PredictionResolved,
                json!({"outcome": "yes", "brier": 0.04, "re_resolved": false}),
            ),
            notification(
                PredictionResolved,
                json!({"outcome": "void", "brier": null, "re_resolved": true}),
            ),
            notification(DeadlinePassed, json!({})),
            notification(CommentRemoved, json!({"reason": "Off topic."})),
            notification(CommentRestored, json!({})),
            notification(
                Ban,
                json!({"reason": "Spam.", "expires_at": "2026-12-09T18:00:00Z", "content_removed": true}),
            ),
            notification(
                Ban,
                json!({"reason": "Spam.", "expires_at": null, "content_removed": false}),
            ),
            notification(Unban, json!({})),
            notification(ReportResolved, json!({"action": "remove"})),
            notification(ReportResolved, json!({"action": "dismiss"})),
        ]
    }

    #[test]
    fn every_kind_renders_as_a_single_mail_with_escaped_html() {
        for n in every_kind() {
            let kind = n.kind;
            let item = MailItem::of(n, "https://h.example").expect("mailable");
            let context = json!({
                "username": "ada", "item": item, "kind_label": EmailMode::label(Some(kind)),
                "unsubscribe_url": "https://h.example/unsubscribe?token=t",
            });
            let mail = templates::render("notification", &context).expect("renders");
            assert!(!mail.subject.is_empty(), "{kind}");
            assert!(
                mail.text.contains("https://h.example/unsubscribe?token=t"),
                "{kind}"
            );
            assert!(!mail.html.contains("<&>"), "{kind}: {}", mail.html);
            assert!(!mail.html.contains("<b>think"), "{kind}: {}", mail.html);
        }
        let ban = MailItem::of(every_kind().swap_remove(7), "https://h.example").expect("ban");
        assert_eq!(ban.ban_until.as_deref(), Some("9 December 2026, 18:00 UTC"));
    }

    #[test]
    fn a_digest_lists_fifty_and_counts_the_rest() {
        let items: Vec<MailItem> = (0..60)
            .map(|i| {
                let mut n = notification(NotificationKind::Reply, json!({}));
                n.id = i;
                MailItem::of(n, "https://h.example").expect("item")
            })
            .take(DIGEST_ITEMS)
            .collect();
        let context = json!({
            "username": "ada", "shown": items, "total": 60,
            "unsubscribe_url": "https://h.example/unsubscribe?token=t",
        });
        let mail = templates::render("digest", &context).expect("renders");
        assert_eq!(mail.subject, "Your hindsight digest: 60 new notifications");
        assert_eq!(mail.text.matches("bob replied").count(), 50);
        assert!(mail.text.contains("and 10 more"), "{}", mail.text);
    }

    #[test]
    fn what_can_no_longer_be_shown_is_not_mailed() {
        let mut gone = notification(NotificationKind::Reply, json!({}));
        gone.comment = Some(NotifiedComment {
            id: 4,
            snippet: None,
        });
        assert!(MailItem::of(gone, "u").is_none());
        let mut no_article = notification(NotificationKind::CommentRemoved, json!({"reason": "x"}));
        no_article.article = None;
        assert!(MailItem::of(no_article, "u").is_none());
        let mut deleted_actor = notification(NotificationKind::Mention, json!({}));
        deleted_actor.actor = None;
        assert_eq!(
            MailItem::of(deleted_actor, "u").expect("item").who,
            "Someone"
        );
    }

    #[test]
    fn the_unsubscribe_page_renders_each_state() {
        for state in ["confirm", "done", "invalid"] {
            let page = templates::render_page(
                "unsubscribe.html",
                json!({"state": state, "username": "a<b", "what": "replies"}),
            )
            .expect("renders");
            assert!(!page.contains("a<b"), "{page}");
        }
    }
}
