//! Rules of moderation that need no database: who may act against whom, what a reason must
//! be, what a ban or a lock must carry, how many pins an article takes. The service applies
//! them inside its transactions; the unit tests below pin them down.

use chrono::{DateTime, Utc};

use crate::auth::role::Role;
use crate::auth::AuthUser;
use crate::comments::state::CommentState;
use crate::error::FieldError;
use crate::ids::UserId;
use crate::moderation::error::ModerationError;
use crate::text::{optional_text, required_text};

/// Most pinned comments an article shows first.
pub const MAX_PINS: i64 = 3;

/// Longest moderator reason, in characters.
const REASON_MAX: usize = 500;

/// A moderator cannot act against a moderator or an admin, and an admin not against another
/// admin: the tools cannot be turned against those who hold them. Acting on oneself is allowed
/// only where `self_allowed` (a moderator may remove their own comment, nobody bans themselves).
pub fn ensure_can_act(
    actor: &AuthUser,
    target_id: UserId,
    target_role: Role,
    self_allowed: bool,
) -> Result<(), ModerationError> {
    if actor.id == target_id {
        return if self_allowed {
            Ok(())
        } else {
            Err(ModerationError::SelfAction)
        };
    }
    let allowed = match actor.role {
        Role::Admin => target_role != Role::Admin,
        Role::Moderator => target_role == Role::Reader,
        Role::Reader => false,
    };
    if allowed {
        Ok(())
    } else {
        Err(ModerationError::Outranked)
    }
}

/// A moderator's reason: 1–500 characters after trimming, or the 422 naming `reason`.
pub fn reason(raw: &str) -> Result<String, ModerationError> {
    required_text(raw, "reason", 1, REASON_MAX, true).map_err(|e| ModerationError::Invalid(vec![e]))
}

/// The reason stored with a lock change: required when locking (it is shown on the article),
/// optional when unlocking (it only goes into the log).
pub fn lock_reason(locked: bool, raw: Option<String>) -> Result<Option<String>, ModerationError> {
    if locked {
        Ok(Some(reason(raw.as_deref().unwrap_or(""))?))
    } else {
        optional_text(raw, "reason", REASON_MAX).map_err(|e| ModerationError::Invalid(vec![e]))
    }
}

