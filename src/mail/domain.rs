//! The pure rules of sending: what an SMTP outcome means for the row, and the backoff.

use std::time::Duration;

/// The first retry waits this long; each next one twice the previous.
pub const FIRST_RETRY: Duration = Duration::from_secs(30);

/// No retry waits longer than this.
pub const MAX_RETRY: Duration = Duration::from_secs(3_600);

/// How a failed attempt ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later: the server is unreachable, timed out or answered 4xx.
    Transient,
    /// Never going to work: a 5xx answer, or a mail that cannot be built (bad address).
    Permanent,
    /// The server refused our login: nothing is wrong with the mail, and every other mail would
    /// meet the same refusal. Retried without using up an attempt (an admin fixes the
    /// credentials; nothing queued is lost meanwhile), and the run stops at once (no burst of
    /// bad logins that could get the account locked).
    Login,
}

/// How an SMTP error counts: lettre's permanence (every 5xx), except that an authentication
/// refusal (`530`, `534`, `535`) is ours to fix, not the message's ([`Failure::Login`]).
pub fn classify(reply_code: Option<u16>, permanent: bool) -> Failure {
    match reply_code {
        Some(530 | 534 | 535) => Failure::Login,
        _ if permanent => Failure::Permanent,
        _ => Failure::Transient,
    }
}

/// What happens to a row after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Try again after this long.
    RetryIn(Duration),
    /// Mark it failed.
    GiveUp,
}

/// The wait before the attempt after `attempts` failed ones: 30 s, 1 min, 2 min, … capped at an
/// hour.
pub fn backoff(attempts: u32) -> Duration {
    let doublings = attempts.saturating_sub(1).min(16);
    FIRST_RETRY.saturating_mul(1 << doublings).min(MAX_RETRY)
}

/// After the `attempts`-th failed attempt (counting it), of at most `max_attempts`.
pub fn after_failure(failure: Failure, attempts: u32, max_attempts: u32) -> Next {
    match failure {
        Failure::Permanent => Next::GiveUp,
        Failure::Login => Next::RetryIn(FIRST_RETRY),
        Failure::Transient if attempts >= max_attempts => Next::GiveUp,
        Failure::Transient => Next::RetryIn(backoff(attempts)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_thirty_seconds_up_to_an_hour() {
        assert_eq!(backoff(1), Duration::from_secs(30));
        assert_eq!(backoff(2), Duration::from_secs(60));
        assert_eq!(backoff(4), Duration::from_secs(240));
        assert_eq!(backoff(8), MAX_RETRY);
        assert_eq!(backoff(u32::MAX), MAX_RETRY);
    }

    #[test]
    fn refused_credentials_are_retried_other_5xx_are_not() {
        assert_eq!(classify(Some(535), true), Failure::Login);
        assert_eq!(classify(Some(530), true), Failure::Login);
        assert_eq!(
            after_failure(Failure::Login, 99, 8),
            Next::RetryIn(FIRST_RETRY),
            "never gives up on a refused login"
        );
        assert_eq!(classify(Some(550), true), Failure::Permanent);
        assert_eq!(classify(Some(451), false), Failure::Transient);
        assert_eq!(classify(None, false), Failure::Transient);
    }

    #[test]
    fn a_permanent_failure_or_the_last_attempt_gives_up() {
        assert_eq!(after_failure(Failure::Permanent, 1, 8), Next::GiveUp);
        assert_eq!(after_failure(Failure::Transient, 8, 8), Next::GiveUp);
        assert_eq!(
            after_failure(Failure::Transient, 2, 8),
            Next::RetryIn(Duration::from_secs(60))
        );
    }
}
