//! Wire types of the prediction views: the history of the community median (and its thinning
//! to one point per day) and the leaderboard. The charts themselves are in `charts`.

use chrono::{DateTime, Utc};
use diesel::Queryable;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::model::PublicUser;

/// Above this many changes, the history keeps one point per day.
pub const DAILY_ABOVE: usize = 200;

/// One point of the community median's history.
#[derive(Debug, Clone, Serialize, ToSchema, Queryable)]
pub struct HistoryPoint {
    /// When the median changed.
    pub at: DateTime<Utc>,
    /// The median after the change (0–1).
    pub community_probability: f64,
    /// Forecasters at that moment.
    pub forecasters: i32,
}

/// `GET /predictions/{id}/history`.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// The prediction.
    pub prediction_id: i64,
    /// One point per change, or one per day (the day's last) past 200 changes.
    pub points: Vec<HistoryPoint>,
}

/// Keeps one point per change, or the last point of each day when there are too many.
pub fn thin(points: Vec<HistoryPoint>) -> Vec<HistoryPoint> {
    if points.len() <= DAILY_ABOVE {
        return points;
    }
    let mut daily: Vec<HistoryPoint> = Vec::new();
    for point in points {
        match daily.last_mut() {
            Some(last) if last.at.date_naive() == point.at.date_naive() => *last = point,
            _ => daily.push(point),
        }
    }
    daily
}

/// Query of `GET /leaderboard`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// Only scores on this article.
    pub article: Option<String>,
    /// Only scores on articles with this tag (the sum of the per-article totals).
    pub tag: Option<String>,
    /// Minimum scored forecasts in scope, 1–1000 (default 5).
    pub min_resolved: Option<i64>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

/// One row of a leaderboard.
#[derive(Debug, Serialize, ToSchema)]
pub struct LeaderboardEntry {
    /// The forecaster.
    pub user: PublicUser,
    /// Scored forecasts in scope.
    pub scored_forecasts: i64,
    /// Mean Brier in scope (lower is better).
    pub mean_brier: f64,
    /// Mean relative Brier in scope (negative beats the crowd).
    pub mean_relative_brier: f64,
}

/// One forecaster's score on a resolved prediction.
#[derive(Debug, Serialize, ToSchema)]
pub struct ForecasterScore {
    /// The forecaster.
    pub forecaster: PublicUser,
    /// Their final forecast, 0.01–0.99.
    pub probability: f64,
    /// Their Brier score (0 is perfect, lower is better).
    pub brier: f64,
    /// Their Brier minus the community's (negative beat the crowd).
    pub relative_brier: f64,
}

/// Query of `GET /predictions/{id}/scores`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 50).
    pub limit: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_histories_keep_the_last_point_of_each_day() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let points: Vec<HistoryPoint> = (0..300)
            .map(|i| HistoryPoint {
                at: t0 + chrono::Duration::hours(i),
                community_probability: f64::from(i as i32) / 300.0,
                forecasters: i as i32,
            })
            .collect();
        let daily = thin(points.clone());
        assert_eq!(daily.len(), 13, "300 hours span 13 days");
        assert_eq!(daily[0].forecasters, 23, "the day's last point");
        assert_eq!(thin(points[..150].to_vec()).len(), 150);
    }
}
