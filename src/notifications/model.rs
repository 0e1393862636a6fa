//! The wire types of notifications: the list entries, the read mark, the settings.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::domain::NotificationKind;
use super::mail::domain::EmailMode;
use crate::accounts::model::PublicUser;

/// Query of `GET /me/notifications`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationsQuery {
    /// Only unread notifications (default false).
    pub unread: Option<bool>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// The article a notification concerns (null once the article is deleted).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifiedArticle {
    /// Id.
    pub id: i64,
    /// Slug, for the link.
    pub slug: String,
    /// Title.
    pub title: String,
}

/// The comment a notification concerns.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifiedComment {
    /// Id.
    pub id: i64,
    /// The start of its text as plain text, read when the list is, and only while the comment
    /// is visible: null once it is deleted or removed (notifications never keep text).
    pub snippet: Option<String>,
}

/// The prediction a notification concerns.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NotifiedPrediction {
    /// Id.
    pub id: i64,
    /// Its claim, null once its comment is deleted or removed.
    pub claim: Option<String>,
}

/// One notification.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Notification {
    /// Id (ascending in creation order; `up_to_id` marks read through it).
    pub id: i64,
    /// What happened.
    pub kind: NotificationKind,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was marked read (null: unread).
    pub read_at: Option<DateTime<Utc>>,
    /// Who caused it (null for the service itself, e.g. a deadline, and for an actor who has
    /// deleted their account: the kept `deleted-<id>` row is not shown as a person).
    pub actor: Option<PublicUser>,
    /// The article it concerns, if any.
    pub article: Option<NotifiedArticle>,
    /// The comment it concerns, if any.
    pub comment: Option<NotifiedComment>,
    /// The prediction it concerns, if any.
    pub prediction: Option<NotifiedPrediction>,
    /// Facts of its kind: `reason` (comment_removed, ban), `expires_at` (ban; null: permanent),
    /// `content_removed` (ban; true when the ban also removed the user's comments, which get no
    /// notice each), `outcome` and `brier` (prediction_resolved; `brier` null for a void outcome
    /// or for the predictor who did not forecast), `re_resolved` (prediction_resolved; true when
    /// a resolved prediction was resolved again, so the outcome and score told before changed),
    /// `action` (report_resolved: dismiss or remove); `{}` for the other kinds.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// `POST /me/notifications/read`: exactly one of `ids` and `up_to_id`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ReadRequest {
    /// These notifications (1–500 ids; ids of other readers are ignored).
    pub ids: Option<Vec<i64>>,
    /// Every notification up to and including this id.
    pub up_to_id: Option<i64>,
}

/// The reader's unread count after a read mark.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnreadCount {
    /// Notifications still unread.
    pub unread_notifications: i64,
}

/// The channels of one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct KindSettings {
    /// Whether this kind is notified in the app (default true). Mail copies the in-app
    /// notification: with `in_app` false nothing is written, so nothing is mailed either.
    pub in_app: bool,
    /// Whether and when it is mailed to your verified address: `off`, `immediate` (one mail
    /// each, within seconds) or `daily` (one digest a day). Defaults: `daily` for reply,
    /// mention and deadline_passed; `immediate` for prediction_resolved, comment_removed,
    /// comment_restored, ban and unban; `off` for report_resolved. Nothing is mailed to an
    /// unverified address or when the service has no SMTP.
    pub email: EmailMode,
}

/// Every kind with its channels. `PATCH` takes any subset of kinds and of their channels, e.g.
/// `{"reply": {"in_app": false}, "mention": {"email": "immediate"}}`; a channel left out keeps
/// its value. An unknown kind or channel, a non-boolean `in_app` or an unknown `email` mode is
/// a 422 naming it (`reply.email`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationSettings {
    /// Replies to your comments.
    pub reply: KindSettings,
    /// `@mentions` of you.
    pub mention: KindSettings,
    /// Resolutions of predictions you made or forecast on.
    pub prediction_resolved: KindSettings,
    /// Deadlines passed of your predictions (and, for moderators, of any).
    pub deadline_passed: KindSettings,
    /// Removals of your comments.
    pub comment_removed: KindSettings,
    /// Restores of your comments.
    pub comment_restored: KindSettings,
    /// Bans of your account.
    pub ban: KindSettings,
    /// Lifted bans.
    pub unban: KindSettings,
    /// Outcomes of your reports.
    pub report_resolved: KindSettings,
}

impl NotificationSettings {
    /// The channels of `kind`.
    pub fn of(&self, kind: NotificationKind) -> KindSettings {
        match kind {
            NotificationKind::Reply => self.reply,
            NotificationKind::Mention => self.mention,
            NotificationKind::PredictionResolved => self.prediction_resolved,
            NotificationKind::DeadlinePassed => self.deadline_passed,
            NotificationKind::CommentRemoved => self.comment_removed,
            NotificationKind::CommentRestored => self.comment_restored,
            NotificationKind::Ban => self.ban,
            NotificationKind::Unban => self.unban,
            NotificationKind::ReportResolved => self.report_resolved,
        }
    }

    /// The settings with each kind's channels as `channels` says.
    pub fn from_choices(channels: impl Fn(NotificationKind) -> KindSettings) -> Self {
        let of = |kind| channels(kind);
        Self {
            reply: of(NotificationKind::Reply),
            mention: of(NotificationKind::Mention),
            prediction_resolved: of(NotificationKind::PredictionResolved),
            deadline_passed: of(NotificationKind::DeadlinePassed),
            comment_removed: of(NotificationKind::CommentRemoved),
            comment_restored: of(NotificationKind::CommentRestored),
            ban: of(NotificationKind::Ban),
            unban: of(NotificationKind::Unban),
            report_resolved: of(NotificationKind::ReportResolved),
        }
    }
}
