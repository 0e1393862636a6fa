//! Every SQL statement of predictions: Diesel DSL where it expresses the query, otherwise a
//! `.sql` file beside the function that runs it (loaded with `include_str!`, its prepared
//! statement cached per connection through `crate::db::cached`). Functions take
//! `&mut AsyncPgConnection` and return `QueryResult`; rules and transactions are the service's.

mod forecasts;
mod leaderboard;
mod list;
mod reads;
mod scores;

pub use forecasts::{
    current_terms, forecast_once, insert, lock, lock_for_comment, record_forecast, update_terms,
    ForecastOutcome, LockedPrediction, NewPrediction, Terms,
};
pub use leaderboard::{page as leaderboard_page, BoardAfter, BoardRow, BoardScope};
pub use list::{page as list_page, ListAfter, ListFilter, ListRow};
pub use reads::{
    author_percent, authored, calibration_totals, chart_facts, comment_id_of, forecaster_scores,
    histogram, history_points, totals, AuthoredCounts, CalibrationTotals, ChartFacts, ScoreRow,
    ScoreTotals,
};
pub use scores::{
    resolution_recipients, score, set_outcome, unscore, Resolution, ResolutionRecipient,
};
