//! The one integration-test binary: every behaviour through HTTP against real PostgreSQL.

mod accounts;
mod articles;
mod caching;
mod config_file;
mod content;
mod email_verification;
mod flow;
mod hardening_auth;
mod hardening_content;
mod helpers;
mod live;
mod mail;
mod mime;
mod moderation;
mod notification_mail;
mod notifications;
mod operations;
mod password_reset;
mod platform;
mod prediction_views;
mod predictions;
mod smtp;
mod smtp_tls;
mod threads;
mod votes;