/// A ban's reason, checked together with its end (which must be in the future), so one 422
/// names both fields.
pub fn ban_reason(
    raw_reason: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<String, ModerationError> {
    let mut errors = Vec::new();
    let reason = required_text(raw_reason, "reason", 1, REASON_MAX, true)
        .map_err(|e| errors.push(e))
        .ok();
    if expires_at.is_some_and(|t| t <= now) {
        errors.push(FieldError::new(
            "expires_at",
            "not_in_future",
            "must be in the future",
        ));
    }
    match reason {
        Some(reason) if errors.is_empty() => Ok(reason),
        _ => Err(ModerationError::Invalid(errors)),
    }
}

/// Whether another pin fits beside the `others` already pinned on the article.
pub fn pin_fits(others: i64) -> Result<(), ModerationError> {
    if others >= MAX_PINS {
        Err(ModerationError::TooManyPins)
    } else {
        Ok(())
    }
}

/// Whether a comment state read under lock is live (visible). The comments feature owns the
/// state; moderation only asks whether it is live or removed, here.
pub fn is_live(state: Option<CommentState>) -> bool {
    state.is_some_and(CommentState::is_live)
}

/// Whether a comment state read under lock is removed by a moderator.
pub fn is_removed(state: Option<CommentState>) -> bool {
    state == Some(CommentState::Removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> AuthUser {
        AuthUser {
            id: crate::ids::UserId(id),
            username: format!("user{id}"),
            role,
            ban: None,
            created_at: Utc::now(),
            unverified: false,
        }
    }

    #[test]
    fn the_tools_cannot_be_turned_against_those_who_hold_them() {
        let moderator = user(1, Role::Moderator);
        let admin = user(2, Role::Admin);
        assert!(ensure_can_act(&moderator, UserId(9), Role::Reader, false).is_ok());
        assert!(ensure_can_act(&moderator, UserId(9), Role::Moderator, false).is_err());
        assert!(ensure_can_act(&moderator, UserId(9), Role::Admin, false).is_err());
        assert!(ensure_can_act(&admin, UserId(9), Role::Moderator, false).is_ok());
        assert!(matches!(
            ensure_can_act(&admin, UserId(9), Role::Admin, false),
            Err(ModerationError::Outranked)
        ));
        assert!(ensure_can_act(&user(3, Role::Reader), UserId(9), Role::Reader, false).is_err());
    }

    #[test]
    fn acting_on_oneself_only_where_allowed() {
        let moderator = user(1, Role::Moderator);
        assert!(ensure_can_act(&moderator, UserId(1), Role::Moderator, true).is_ok());
        assert!(matches!(
            ensure_can_act(&moderator, UserId(1), Role::Moderator, false),
            Err(ModerationError::SelfAction)
        ));
    }

    #[test]
    fn admins_act_against_readers_and_moderators() {
        let admin = user(2, Role::Admin);
        assert!(ensure_can_act(&admin, UserId(9), Role::Reader, false).is_ok());
        assert!(ensure_can_act(&admin, UserId(9), Role::Moderator, false).is_ok());
    }

    #[test]
    fn readers_act_against_nobody_else() {
        let reader = user(3, Role::Reader);
        for role in [Role::Reader, Role::Moderator, Role::Admin] {
            assert!(
                ensure_can_act(&reader, UserId(9), role, false).is_err(),
                "{role:?}"
            );
            assert!(
                ensure_can_act(&reader, UserId(9), role, true).is_err(),
                "{role:?}"
            );
        }
    }

    #[test]
    fn the_self_rule_comes_before_the_role_rule() {
        // An admin cannot act against an admin, but may on their own comment where allowed;
        // nobody acts on themselves where it is not, whatever their role.
        let admin = user(2, Role::Admin);
        assert!(ensure_can_act(&admin, UserId(2), Role::Admin, true).is_ok());
        assert!(ensure_can_act(&admin, UserId(2), Role::Admin, false).is_err());
        let reader = user(3, Role::Reader);
        assert!(ensure_can_act(&reader, UserId(3), Role::Reader, false).is_err());
    }

    #[test]
    fn the_refusals_are_forbidden_problems() {
        use crate::error::ApiError;
        use actix_web::ResponseError;
        let moderator = user(1, Role::Moderator);
        for refused in [
            ensure_can_act(&moderator, UserId(9), Role::Admin, false),
            ensure_can_act(&moderator, UserId(1), Role::Moderator, false),
        ] {
            let status = ApiError::from(refused.expect_err("refused")).status_code();
            assert_eq!(status, actix_web::http::StatusCode::FORBIDDEN);
        }
    }

    #[test]
    fn reasons_are_required_and_bounded() {
        assert_eq!(reason("  spam  ").expect("ok"), "spam");
        assert!(reason("   ").is_err());
        assert!(reason(&"x".repeat(501)).is_err());
        assert_eq!(reason(&"x".repeat(500)).expect("ok").len(), 500);
    }

    #[test]
    fn locking_needs_a_reason_unlocking_does_not() {
        assert_eq!(
            lock_reason(true, Some(" flame war ".into())).expect("ok"),
            Some("flame war".to_owned())
        );
        assert!(lock_reason(true, None).is_err());
        assert!(lock_reason(false, None).expect("ok").is_none());
        assert!(lock_reason(false, Some("x".repeat(501))).is_err());
    }

    #[test]
    fn a_ban_names_every_bad_field_at_once() {
        let now = Utc::now();
        assert_eq!(ban_reason("spam", None, now).expect("ok"), "spam");
        assert!(ban_reason("spam", Some(now + chrono::Duration::hours(1)), now).is_ok());
        match ban_reason("", Some(now), now) {
            Err(ModerationError::Invalid(errors)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, ["reason", "expires_at"]);
                assert_eq!(errors[1].code, "not_in_future");
            }
            other => panic!("expected a 422, got {other:?}"),
        }
    }

    #[test]
    fn an_article_takes_three_pins() {
        assert!(pin_fits(2).is_ok());
        assert!(matches!(pin_fits(3), Err(ModerationError::TooManyPins)));
    }

    #[test]
    fn comment_states_are_read_in_one_place() {
        assert!(is_live(Some(CommentState::Visible)));
        assert!(!is_live(Some(CommentState::Removed)) && !is_live(None));
        assert!(is_removed(Some(CommentState::Removed)));
        assert!(!is_removed(Some(CommentState::Deleted)));
    }
}
