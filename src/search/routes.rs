//! `GET /api/v1/search`: extract, one service call, map.

use actix_web::{get, web};

use super::model::{SearchHit, SearchQuery};
use super::service;
use crate::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::problems::*;
use crate::pagination::Page;
use crate::startup::AppState;

/// Registers the search route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(search);
}

/// Full-text search over comments (default), articles or predictions, most relevant first,
/// in the service's search language (`HINDSIGHT_SEARCH_LANGUAGE`). Deleted and removed
/// comments and everything of deleted articles never match. Each hit carries `snippet_html`:
/// the text around the matches, escaped, matches in `<mark>`.
#[utoipa::path(
    tag = "search",
    params(SearchQuery),
    responses(
        (status = 200, description = "A page of hits", body = Page<SearchHit>),
        Invalid, Unavailable
    )
)]
#[get("/search")]
#[tracing::instrument(skip_all)]
pub async fn search(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<web::Json<Page<SearchHit>>, ApiError> {
    Ok(web::Json(service::search(&state, query).await?))
}
