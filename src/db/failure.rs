//! What a database error means, decided in one place: every caller that must tell a lost
//! connection from a timeout, a violated constraint or a retryable conflict asks `classify`
//! instead of matching Diesel's error kinds or message texts itself.

use diesel::result::{DatabaseErrorKind, Error};

/// The meaning of a failed statement, as the service acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DbFailure<'a> {
    /// The statement expected a row and found none.
    NoRow,
    /// The connection died (restart, terminated backend, network): retryable on a new one.
    LostConnection,
    /// `statement_timeout` cancelled the statement.
    Timeout,
    /// A value PostgreSQL text cannot hold (a NUL byte): the client's mistake.
    InvalidText,
    /// A unique or foreign-key constraint refused the row; the constraint's name when known.
    Constraint(Option<&'a str>),
    /// A serialization failure or deadlock: the transaction may simply be run again.
    Retryable,
    /// Anything else: a bug.
    Other,
}

/// Classifies a Diesel error (by kind first; by PostgreSQL's message only where Diesel has no
/// kind for it).
pub fn classify(error: &Error) -> DbFailure<'_> {
    match error {
        Error::NotFound => DbFailure::NoRow,
        Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => DbFailure::LostConnection,
        Error::DatabaseError(
            DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::ForeignKeyViolation,
            info,
        ) => DbFailure::Constraint(info.constraint_name()),
        Error::DatabaseError(
            DatabaseErrorKind::SerializationFailure
            | DatabaseErrorKind::Unknown
            | DatabaseErrorKind::ReadOnlyTransaction,
            info,
        ) if info.message().contains("deadlock detected") => DbFailure::Retryable,
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => DbFailure::Retryable,
        Error::DatabaseError(DatabaseErrorKind::Unknown, info)
            if info.message().contains("statement timeout") =>
        {
            DbFailure::Timeout
        }
        other => classify_by_message(&other.to_string()),
    }
}

/// The failures Diesel reports without a kind of their own, told apart by message.
fn classify_by_message(message: &str) -> DbFailure<'static> {
    let message = message.to_ascii_lowercase();
    if message.contains("invalid byte sequence") {
        return DbFailure::InvalidText;
    }
    let lost = [
        "connection closed",
        "terminating connection",
        "server closed the connection",
        "broken pipe",
        "connection reset",
        "unexpected eof",
    ];
    if lost.iter().any(|needle| message.contains(needle)) {
        DbFailure::LostConnection
    } else {
        DbFailure::Other
    }
}

/// The constraint a unique or foreign-key violation names, where that chooses a 409 or a 422.
pub fn violated_constraint(error: &Error) -> Option<&str> {
    match classify(error) {
        DbFailure::Constraint(name) => name,
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_without_a_kind_are_told_apart() {
        assert_eq!(
            classify_by_message("FATAL: terminating connection due to administrator command"),
            DbFailure::LostConnection
        );
        assert_eq!(
            classify_by_message("invalid byte sequence for encoding \"UTF8\": 0x00"),
            DbFailure::InvalidText
        );
        assert_eq!(classify_by_message("syntax error"), DbFailure::Other);
        assert_eq!(classify(&Error::NotFound), DbFailure::NoRow);
    }
}
