//! Rules of moderation: who may act against whom, what a reason must be, and the view of a
//! comment a moderator gets back after acting.

use chrono::{DateTime, Utc};

use crate::auth::role::Role;
use crate::auth::AuthUser;
use crate::comments::model::{CommentView, ViewContext};
use crate::comments::queries::reads::find_comment;
use crate::error::ApiError;
use crate::text::required_text;

/// A moderator cannot act against a moderator or an admin, and an admin not against another
/// admin: the tools cannot be turned against those who hold them. Acting on oneself is allowed
/// only where `self_allowed` (a moderator may remove their own comment, nobody bans themselves).
pub fn ensure_can_act(
    actor: &AuthUser,
    target_id: i64,
    target_role: Role,
    self_allowed: bool,
) -> Result<(), ApiError> {
    if actor.id == target_id {
        return if self_allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden("you cannot do this to yourself"))
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
        Err(ApiError::forbidden(
            "moderators cannot act against moderators or admins, nor admins against admins",
        ))
    }
}

/// A moderator's reason: 1–500 characters after trimming, or the 422 naming `reason`.
pub fn reason(raw: &str) -> Result<String, ApiError> {
    required_text(raw, "reason", 1, 500, true).map_err(|e| ApiError::Validation(vec![e]))
}

/// The 404 for a comment id that names nothing.
pub fn comment_not_found(id: i64) -> ApiError {
    ApiError::not_found(format!("comment {id}"))
}

/// A comment as moderators see it (removed text and reason included), after an action.
pub async fn moderator_view(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: i64, role: Role) -> AuthUser {
        AuthUser {
            id,
            username: format!("user{id}"),
            role,
            ban: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_tools_cannot_be_turned_against_those_who_hold_them() {
        let moderator = user(1, Role::Moderator);
        let admin = user(2, Role::Admin);
        assert!(ensure_can_act(&moderator, 9, Role::Reader, false).is_ok());
        assert!(ensure_can_act(&moderator, 9, Role::Moderator, false).is_err());
        assert!(ensure_can_act(&moderator, 9, Role::Admin, false).is_err());
        assert!(ensure_can_act(&admin, 9, Role::Moderator, false).is_ok());
        assert!(ensure_can_act(&admin, 9, Role::Admin, false).is_err());
        assert!(ensure_can_act(&user(3, Role::Reader), 9, Role::Reader, false).is_err());
    }

    #[test]
    fn acting_on_oneself_only_where_allowed() {
        let moderator = user(1, Role::Moderator);
        assert!(ensure_can_act(&moderator, 1, Role::Moderator, true).is_ok());
        assert!(ensure_can_act(&moderator, 1, Role::Moderator, false).is_err());
    }

    #[test]
    fn admins_act_against_readers_and_moderators() {
        let admin = user(2, Role::Admin);
        assert!(ensure_can_act(&admin, 9, Role::Reader, false).is_ok());
        assert!(ensure_can_act(&admin, 9, Role::Moderator, false).is_ok());
    }

    #[test]
    fn readers_act_against_nobody_else() {
        let reader = user(3, Role::Reader);
        for role in [Role::Reader, Role::Moderator, Role::Admin] {
            assert!(ensure_can_act(&reader, 9, role, false).is_err(), "{role:?}");
            assert!(ensure_can_act(&reader, 9, role, true).is_err(), "{role:?}");
        }
    }

    #[test]
    fn the_self_rule_comes_before_the_role_rule() {
        // An admin cannot act against an admin, but may on their own comment where allowed;
        // nobody acts on themselves where it is not, whatever their role.
        let admin = user(2, Role::Admin);
        assert!(ensure_can_act(&admin, 2, Role::Admin, true).is_ok());
        assert!(ensure_can_act(&admin, 2, Role::Admin, false).is_err());
        let reader = user(3, Role::Reader);
        assert!(ensure_can_act(&reader, 3, Role::Reader, false).is_err());
    }

    #[test]
    fn the_refusals_are_forbidden_problems() {
        use actix_web::ResponseError;
        let moderator = user(1, Role::Moderator);
        for refused in [
            ensure_can_act(&moderator, 9, Role::Admin, false),
            ensure_can_act(&moderator, 1, Role::Moderator, false),
        ] {
            let status = refused.expect_err("refused").status_code();
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
}
