//! The prediction views: the history of the community median, the two SVG charts and the
//! leaderboards, all read from stored rows and totals.

use crate::accounts::model::PublicUser;
use crate::ids::PredictionId;
use crate::pagination::{finish_page, Page};
use crate::predictions::charts::{calibration_svg, history_svg, ChartPoint, HistoryMarks};
use crate::predictions::error::{PredictionError, Step};
use crate::predictions::queries::{self, BoardRow, BoardScope};
use crate::predictions::scoring::{calibration, probability};
use crate::predictions::views::{
    thin, ForecasterScore, History, HistoryPoint, LeaderboardEntry, LeaderboardQuery, ScoresQuery,
};
use crate::predictions::{paging, queries::ChartFacts};
use crate::startup::AppState;
use diesel_async::AsyncPgConnection;

/// The chart facts of a prediction of a live article, or its 404.
async fn facts(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
) -> Result<ChartFacts, PredictionError> {
    queries::chart_facts(conn, id)
        .await
        .step("reading the prediction's facts")?
        .ok_or(PredictionError::NotFound(id))
}

/// One point per change of the median (one per day past 200 changes).
async fn points(
    conn: &mut AsyncPgConnection,
    id: PredictionId,
) -> Result<Vec<HistoryPoint>, PredictionError> {
    let points = queries::history_points(conn, id)
        .await
        .step("reading the history")?;
    Ok(thin(points))
}

/// The community median over time.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn history(state: &AppState, id: PredictionId) -> Result<History, PredictionError> {
    let mut conn = state.pool.get().await?;
    facts(&mut conn, id).await?;
    Ok(History {
        prediction_id: id.get(),
        points: points(&mut conn, id).await?,
    })
}

/// The history drawn as SVG, with the author's and the final community probability marked.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn history_chart(state: &AppState, id: PredictionId) -> Result<String, PredictionError> {
    let mut conn = state.pool.get().await?;
    let facts = facts(&mut conn, id).await?;
    let changes = points(&mut conn, id).await?;
    let author_percent = queries::author_percent(&mut conn, id, facts.author_id)
        .await
        .step("reading the author's forecast")?;
    let chart_points: Vec<ChartPoint> = changes
        .iter()
        .map(|p| ChartPoint {
            at: p.at,
            probability: p.community_probability,
        })
        .collect();
    let until = state
        .clock
        .now()
        .max(changes.last().map_or(facts.resolves_at, |p| p.at));
    let marks = HistoryMarks {
        // A removal hides the claim, also once its author has deleted the comment.
        claim: facts.claim.filter(|_| facts.removal_reason.is_none()),
        author_probability: author_percent.map(probability),
        outcome: facts.outcome,
        until: facts.resolves_at.min(until),
    };
    Ok(history_svg(&chart_points, &marks))
}

/// A user's calibration plot as SVG, with their mean Brier in the caption.
#[tracing::instrument(skip_all, fields(username))]
pub async fn calibration_chart(
    state: &AppState,
    username: &str,
) -> Result<String, PredictionError> {
    let mut conn = state.pool.get().await?;
    let super::UserScores {
        user,
        totals,
        buckets,
    } = super::user_scores(&mut conn, username).await?;
    let mean = totals
        .filter(|t| t.scored_forecasts > 0)
        .map(|t| t.brier_sum / f64::from(t.scored_forecasts));
    Ok(calibration_svg(
        &user.username,
        &calibration(&buckets),
        mean,
    ))
}

/// Forecasters ranked by mean Brier (ties: more scored forecasts, then username), over
/// everything, one article or one tag, from the stored totals.
#[tracing::instrument(skip_all, fields(article = query.article.as_deref(), tag = query.tag.as_deref()))]
pub async fn leaderboard(
    state: &AppState,
    query: LeaderboardQuery,
) -> Result<Page<LeaderboardEntry>, PredictionError> {
    let page = paging::board_page(&query)?;
    let mut conn = state.pool.get().await?;
    let scope = if let Some(slug) = &query.article {
        let id = crate::articles::queries::find_live_id(&mut conn, slug)
            .await
            .step("finding the article")?
            .ok_or_else(|| PredictionError::ArticleNotFound(slug.clone()))?
            .id;
        BoardScope::Article(id)
    } else if let Some(tag) = &query.tag {
        BoardScope::Tag(tag)
    } else {
        BoardScope::All
    };
    let after = page.cursor.as_ref().map(paging::board_after).transpose()?;
    let rows = queries::leaderboard_page(
        &mut conn,
        scope,
        page.min_scored,
        page.limit,
        after.as_ref(),
    )
    .await
    .step("reading the leaderboard")?;
    let (rows, next_cursor) =
        finish_page(rows, page.limit, |last| paging::board_cursor(&page, last));
    let items = rows.into_iter().map(entry).collect();
    Ok(Page { items, next_cursor })
}

/// One leaderboard row on the wire.
fn entry(row: BoardRow) -> LeaderboardEntry {
    LeaderboardEntry {
        user: PublicUser {
            id: row.user_id.get(),
            username: row.username,
            display_name: row.display_name,
        },
        scored_forecasts: row.scored,
        mean_brier: row.mean_brier,
        mean_relative_brier: row.mean_relative,
    }
}

/// The list name cursors of a prediction's scores carry.
const SCORES: &str = "prediction-scores";

/// Each forecaster's score on a resolved prediction, best first (empty while open or void).
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn forecaster_scores(
    state: &AppState,
    id: PredictionId,
    query: ScoresQuery,
) -> Result<Page<ForecasterScore>, PredictionError> {
    let (limit, cursor) = crate::pagination::page_request(
        crate::error::FieldErrors::new(),
        query.limit.or(Some(50)),
        query.cursor.as_deref(),
        &format!("{SCORES}:{}", id.get()),
        "brier",
    )
    .map_err(PredictionError::from_validation)?;
    let after = match cursor {
        Some(cursor) => match cursor.key.as_f64() {
            Some(brier) if brier.is_finite() => Some((brier, cursor.id)),
            _ => {
                return Err(PredictionError::Invalid(vec![
                    crate::error::FieldError::new(
                        "cursor",
                        "invalid_cursor",
                        "not a cursor this service made",
                    ),
                ]))
            }
        },
        None => None,
    };
    let mut conn = state.pool.get().await?;
    facts(&mut conn, id).await?;
    let rows = queries::forecaster_scores(&mut conn, id, limit, after)
        .await
        .step("reading the scores")?;
    let list = format!("{SCORES}:{}", id.get());
    let (rows, next_cursor) = finish_page(rows, limit, |last| {
        crate::pagination::encode(
            &list,
            "brier",
            serde_json::Value::from(last.brier),
            last.user_id,
        )
    });
    let items = rows
        .into_iter()
        .map(|row| ForecasterScore {
            forecaster: PublicUser {
                id: row.user_id,
                username: row.username,
                display_name: row.display_name,
            },
            probability: f64::from(row.percent) / 100.0,
            brier: row.brier,
            relative_brier: row.relative_brier,
        })
        .collect();
    Ok(Page { items, next_cursor })
}
