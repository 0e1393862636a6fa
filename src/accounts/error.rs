//! `AccountError`: every way an account request (registration, login, tokens, the own account,
//! profiles, roles) can be refused or fail. The service and domain functions return it so they
//! never pick a status; `src/error/features.rs` (section `// accounts`) maps each variant to the
//! problem type clients have always received.

use crate::auth::extract::Ban;
use crate::error::{ApiError, FieldError};

/// Why an account request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// One or more fields of the request are invalid (a 422 naming each).
    #[error("invalid fields")]
    Invalid(Vec<FieldError>),
    /// A login carrying NUL, which no stored name or address can (a 422 on `login`).
    #[error("the login may not contain NUL characters")]
    NulInLogin,
    /// `PATCH /me` with neither field (a 422 on `body`).
    #[error("give at least one of display_name, bio")]
    NothingToChange,
    /// Registration found the username, the email or both in use (409 `taken` naming each).
    #[error("already registered")]
    Taken {
        /// The username is in use.
        username: bool,
        /// The email address is in use.
        email: bool,
    },
    /// A concurrent registration took the username first (the unique index said so).
    #[error("this username is taken")]
    UsernameTaken,
    /// A concurrent registration took the email address first.
    #[error("this email address is already registered")]
    EmailTaken,
    /// The display name folds to another user's username (409 `taken`).
    #[error("this display name is another user's username")]
    DisplayNameTaken,
    /// The username or email belongs to a deleted account whose ban is still in force.
    #[error("you are banned from contributing")]
    Banned(Ban),
    /// Unknown login or wrong password: one answer for both, so logins cannot be probed.
    #[error("unknown login or wrong password")]
    InvalidCredentials,
    /// A refresh token that is unknown, expired, revoked or already used.
    #[error("the refresh token is invalid, expired or already used")]
    RefreshRefused,
    /// The current password given to change the password or delete the account is wrong.
    #[error("the password is not correct")]
    WrongPassword,
    /// No user has this name.
    #[error("user {0} not found")]
    UserNotFound(String),
    /// An admin's role changes only through the command line.
    #[error("an admin's role changes only through the `hindsight set-role` command")]
    AdminRoleViaApi,
    /// Demoting the last live admin.
    #[error("this is the last admin; make another admin first")]
    LastAdmin,
    /// Giving a role to a deleted account.
    #[error("the account is deleted; it cannot be given a role")]
    AccountDeleted,
    /// A shared component (rate limiter, password hasher, token signer) refused or failed with
    /// its own problem (429, 500…), passed on unchanged.
    #[error(transparent)]
    Component(ApiError),
    /// A statement, the pool, or a broken invariant (500/503; the cause goes to the log).
    #[error(transparent)]
    Failure(#[from] crate::error::Failure),
}

impl AccountError {
    /// The shared validators (`FieldErrors::finish`) answer with an `ApiError` that is always a
    /// 422; its fields become this feature's `Invalid`. Anything else passes on unchanged.
    pub fn from_validation(error: ApiError) -> Self {
        match error {
            ApiError::Validation(fields) => Self::Invalid(fields),
            other => Self::Component(other),
        }
    }
}

/// Sub-codes (`code` of the problem) of account problems whose status carries several meanings,
/// so the spelling clients match on is written once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemCode {
    /// A 403 because the current password is wrong (not because the action is forbidden).
    WrongPassword,
}

impl ProblemCode {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::WrongPassword => "wrong_password",
        }
    }
}

crate::feature_failure!(AccountError);
