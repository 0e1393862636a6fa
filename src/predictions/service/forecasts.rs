//! Forecasting: one statement (`r.forecast`) that locks the prediction, checks it still takes
//! forecasts and records the forecast (current row, history, stored median, event).

use diesel_async::AsyncPgConnection;

use crate::auth::AuthUser;
use crate::ids::{CommentId, PredictionId};
use crate::predictions::domain;
use crate::predictions::error::{PredictionError, Step};
use crate::predictions::model::{ForecastRequest, PredictionView};
use crate::predictions::queries;
use crate::startup::AppState;

/// Puts `user`'s probability on prediction `id` and answers with the prediction as they now
/// see it, on the request's one connection: one statement (`r.forecast`, which locks, checks
/// and records as the transaction it replaces did), then the answer's read. The clock is read
/// once, before the lock: a forecast is judged against the deadline at the moment it arrived.
#[tracing::instrument(skip_all, fields(prediction_id = id.get(), user_id = user.id.get()))]
pub async fn forecast(
    state: &AppState,
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: PredictionId,
    request: ForecastRequest,
) -> Result<PredictionView, PredictionError> {
    let percent = domain::parse_forecast(request.probability)?;
    let now = state.clock.now();
    let done = queries::forecast_once(conn, id, user.id, percent, now)
        .await
        .step("recording the forecast")?;
    let comment_id = match (done.outcome.as_str(), done.comment_id) {
        ("ok", Some(comment_id)) => CommentId(comment_id),
        ("hidden", _) => return Err(PredictionError::Hidden),
        ("closed", _) => return Err(PredictionError::Closed),
        _ => return Err(PredictionError::NotFound(id)),
    };
    state.metrics.count(crate::metrics::Event::Forecast);
    super::written_view(conn, id, comment_id, user, now).await
}
