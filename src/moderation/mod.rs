//! Moderation: removal and restore, thread locks, pins, bans, reports and the public log.
//! Every action writes its log row in the action's own transaction; refused actions write none.

pub mod domain;
pub mod log;
pub mod queries;
pub mod reports;
pub mod routes;
