//! The predictions service: each request's rules, permissions and transactions, between the
//! HTTP handlers (`routes`) and the SQL (`queries`). Functions take the app state and checked
//! or raw request types, and answer with wire types or a [`PredictionError`].

pub mod forecasts;
pub mod reading;
pub mod resolution;
pub mod views;

use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;

use crate::accounts::model::UserRow;
use crate::auth::AuthUser;
use crate::comments::model::{CommentView, ViewContext};
use crate::comments::queries::reads::find_comment;
use crate::ids::{CommentId, PredictionId};
use crate::predictions::error::{PredictionError, Step};
use crate::predictions::model::PredictionView;

pub use resolution::apply_resolution;

/// The prediction as its thread shows it to `viewer` after a write (the answer of a forecast
/// and of a resolution).
async fn written_view(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
    comment_id: CommentId,
    viewer: &AuthUser,
    now: DateTime<Utc>,
) -> Result<PredictionView, PredictionError> {
    let ctx = ViewContext::of(Some(viewer), now);
    let row = find_comment(conn, comment_id, Some(viewer.id))
        .await
        .step("reading the prediction's comment")?
        .ok_or(PredictionError::NotFound(id))?;
    CommentView::from_row(row, &ctx)
        .prediction
        .ok_or(PredictionError::NotFound(id))
}

/// The user a track record or calibration chart is about (any case).
async fn find_user(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> Result<UserRow, PredictionError> {
    crate::accounts::queries::find_by_username(conn, username)
        .await
        .step("finding the user")?
        .ok_or_else(|| PredictionError::UserNotFound(username.to_owned()))
}

/// A user with their stored score totals and calibration buckets: what the track record and
/// the calibration chart are both drawn from.
struct UserScores {
    user: UserRow,
    totals: Option<crate::predictions::queries::ScoreTotals>,
    buckets: Vec<crate::predictions::queries::CalibrationTotals>,
}

/// Reads a user's stored scores by username (404 for an unknown user).
async fn user_scores(
    conn: &mut AsyncPgConnection,
    username: &str,
) -> Result<UserScores, PredictionError> {
    let user = find_user(conn, username).await?;
    let user_id = crate::ids::UserId(user.id);
    let totals = crate::predictions::queries::totals(conn, user_id)
        .await
        .step("reading the score totals")?;
    let buckets = crate::predictions::queries::calibration_totals(conn, user_id)
        .await
        .step("reading the calibration totals")?;
    Ok(UserScores {
        user,
        totals,
        buckets,
    })
}
