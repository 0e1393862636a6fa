//! Forecasting: one transaction that locks the prediction, checks it still takes forecasts and
//! records the forecast (current row, history, stored median).

use diesel_async::AsyncConnection;

use crate::auth::AuthUser;
use crate::events::{Event, EventKind};
use crate::ids::PredictionId;
use crate::predictions::domain;
use crate::predictions::error::{PredictionError, Step};
use crate::predictions::model::{ForecastRequest, PredictionView};
use crate::predictions::queries;
use crate::startup::AppState;

/// Puts `user`'s probability on prediction `id` and answers with the prediction as they now
/// see it. The clock is read once, before the lock: a forecast is judged against the deadline
/// at the moment it arrived.
#[tracing::instrument(skip_all, fields(prediction_id = id.get(), user_id = user.id.get()))]
pub async fn forecast(
    state: &AppState,
    user: &AuthUser,
    id: PredictionId,
    request: ForecastRequest,
) -> Result<PredictionView, PredictionError> {
    let percent = domain::parse_forecast(request.probability)?;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let comment_id = conn
        .transaction(async |conn| {
            let prediction = queries::lock(conn, id)
                .await
                .step("locking the prediction")?
                .ok_or(PredictionError::NotFound(id))?;
            domain::check_forecastable(&prediction, now)?;
            queries::record_forecast(conn, id, prediction.article_id, user.id, percent, now)
                .await
                .step("recording the forecast")?;
            let event = Event::prediction(EventKind::Forecasts, prediction.article_id, id);
            crate::events::queries::append(conn, &[event])
                .await
                .step("appending the live events")?;
            state.metrics.count(crate::metrics::Event::Forecast);
            Ok::<_, PredictionError>(prediction.comment_id)
        })
        .await?;
    super::written_view(&mut conn, id, comment_id, user, now).await
}
