//! The pure rules of notification mail: the modes, each kind's default, when a digest is due,
//! and which pending notifications become which mail.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::UserId;
use crate::notifications::NotificationKind;

/// A digest goes out once its oldest notification has waited this long, and takes every
/// notification waiting for it: at most one digest a day, none later than a day.
pub const DIGEST_AFTER: Duration = Duration::hours(24);

/// A notification not mailed within this long is not mailed any more (the mail worker was off,
/// or SMTP was not configured): old news, and a backlog that would flood a reader.
pub const STALE_AFTER: Duration = Duration::hours(48);

/// At most this many notifications are listed in one digest; the rest are counted.
pub const DIGEST_ITEMS: usize = 50;

/// How a kind of notification is mailed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EmailMode {
    /// Never mailed.
    Off,
    /// One mail per notification, within seconds.
    Immediate,
    /// Gathered into one mail a day.
    Daily,
}

impl EmailMode {
    /// Every mode.
    pub const ALL: [Self; 3] = [Self::Off, Self::Immediate, Self::Daily];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Immediate => "immediate",
            Self::Daily => "daily",
        }
    }

    /// The mode stored as `text` (None for anything else).
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|mode| mode.as_str() == text)
    }

    /// The mode of `kind` for a reader who has not chosen. What concerns the reader's own
    /// standing (resolutions, moderation of their comments, bans) is mailed at once;
    /// conversation (replies, mentions) and the moderators' deadline queue come in the daily
    /// digest; the outcome of a report is in-app only.
    pub fn default_for(kind: NotificationKind) -> Self {
        use NotificationKind::*;
        match kind {
            Reply | Mention | DeadlinePassed => Self::Daily,
            PredictionResolved | CommentRemoved | CommentRestored | Ban | Unban => Self::Immediate,
            ReportResolved => Self::Off,
        }
    }

    /// Every kind's default as a JSON object (`{"reply": "daily", …}`), which the mail job's
    /// statement reads for readers without a stored choice.
    pub fn defaults_json() -> String {
        let defaults: BTreeMap<&str, &str> = NotificationKind::ALL
            .into_iter()
            .map(|kind| (kind.as_str(), Self::default_for(kind).as_str()))
            .collect();
        serde_json::to_string(&defaults).unwrap_or_else(|_| "{}".to_owned())
    }

    /// A human name of what a mail of `kind` is about (in footers and on the unsubscribe
    /// page); None is the daily digest.
    pub fn label(kind: Option<NotificationKind>) -> &'static str {
        use NotificationKind::*;
        match kind {
            None => "your daily digest",
            Some(Reply) => "replies to your comments",
            Some(Mention) => "mentions of you",
            Some(PredictionResolved) => "resolved predictions",
            Some(DeadlinePassed) => "passed prediction deadlines",
            Some(CommentRemoved) => "removals of your comments",
            Some(CommentRestored) => "restores of your comments",
            Some(Ban) => "bans of your account",
            Some(Unban) => "lifted bans",
            Some(ReportResolved) => "your reports",
        }
    }
}

/// A pending notification as the mail job finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The notification.
    pub id: i64,
    /// Its reader.
    pub user_id: UserId,
    /// How its kind is mailed to them now.
    pub mode: EmailMode,
    /// Whether they can be mailed (a verified address, a live account) and it is not stale.
    pub wanted: bool,
}

/// What the job does with one batch of due pending notifications: single mails, one digest per
/// reader, and every id to clear (including the unwanted ones, which are dropped unmailed).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Notifications mailed one by one, with their readers.
    pub immediate: Vec<(UserId, i64)>,
    /// Each reader's digest, ids in order.
    pub digests: BTreeMap<UserId, Vec<i64>>,
    /// Every id of the batch: none of them is pending afterwards.
    pub clear: Vec<i64>,
}

/// Sorts a batch of due pending notifications (the statement returns only those due: not
/// daily, or in a reader's due digest, or unwanted) into mails.
pub fn plan(batch: &[Pending]) -> Plan {
    let mut plan = Plan::default();
    for pending in batch {
        plan.clear.push(pending.id);
        if !pending.wanted {
            continue;
        }
        match pending.mode {
            EmailMode::Off => {}
            EmailMode::Immediate => plan.immediate.push((pending.user_id, pending.id)),
            EmailMode::Daily => plan
                .digests
                .entry(pending.user_id)
                .or_default()
                .push(pending.id),
        }
    }
    plan
}

/// The cut-offs of a run at `now`: notifications created before the first are stale; a
/// reader's digest is due when their oldest waiting one was created at or before the second.
pub fn cutoffs(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    (now - STALE_AFTER, now - DIGEST_AFTER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_default_and_modes_round_trip() {
        let defaults: serde_json::Value =
            serde_json::from_str(&EmailMode::defaults_json()).expect("json");
        for kind in NotificationKind::ALL {
            let mode = defaults[kind.as_str()].as_str().expect("a default");
            assert_eq!(EmailMode::parse(mode), Some(EmailMode::default_for(kind)));
            assert!(!EmailMode::label(Some(kind)).is_empty());
        }
        assert_eq!(EmailMode::parse("weekly"), None);
        assert_eq!(
            EmailMode::default_for(NotificationKind::Reply),
            EmailMode::Daily
        );
    }

    #[test]
    fn a_plan_mails_the_wanted_and_clears_everything() {
        let p = |id, user, mode, wanted| Pending {
            id,
            user_id: UserId(user),
            mode,
            wanted,
        };
        let plan = plan(&[
            p(1, 7, EmailMode::Immediate, true),
            p(2, 7, EmailMode::Daily, true),
            p(3, 7, EmailMode::Daily, true),
            p(4, 8, EmailMode::Daily, true),
            p(5, 8, EmailMode::Off, true),
            p(6, 9, EmailMode::Immediate, false),
        ]);
        assert_eq!(plan.immediate, [(UserId(7), 1)]);
        assert_eq!(plan.digests[&UserId(7)], [2, 3]);
        assert_eq!(plan.digests[&UserId(8)], [4]);
        assert!(!plan.digests.contains_key(&UserId(9)));
        assert_eq!(plan.clear, [1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn a_digest_waits_a_day_and_stale_is_later() {
        let now = DateTime::<Utc>::UNIX_EPOCH + Duration::days(10);
        let (stale, digest) = cutoffs(now);
        assert!(stale < digest);
        assert_eq!(now - digest, Duration::hours(24));
    }
}
