//! Moderation handlers, split by concern: removal and restore, locks and pins, bans, reports
//! (the log's own handler is in `log/routes.rs`). Each extracts, makes one service call and
//! maps the result; `ModerationError` becomes a problem through `src/error/features.rs`.

pub mod bans;
pub mod locks_pins;
pub mod removal;
pub mod reports;

/// Registers every moderation route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(removal::remove_comment)
        .service(removal::restore_comment)
        .service(locks_pins::lock_article)
        .service(locks_pins::pin_comment)
        .service(bans::ban_user)
        .service(bans::unban_user)
        .service(super::log::routes::modlog)
        .service(reports::report_comment)
        .service(reports::list_reports)
        .service(reports::resolve_reports);
}
