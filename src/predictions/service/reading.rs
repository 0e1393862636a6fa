//! Reading predictions: one prediction with its comment and histogram, the filtered list, and
//! a user's track record from the stored totals.

use crate::accounts::model::PublicUser;
use crate::auth::AuthUser;
use crate::comments::model::{ArticleRef, CommentView, ViewContext};
use crate::comments::queries::reads::find_comment;
use crate::ids::{PredictionId, UserId};
use crate::pagination::{finish_page, Page};
use crate::predictions::error::{PredictionError, Step};
use crate::predictions::model::{
    PredictionDetail, PredictionListQuery, PredictionSummary, TrackRecord,
};
use crate::predictions::queries::{self, ListFilter, ListRow};
use crate::predictions::{paging, scoring};
use crate::startup::AppState;

/// Prediction `id` with its comment (as `reader` sees it), article and histogram.
#[tracing::instrument(skip_all, fields(prediction_id = id.get()))]
pub async fn detail(
    state: &AppState,
    reader: Option<&AuthUser>,
    id: PredictionId,
) -> Result<PredictionDetail, PredictionError> {
    let mut conn = state.pool.get().await?;
    let comment_id = queries::comment_id_of(&mut conn, id)
        .await
        .step("finding the prediction")?
        .ok_or(PredictionError::NotFound(id))?;
    let row = find_comment(&mut conn, comment_id, reader.map(|u| u.id))
        .await
        .step("reading the prediction's comment")?
        .ok_or(PredictionError::NotFound(id))?;
    let article = ArticleRef {
        slug: row.article_slug.clone(),
        title: row.article_title.clone(),
    };
    let ctx = ViewContext::of(reader, state.clock.now());
    let mut comment = CommentView::from_row(row, &ctx);
    let prediction = comment
        .prediction
        .take()
        .ok_or(PredictionError::NotFound(id))?;
    let histogram = queries::histogram(&mut conn, id)
        .await
        .step("counting the histogram")?;
    Ok(PredictionDetail {
        prediction,
        comment,
        article,
        histogram,
    })
}

/// A page of predictions, filtered and ordered; `status=closed` is the resolution queue.
#[tracing::instrument(skip_all, fields(status = ?query.status, sort = ?query.sort))]
pub async fn list(
    state: &AppState,
    reader: Option<&AuthUser>,
    query: PredictionListQuery,
) -> Result<Page<PredictionSummary>, PredictionError> {
    let page = paging::list_page(&query)?;
    let now = state.clock.now();
    let after = page
        .cursor
        .as_ref()
        .map(|cursor| paging::list_after(page.sort, cursor))
        .transpose()?;
    let filter = ListFilter {
        status: query.status,
        article: query.article.as_deref(),
        author: query.author.as_deref(),
        sort: page.sort,
        limit: page.limit,
        after,
        viewer: reader.map(|u| u.id),
        now,
    };
    let mut conn = state.pool.get().await?;
    let rows = queries::list_page(&mut conn, &filter)
        .await
        .step("reading the prediction list")?;
    let (rows, next_cursor) =
        finish_page(rows, page.limit, |last| paging::list_cursor(&page, last));
    let ctx = ViewContext::of(reader, now);
    let items = rows
        .into_iter()
        .filter_map(|row| summary(row, &ctx))
        .collect();
    Ok(Page { items, next_cursor })
}

/// One list item; its author only where the comment shows its author.
fn summary(row: ListRow, ctx: &ViewContext) -> Option<PredictionSummary> {
    let article = ArticleRef {
        slug: row.comment.article_slug.clone(),
        title: row.comment.article_title.clone(),
    };
    let comment_id = row.comment.id;
    let author = PublicUser {
        id: row.prediction_author_id.get(),
        username: row.prediction_author_username,
        display_name: row.prediction_author_display_name,
    };
    let view = CommentView::from_row(row.comment, ctx);
    let author = view.author.is_some().then_some(author);
    view.prediction.map(|prediction| PredictionSummary {
        prediction,
        comment_id,
        article,
        author,
    })
}

/// A user's track record: scores and calibration, from stored totals.
#[tracing::instrument(skip_all, fields(username))]
pub async fn track_record(
    state: &AppState,
    username: &str,
) -> Result<TrackRecord, PredictionError> {
    let mut conn = state.pool.get().await?;
    let super::UserScores {
        user,
        totals,
        buckets,
    } = super::user_scores(&mut conn, username).await?;
    let user_id = UserId(user.id);
    let authored = queries::authored(&mut conn, user_id)
        .await
        .step("counting authored predictions")?;
    let scored = totals.as_ref().map_or(0, |t| i64::from(t.scored_forecasts));
    let mean = |sum: f64| (scored > 0).then(|| sum / scored as f64);
    Ok(TrackRecord {
        scored_forecasts: scored,
        predictions_authored: authored.authored,
        predictions_came_true: authored.came_true,
        mean_brier: totals.as_ref().and_then(|t| mean(t.brier_sum)),
        mean_relative_brier: totals.as_ref().and_then(|t| mean(t.relative_brier_sum)),
        calibration: scoring::calibration(&buckets),
    })
}
