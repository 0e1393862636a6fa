//! Threaded comments: writing (create, edit, delete, edit history), voting and reading (the
//! tree page, replies, the flat view, a user's history). Layers: `routes` (HTTP only) →
//! `service` (checks, lookups) and `write` / `votes` (transactions) → `queries` (SQL), with
//! the rules that need no database in `domain`, the states in `state` and every refusal in
//! `error::CommentError`.

pub mod domain;
pub mod error;
pub mod model;
pub mod overlay;
pub mod params;
pub mod queries;
pub mod ranking;
pub mod routes;
pub mod service;
pub mod sort;
pub mod state;
pub mod thread;
pub mod votes;
pub mod write;
