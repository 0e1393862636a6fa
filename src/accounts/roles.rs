//! Role changes, from the API (`PUT /users/{username}/role`) and the command line
//! (`hindsight set-role`) alike: one function, so both keep the same rules and both write the
//! moderation log.
//!
//! Rules: through the API an admin may change the role of readers and moderators only; no
//! admin's role (their own included) changes through the API, so no admin can act against
//! another (demoting first and banning next would otherwise get around that). Only the command
//! line, run by whoever operates the service, changes an admin's role, and even it cannot
//! demote the last admin. A deleted account has no role to give.

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::accounts::error::AccountError;
use crate::accounts::model::UserRow;
use crate::accounts::queries;
use crate::auth::role::stored_role;
use crate::auth::{AuthUser, Role};
use crate::moderation::log::{self, Action, Entry};

/// Who asks for the change.
#[derive(Debug, Clone)]
pub enum RoleChanger {
    /// An admin through the API.
    Admin(AuthUser),
    /// The operator, through `hindsight set-role`.
    CommandLine,
}

impl RoleChanger {
    fn moderator_id(&self) -> Option<crate::ids::UserId> {
        match self {
            Self::Admin(admin) => Some(admin.id),
            Self::CommandLine => None,
        }
    }
}

/// Whether `changer` may move an account from `current` to `wanted`, given how many live
/// admins there are; the refusal otherwise.
pub fn check_change(
    changer: &RoleChanger,
    current: Role,
    wanted: Role,
    live_admins: usize,
) -> Result<(), AccountError> {
    if current == Role::Admin && matches!(changer, RoleChanger::Admin(_)) {
        return Err(AccountError::AdminRoleViaApi);
    }
    if current == Role::Admin && wanted != Role::Admin && live_admins <= 1 {
        return Err(AccountError::LastAdmin);
    }
    Ok(())
}

/// Sets the role of the account named `username` (any case) and logs it, in one transaction.
/// Every live admin row is locked first, in id order, so two demotions cannot both see two
/// admins and leave none.
#[tracing::instrument(skip_all, fields(username = %username, role = %wanted, admin_id = changer.moderator_id().map(crate::ids::UserId::get)))]
pub async fn change_role(
    conn: &mut AsyncPgConnection,
    changer: RoleChanger,
    username: &str,
    wanted: Role,
    now: DateTime<Utc>,
) -> Result<UserRow, AccountError> {
    let not_found = || AccountError::UserNotFound(username.to_owned());
    conn.transaction(async |conn| {
        let live_admins = queries::lock_live_admins(conn)
            .await
            .map_err(AccountError::at("locking the admins"))?;
        let target = queries::lock_by_username(conn, username)
            .await
            .map_err(AccountError::at("locking the user"))?
            .ok_or_else(not_found)?;
        if target.deleted_at.is_some() {
            return Err(AccountError::AccountDeleted);
        }
        check_change(&changer, stored_role(&target.role), wanted, live_admins)?;
        let user = queries::set_role(conn, &target.username, wanted.as_str())
            .await
            .map_err(AccountError::at("setting the role"))?
            .ok_or_else(not_found)?;
        let reason = match changer {
            RoleChanger::Admin(_) => format!("role set to {wanted}"),
            RoleChanger::CommandLine => format!("role set to {wanted} (command line)"),
        };
        log::record(
            conn,
            Entry {
                target_user_id: Some(crate::ids::UserId(user.id)),
                reason: Some(&reason),
                ..Entry::new(Action::ChangeRole, changer.moderator_id())
            },
            now,
        )
        .await
        .map_err(AccountError::at("logging the role change"))?;
        // Profiles show the role.
        crate::db::versions::bump(conn, &[], &[user.id], true)
            .await
            .map_err(AccountError::at("bumping the profile's version"))?;
        Ok(user)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admin() -> RoleChanger {
        RoleChanger::Admin(AuthUser {
            id: crate::ids::UserId(1),
            username: "root".into(),
            role: Role::Admin,
            ban: None,
            created_at: Utc::now(),
            unverified: false,
        })
    }

    #[test]
    fn admins_change_readers_and_moderators_only() {
        assert!(check_change(&admin(), Role::Reader, Role::Moderator, 1).is_ok());
        assert!(check_change(&admin(), Role::Moderator, Role::Admin, 1).is_ok());
        assert!(check_change(&admin(), Role::Admin, Role::Reader, 5).is_err());
        assert!(check_change(&admin(), Role::Admin, Role::Admin, 5).is_err());
    }

    #[test]
    fn the_command_line_changes_admins_but_never_the_last() {
        let cli = RoleChanger::CommandLine;
        assert!(check_change(&cli, Role::Admin, Role::Reader, 2).is_ok());
        assert!(check_change(&cli, Role::Admin, Role::Moderator, 1).is_err());
        assert!(check_change(&cli, Role::Admin, Role::Admin, 1).is_ok());
        assert!(check_change(&cli, Role::Reader, Role::Admin, 0).is_ok());
    }
}
