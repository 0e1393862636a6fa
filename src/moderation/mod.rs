//! Moderation: removal and restore, thread locks, pins, bans, reports and the public log.
//! Every action writes its log row in the action's own transaction; refused actions write none.
//!
//! Layers: `routes` (HTTP only) → `service` (one transaction per action, returning
//! `ModerationError`) → `domain` (rules needing no database) and `queries` (every statement);
//! `model` holds the wire types, `log` the moderation log.

pub mod domain;
pub mod error;
pub mod log;
pub mod model;
pub mod queries;
pub mod routes;
pub mod service;
