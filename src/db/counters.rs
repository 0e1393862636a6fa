//! Counts of what requests cost the database: statements sent (every round trip, `BEGIN` and
//! `COMMIT` included) and pool checkouts. Exposed on `/metrics` so the write path's budget
//! (issue 19: a comment in at most three statements and one checkout) is measured, not
//! assumed; each application (each test app) has its own counters.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use diesel::connection::{Instrumentation, InstrumentationEvent};

/// The two counters, shared by the pool's hooks and every pooled connection.
#[derive(Debug, Default)]
pub struct DbCounters {
    statements: AtomicU64,
    checkouts: AtomicU64,
}

impl DbCounters {
    /// Statements started on pooled connections since the start.
    pub fn statements(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Connections handed out by the pool since the start.
    pub fn checkouts(&self) -> u64 {
        self.checkouts.load(Ordering::Relaxed)
    }

    /// One more checkout (called by the pool's create and recycle hooks).
    pub(crate) fn count_checkout(&self) {
        self.checkouts.fetch_add(1, Ordering::Relaxed);
    }
}

/// Diesel instrumentation that counts every statement a connection starts.
pub(crate) struct StatementCounter(pub(crate) Arc<DbCounters>);

impl Instrumentation for StatementCounter {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if matches!(event, InstrumentationEvent::StartQuery { .. }) {
            self.0.statements.fetch_add(1, Ordering::Relaxed);
        }
    }
}
