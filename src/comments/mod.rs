//! Threaded comments: writing (create, edit, delete, edit history) and reading (the tree page,
//! replies, the flat view, a user's history).

pub mod domain;
pub mod model;
pub mod queries;
pub mod ranking;
pub mod routes;
pub mod sort;
pub mod thread;
pub mod votes;
pub mod write;
