//! hindsight: the REST backend for the comment sections of a news-analysis site.
//! Module map and request flow: see ARCHITECTURE notes in README.

pub mod accounts;
pub mod articles;
pub mod auth;
pub mod clock;
pub mod comments;
pub mod config;
pub mod content;
pub mod db;
pub mod error;
pub mod events;
pub mod http;
pub mod ids;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod moderation;
pub mod notifications;
pub mod openapi;
pub mod pagination;
pub mod predictions;
pub mod search;
pub mod startup;
pub mod telemetry;
pub mod text;
pub mod widget;

pub use clock::Clock;
pub use config::Settings;
pub use startup::Application;
