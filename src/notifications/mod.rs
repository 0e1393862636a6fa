//! Notifications: what a reader is told of others' actions on their content (replies,
//! mentions, resolutions, deadlines, moderation), listed at `GET /me/notifications`.
//!
//! Written in the same transaction as their cause: a feature's write builds
//! [`NewNotification`]s and calls [`record`] inside its transaction; `record` inserts, in one
//! statement, the rows of the recipients who want them (never the actor, never a kind switched
//! off in `notification_settings`, never a reply under a comment the recipient muted, and no
//! mention of someone the same write tells of the same comment by a reply) and returns one
//! `notification` event per row. The caller appends those events together with its
//! own in its single `events::queries::append`, the last statement of the transaction. So a
//! notification commits with its cause or not at all: none is lost, none is phantom.
//!
//! Rows hold ids and kind-specific facts (`data`: a reason, an outcome, a Brier score, a ban's
//! end), never the text of a comment: the list reads a snippet of the comment when it is shown,
//! and only while the comment is visible, so deleted or removed text is never carried.
//! Background jobs (`jobs.rs`) announce passed deadlines and drop notifications after the
//! retention (90 days by default).

pub mod domain;
pub mod error;
pub mod jobs;
pub mod mail;
pub mod model;
pub mod queries;
pub mod requests;
pub mod routes;
pub mod service;

use serde_json::Value;

pub use domain::NotificationKind;
pub use queries::record;

use crate::ids::{ArticleId, CommentId, PredictionId, UserId};

/// One notification to write with [`record`]; what does not apply stays `None`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotification {
    /// Who is told.
    pub recipient: UserId,
    /// What about.
    pub kind: NotificationKind,
    /// Who caused it (None: the service, e.g. a deadline). A recipient who is the actor is
    /// never told of their own action.
    pub actor: Option<UserId>,
    /// The article concerned.
    pub article_id: Option<ArticleId>,
    /// The comment concerned (for `reply`: the reply, whose path decides mutes).
    pub comment_id: Option<CommentId>,
    /// The prediction concerned.
    pub prediction_id: Option<PredictionId>,
    /// Facts of the kind (never comment text): `{}` when none.
    pub data: Value,
}

impl NewNotification {
    /// A notification of `kind` for `recipient`, caused by `actor`, concerning nothing yet.
    pub fn new(kind: NotificationKind, recipient: UserId, actor: Option<UserId>) -> Self {
        Self {
            recipient,
            kind,
            actor,
            article_id: None,
            comment_id: None,
            prediction_id: None,
            data: Value::Object(serde_json::Map::new()),
        }
    }

    /// Concerning `comment` of `article`.
    pub fn on_comment(self, article: ArticleId, comment: CommentId) -> Self {
        Self {
            article_id: Some(article),
            comment_id: Some(comment),
            ..self
        }
    }

    /// Concerning `prediction` too.
    pub fn on_prediction(self, prediction: PredictionId) -> Self {
        Self {
            prediction_id: Some(prediction),
            ..self
        }
    }

    /// With the kind's facts.
    pub fn with_data(self, data: Value) -> Self {
        Self { data, ..self }
    }
}

/// The notifications of a new comment (or a reply): a `reply` to the parent's author, and a
/// `mention` to each user it mentions but its author, at most
/// [`domain::MAX_NOTIFIED_MENTIONS`]. The parent's author keeps their mention here: `record`
/// drops it only when it writes their reply, so someone who muted the subtree or switched
/// replies off still hears that they were @mentioned, and everyone else is told once. The
/// parent's author takes a place within the cap either way: they are told of the comment, by
/// the reply or by the mention. `record` drops the author's own.
pub fn for_new_comment(
    author: UserId,
    article: ArticleId,
    comment: CommentId,
    parent_author: Option<UserId>,
    mentioned: &[UserId],
) -> Vec<NewNotification> {
    let reply = parent_author.map(|parent| {
        NewNotification::new(NotificationKind::Reply, parent, Some(author))
            .on_comment(article, comment)
    });
    let mentions = mentioned
        .iter()
        .filter(|user| **user != author)
        .take(domain::MAX_NOTIFIED_MENTIONS)
        .map(|user| {
            NewNotification::new(NotificationKind::Mention, *user, Some(author))
                .on_comment(article, comment)
        });
    reply.into_iter().chain(mentions).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parent_author_keeps_a_mention_for_record_to_drop_and_mentions_are_capped() {
        let many: Vec<UserId> = (10..40).map(UserId).collect();
        let mut mentioned = vec![UserId(2), UserId(1)];
        mentioned.extend(&many);
        let made = for_new_comment(
            UserId(1),
            ArticleId(5),
            CommentId(7),
            Some(UserId(2)),
            &mentioned,
        );
        assert_eq!(made[0].kind, NotificationKind::Reply);
        assert_eq!(made[0].recipient, UserId(2));
        assert!(made[1..]
            .iter()
            .all(|n| n.kind == NotificationKind::Mention));
        let mentions: Vec<UserId> = made[1..].iter().map(|n| n.recipient).collect();
        assert_eq!(mentions.len(), domain::MAX_NOTIFIED_MENTIONS);
        assert_eq!(mentions[0], UserId(2), "record.sql decides between the two");
        assert!(!mentions.contains(&UserId(1)), "never the author");
        assert!(made.iter().all(|n| n.comment_id == Some(CommentId(7))));
    }
}
