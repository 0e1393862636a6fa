//! Prediction handlers, HTTP only: each extracts, makes one service call and maps the result
//! (a `PredictionError` becomes a problem through `crate::error::features`). Split by concern:
//! forecasting, resolving, reading, and the views (history, charts, leaderboard).

mod forecasts;
mod reading;
mod resolution;
mod views;

pub use forecasts::*;
pub use reading::*;
pub use resolution::*;
pub use views::*;

/// Registers every prediction route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(forecast)
        .service(resolve)
        .service(get_prediction)
        .service(list_predictions)
        .service(track_record)
        .service(history)
        .service(history_chart)
        .service(forecaster_scores)
        .service(calibration_chart)
        .service(leaderboard);
}
