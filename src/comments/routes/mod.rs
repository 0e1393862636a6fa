//! Comment handlers, HTTP only (extract, one service call, the response): reading in
//! `reading`, writing in `writing`, voting in `voting`, the
//! Markdown preview in `preview`.

pub mod preview;
pub mod reading;
pub mod voting;
pub mod writing;

pub use crate::comments::params::{FlatQuery, HistoryQuery, TreeQuery};

/// Registers every comment route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(writing::create_comment)
        .service(reading::article_thread)
        .service(reading::article_flat)
        .service(reading::get_comment)
        .service(reading::comment_replies)
        .service(writing::update_comment)
        .service(writing::delete_comment)
        .service(reading::comment_edits)
        .service(reading::user_comments)
        .service(voting::vote)
        .service(preview::preview);
}
