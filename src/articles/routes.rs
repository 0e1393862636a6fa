//! Article handlers: public reads, admin writes.

use actix_web::{delete, get, patch, post, web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::articles::model::*;
use crate::articles::queries::{self, author_of};
use crate::auth::Admin;
use crate::error::{violated_constraint, ApiError, FieldErrors};
use crate::http::extract::{ApiJson, ApiQuery, ARTICLE_BODY_LIMIT};
use crate::http::problems::*;
use crate::pagination::{self, Page};
use crate::startup::AppState;

/// Registers every article route.
pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(list_articles)
        .service(get_article)
        .service(create_article)
        .service(update_article)
        .service(delete_article);
}

/// Query of `GET /articles`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ArticleListQuery {
    /// Only articles with this tag.
    pub tag: Option<String>,
    /// From `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 20).
    pub limit: Option<i64>,
}

fn article_not_found(slug: &str) -> ApiError {
    ApiError::not_found(format!("article {slug}"))
}

fn slug_conflict(error: diesel::result::Error) -> ApiError {
    match violated_constraint(&error) {
        Some("articles_slug_key") => ApiError::taken("slug", "another article has this slug"),
        _ => error.into(),
    }
}

/// Published articles, newest first.
#[utoipa::path(
    tag = "articles",
    params(ArticleListQuery),
    responses(
        (status = 200, description = "A page of articles", body = Page<ArticleSummary>),
        Invalid, Unavailable
    )
)]
#[get("/articles")]
pub async fn list_articles(
    state: web::Data<AppState>,
    ApiQuery(query): ApiQuery<ArticleListQuery>,
) -> Result<web::Json<Page<ArticleSummary>>, ApiError> {
    let tag = query.tag.filter(|t| !t.is_empty());
    let list = format!("articles:{}", tag.as_deref().unwrap_or(""));
    let (limit, cursor) = pagination::page_request(
        FieldErrors::new(),
        query.limit,
        query.cursor.as_deref(),
        &list,
        "new",
    )?;
    let after = match cursor {
        Some(c) => Some((cursor_time(&c.key)?, c.id)),
        None => None,
    };
    let mut conn = state.pool.get().await?;
    let mut rows = queries::list(&mut conn, tag.as_deref(), after, limit + 1).await?;
    let more = rows.len() > usize::try_from(limit).unwrap_or(usize::MAX);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    let next_cursor = match (more, rows.last()) {
        (true, Some((last, _))) => Some(pagination::encode(
            &list,
            "new",
            Value::from(last.published_at.to_rfc3339()),
            last.id,
        )),
        _ => None,
    };
    let items = rows
        .into_iter()
        .map(|(row, author)| ArticleSummary::new(row, author_of(author)))
        .collect();
    Ok(web::Json(Page { items, next_cursor }))
}

/// Reads a timestamp stored in a cursor key.
fn cursor_time(key: &Value) -> Result<DateTime<Utc>, ApiError> {
    pagination::cursor_time(key)
        .ok_or_else(|| ApiError::invalid("cursor", "invalid_cursor", "not a valid cursor"))
}

/// One article with its body.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    responses(
        (status = 200, description = "The article", body = Article),
        NotFound, Unavailable
    )
)]
#[get("/articles/{slug}")]
pub async fn get_article(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> Result<web::Json<Article>, ApiError> {
    let mut conn = state.pool.get().await?;
    let (row, author) = queries::find_live(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?;
    Ok(web::Json(Article::new(row, author_of(author))))
}

/// Create an article (admins). The slug is derived from the title when not given (with a
/// numeric suffix if that one is taken); a slug given explicitly and taken is a 409.
#[utoipa::path(
    tag = "articles",
    security(("bearer" = [])),
    request_body = CreateArticleRequest,
    responses(
        (status = 201, description = "Created", body = Article),
        BadRequest, Unauthorized, Forbidden, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[post("/articles")]
pub async fn create_article(
    state: web::Data<AppState>,
    admin: Admin,
    body: ApiJson<CreateArticleRequest, ARTICLE_BODY_LIMIT>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let input = body.parse()?;
    let now = state.clock.now();
    let mut conn = state.pool.get().await?;
    let row = match &input.slug {
        Some(slug) => queries::insert(&mut conn, &input, slug, admin.0.id, now)
            .await
            .map_err(slug_conflict)?,
        None => insert_with_derived_slug(&mut conn, &input, admin.0.id, now).await?,
    };
    let author = queries::public_user(&mut conn, admin.0.id).await?;
    let article = Article::new(row, author);
    Ok(HttpResponse::Created().json(article))
}

/// Inserts under the first free `<derived>`, `<derived>-2`… slug; when a concurrent create
/// takes the same one first, tries the next instead of answering a 409 for a slug the client
/// never chose.
async fn insert_with_derived_slug(
    conn: &mut diesel_async::AsyncPgConnection,
    input: &ArticleInput,
    author_id: i64,
    now: DateTime<Utc>,
) -> Result<ArticleRow, ApiError> {
    let base = derive_slug(&input.title);
    for _ in 0..5 {
        let slug = queries::free_slug(conn, &base).await?;
        match queries::insert(conn, input, &slug, author_id, now).await {
            Err(e) if violated_constraint(&e) == Some("articles_slug_key") => continue,
            other => return Ok(other?),
        }
    }
    Err(ApiError::conflict(
        "taken",
        "could not find a free slug; give one explicitly",
    ))
}

/// Change an article (admins); absent fields stay.
#[utoipa::path(
    tag = "articles",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = UpdateArticleRequest,
    responses(
        (status = 200, description = "The updated article", body = Article),
        BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[patch("/articles/{slug}")]
pub async fn update_article(
    state: web::Data<AppState>,
    _admin: Admin,
    slug: web::Path<String>,
    body: ApiJson<UpdateArticleRequest, ARTICLE_BODY_LIMIT>,
) -> Result<web::Json<Article>, ApiError> {
    let body = body.into_inner()?;
    let changes = body.parse(state.clock.now())?;
    let mut conn = state.pool.get().await?;
    let (id, _, _) = queries::find_live_id(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?;
    let row = queries::update(&mut conn, id, &changes)
        .await
        .map_err(slug_conflict)?;
    let author = queries::public_user(&mut conn, row.author_id).await?;
    Ok(web::Json(Article::new(row, author)))
}

/// Delete an article (admins). Soft: it and its thread vanish from every read, but comments,
/// votes and scores stay, so karma and track records do not change.
#[utoipa::path(
    tag = "articles",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug")),
    responses(
        (status = 204, description = "Deleted"),
        Unauthorized, Forbidden, NotFound, Unavailable
    )
)]
#[delete("/articles/{slug}")]
pub async fn delete_article(
    state: web::Data<AppState>,
    _admin: Admin,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let (id, _, _) = queries::find_live_id(&mut conn, &slug)
        .await?
        .ok_or_else(|| article_not_found(&slug))?;
    queries::soft_delete(&mut conn, id, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
