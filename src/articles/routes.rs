//! Article handlers: public reads, admin writes. Each extracts, makes one service call and
//! maps the result; `ArticleError` becomes a problem through `src/error/features.rs`.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::articles::model::*;
use crate::articles::service;
use crate::auth::Admin;
use crate::error::{ApiError, FieldErrors};
use crate::http::caching::{self, Rendered, Resource};
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
#[tracing::instrument(skip_all)]
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
    let page = service::list(&state.pool, tag.as_deref(), &list, limit, cursor).await?;
    Ok(web::Json(page))
}

/// One article with its body.
#[utoipa::path(
    tag = "articles",
    params(("slug" = String, Path, description = "The article's slug")),
    responses(
        (status = 200, description = "The article", body = Article, headers(("ETag" = String, description = "Strong tag of this representation (versions, query, reader)"), ("Cache-Control" = String, description = "public, max-age, s-maxage when anonymous; private, no-cache with a token"), ("Vary" = String, description = "Authorization"))),
        NotModified, NotFound, Unavailable
    )
)]
#[get("/articles/{slug}")]
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn get_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    caching::respond(&state, &req, None, Resource::Article(&slug), || async {
        Rendered::json(&service::get(&state.pool, &slug).await?)
    })
    .await
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
#[tracing::instrument(skip_all, fields(admin_id = admin.0.id.get()))]
pub async fn create_article(
    state: web::Data<AppState>,
    admin: Admin,
    body: ApiJson<CreateArticleRequest, ARTICLE_BODY_LIMIT>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner()?;
    let now = state.clock.now();
    let article = service::create(&state.pool, body, admin.0.id, now).await?;
    Ok(HttpResponse::Created().json(article))
}

/// Change an article (admins); absent fields stay.
#[utoipa::path(
    tag = "articles",
    security(("bearer" = [])),
    params(("slug" = String, Path, description = "The article's slug")),
    request_body = UpdateArticleRequest,
    responses(
        (status = 200, description = "The updated article", body = Article),
        PreconditionFailed, BadRequest, Unauthorized, Forbidden, NotFound, Conflict, TooLarge, UnsupportedType, Invalid, Unavailable
    )
)]
#[patch("/articles/{slug}")]
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn update_article(
    state: web::Data<AppState>,
    req: HttpRequest,
    _admin: Admin,
    slug: web::Path<String>,
    body: ApiJson<UpdateArticleRequest, ARTICLE_BODY_LIMIT>,
) -> Result<web::Json<Article>, ApiError> {
    let body = body.into_inner()?;
    let article = Resource::Article(&slug);
    caching::check_if_match(&state, &req, None, article, "/api/v1/articles/{slug}").await?;
    let article = service::update(&state.pool, &slug, body, state.clock.now()).await?;
    Ok(web::Json(article))
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
#[tracing::instrument(skip_all, fields(slug = %slug))]
pub async fn delete_article(
    state: web::Data<AppState>,
    _admin: Admin,
    slug: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    service::delete(&state.pool, &slug, state.clock.now()).await?;
    Ok(HttpResponse::NoContent().finish())
}
