//! The widget's routes: `GET /embed.js`, `GET /embed/{slug}`, `GET /widget/{file}`,
//! `GET /demo/` (and `/demo`, redirected). Static files answer with their ETag (304 when it
//! matches) and a short public cache lifetime; the pages carry the strict policy of `csp.rs`.
//! They are not API operations, so they stay out of the OpenAPI document.

use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Compress;
use actix_web::{web, HttpRequest, HttpResponse};

use super::assets::{self, Asset};
use super::csp;
use crate::error::ApiError;
use crate::startup::AppState;

/// How long browsers and caches may keep a static file before asking again (with its ETag).
/// Short: the files are not fingerprinted, and a new release should reach readers soon.
const STATIC_CACHE: &str = "public, max-age=300";

/// Where the iframe document lists the host-page origins it may send its height to.
const ORIGINS_PLACEHOLDER: &str = "{{EMBED_ORIGINS}}";

/// Registers the widget's routes, each compressed (gzip when the client accepts it); any
/// other method answers the API's 405 problem.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/embed.js")
            .wrap(Compress::default())
            .route(web::get().to(loader))
            .default_service(web::to(get_only)),
    )
    .service(
        web::resource("/embed/{slug}")
            .wrap(Compress::default())
            .route(web::get().to(embed_page))
            .default_service(web::to(get_only)),
    )
    .service(
        web::resource("/widget/{file}")
            .wrap(Compress::default())
            .route(web::get().to(widget_file))
            .default_service(web::to(get_only)),
    )
    .service(
        web::resource("/demo/")
            .wrap(Compress::default())
            .route(web::get().to(demo_page))
            .default_service(web::to(get_only)),
    )
    .service(
        web::resource("/demo")
            .route(web::get().to(demo_redirect))
            .default_service(web::to(get_only)),
    );
}

/// Any method but GET (and HEAD, which actix answers through GET) on a widget route.
async fn get_only() -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(vec![
        actix_web::http::Method::GET,
    ]))
}

/// Whether the request's `If-None-Match` names `etag` (or `*`).
fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| {
            value
                .split(',')
                .map(str::trim)
                .any(|tag| tag == etag || tag == "*" || tag.strip_prefix("W/") == Some(etag))
        })
}

/// A static file with its type, ETag and cache lifetime, or 304 when the client has it.
fn static_file(req: &HttpRequest, asset: &Asset) -> HttpResponse {
    let etag = asset.etag();
    let mut response = if not_modified(req, etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type(asset.content_type)
            .body(asset.body)
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(STATIC_CACHE),
    );
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    response
}

/// A page: always revalidated (its policy follows the settings), with its policy.
fn page(req: &HttpRequest, body: Vec<u8>, policy: &str) -> HttpResponse {
    let etag = assets::etag_of(&body);
    let mut response = if not_modified(req, &etag) {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body)
    };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if let Ok(value) = HeaderValue::from_str(policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    response
}

/// Escapes text for an HTML attribute value in double quotes.
fn escape_attribute(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /embed.js`: the loader host pages include; it mounts the iframe.
async fn loader(req: HttpRequest) -> HttpResponse {
    static_file(&req, &assets::LOADER)
}

/// `GET /embed/{slug}`: the iframe document. The slug is not written into it: the script
/// reads it from the URL (an unknown slug is shown as such by the widget). The listed host
/// origins are, escaped, so the widget sends its height only to a listed parent.
async fn embed_page(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let origins = &state.settings.embed_origins;
    let template = String::from_utf8_lossy(assets::EMBED_PAGE.body);
    let body = template.replace(ORIGINS_PLACEHOLDER, &escape_attribute(&origins.join(" ")));
    page(&req, body.into_bytes(), &csp::embed_policy(origins))
}

/// `GET /widget/{file}`: a module or stylesheet of the widget; 404 for any other name.
async fn widget_file(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    match assets::widget_file(&file) {
        Some(asset) => Ok(static_file(&req, asset)),
        None => Err(ApiError::not_found(format!("no widget file {file}"))),
    }
}

/// `GET /demo/`: the demo news page (the demo article, the widget under it).
async fn demo_page(req: HttpRequest) -> HttpResponse {
    page(&req, assets::DEMO_PAGE.body.to_vec(), csp::demo_policy())
}

/// `GET /demo`: to `/demo/`, so the page's relative links resolve.
async fn demo_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/demo/"))
        .finish()
}

#[cfg(test)]
mod tests {
    use super::escape_attribute;

    #[test]
    fn attribute_text_cannot_close_the_attribute() {
        assert_eq!(
            escape_attribute("a\"><script>'&"),
            "a&quot;&gt;&lt;script&gt;&#39;&amp;"
        );
    }
}
