//! The only source of "now" for behaviour (deadlines, ban expiry, ranking by age, created_at).
//! Queries receive the time as a parameter instead of calling SQL `now()`, so tests can set it.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, TimeDelta, Utc};

/// Shared handle to the service's clock; cheap to clone.
#[derive(Clone, Debug)]
pub struct Clock(Arc<ClockKind>);

#[derive(Debug)]
enum ClockKind {
    System,
    Manual(Mutex<DateTime<Utc>>),
}

impl Clock {
    /// The wall clock, for production.
    pub fn system() -> Self {
        Self(Arc::new(ClockKind::System))
    }

    /// A clock that stands still until a test moves it.
    pub fn manual(start: DateTime<Utc>) -> Self {
        Self(Arc::new(ClockKind::Manual(Mutex::new(start))))
    }

    /// The current instant, truncated to microseconds (PostgreSQL's precision) so that a value
    /// read back from the database equals the one written.
    pub fn now(&self) -> DateTime<Utc> {
        let now = match &*self.0 {
            ClockKind::System => Utc::now(),
            ClockKind::Manual(t) => *t.lock().unwrap_or_else(|p| p.into_inner()),
        };
        now.duration_trunc(TimeDelta::microseconds(1))
            .unwrap_or(now)
    }

    /// Moves a manual clock forward; the system clock ignores it.
    pub fn advance(&self, by: Duration) {
        if let ClockKind::Manual(t) = &*self.0 {
            let mut guard = t.lock().unwrap_or_else(|p| p.into_inner());
            *guard += by;
        }
    }

    /// Sets a manual clock; the system clock ignores it.
    pub fn set(&self, to: DateTime<Utc>) {
        if let ClockKind::Manual(t) = &*self.0 {
            *t.lock().unwrap_or_else(|p| p.into_inner()) = to;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let clock = Clock::manual(start);
        assert_eq!(clock.now(), start);
        clock.advance(Duration::hours(2));
        assert_eq!(clock.now(), start + Duration::hours(2));
    }
}
