//! HTTP caching of the read endpoints (issue 19): a strong `ETag` made of the versions of what
//! the response shows (`db/versions.rs`: one indexed lookup, bumped by every write in its own
//! transaction), the request's path and query and, for a signed-in reader, their id;
//! `If-None-Match` answers 304 before any page query runs; anonymous bodies are kept in an
//! in-process cache bounded in bytes (`PageCache`), keyed by the same tag, so a write makes the
//! old entries unreachable at once, on every instance (the versions live in the database).
//! `If-Match` on the PATCH routes compares with the tag a GET of the resource gives.

pub mod tag;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::future::LocalBoxFuture;
use serde::Serialize;

use crate::auth::AuthUser;
use crate::db::versions;
use crate::error::ApiError;
use crate::startup::AppState;
pub use versions::Resource;

/// How responses may be cached (README's configuration table).
#[derive(Debug, Clone, PartialEq)]
pub struct CacheSettings {
    /// Bytes of anonymous pages kept in memory (`HINDSIGHT_CACHE_MB`; 0 turns the cache off).
    pub cache_bytes: u64,
    /// `max-age` of anonymous responses: how long a browser may reuse one unasked.
    pub max_age: Duration,
    /// `s-maxage` of anonymous responses: how long a CDN or reverse proxy may.
    pub s_maxage: Duration,
}

impl Default for CacheSettings {
    fn default() -> Self {
        Self {
            cache_bytes: 64 * 1024 * 1024,
            max_age: Duration::from_secs(5),
            s_maxage: Duration::from_secs(10),
        }
    }
}

/// A rendered body and the media type it is served as.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The bytes sent.
    pub body: Bytes,
    /// `Content-Type`.
    pub content_type: &'static str,
}

impl Rendered {
    /// A JSON body, serialised once (the cache keeps the bytes, not the value).
    pub fn json<T: Serialize>(value: &T) -> Result<Self, ApiError> {
        Ok(Self {
            body: Bytes::from(serde_json::to_vec(value).map_err(ApiError::internal)?),
            content_type: "application/json",
        })
    }
}

/// Entry overhead counted besides key and body (moka's node, the Arc, the tag).
const ENTRY_OVERHEAD: usize = 160;

/// The in-process cache of anonymous bodies, bounded by their size in bytes; `None` inside when
/// `HINDSIGHT_CACHE_MB=0`. Keys hold the versions, so entries of an older version are never
/// read again and age out under the bound (least recently and frequently used first).
#[derive(Clone)]
pub struct PageCache(Option<moka::sync::Cache<String, Arc<Rendered>>>);

impl PageCache {
    /// A cache holding at most `bytes` of keys and bodies (0: no cache).
    pub fn new(bytes: u64) -> Self {
        if bytes == 0 {
            return Self(None);
        }
        let cache = moka::sync::Cache::builder()
            .max_capacity(bytes)
            .weigher(|key: &String, value: &Arc<Rendered>| {
                u32::try_from(weight(key, value)).unwrap_or(u32::MAX)
            })
            .build();
        Self(Some(cache))
    }

    /// The body stored under `key`, if any.
    pub fn get(&self, key: &str) -> Option<Arc<Rendered>> {
        self.0.as_ref().and_then(|c| c.get(key))
    }

    /// Stores a body (nothing when the cache is off).
    pub fn insert(&self, key: String, value: Arc<Rendered>) {
        if let Some(cache) = &self.0 {
            cache.insert(key, value);
        }
    }

    /// Bytes held now, as the weigher counts them (after pending evictions ran).
    pub fn weighted_size(&self) -> u64 {
        self.0.as_ref().map_or(0, |c| {
            c.run_pending_tasks();
            c.weighted_size()
        })
    }
}

/// What an entry counts against the bound.
fn weight(key: &str, value: &Rendered) -> usize {
    key.len() + value.body.len() + ENTRY_OVERHEAD
}

/// Answers a cacheable GET: looks up the versions of `resource`; answers 304 when
/// `If-None-Match` names the current tag; for an anonymous reader serves the cached body or
/// renders and stores it; for a signed-in one renders (their view differs: `my_vote`, own
/// forecasts) with a private tag. A resource without versions (not found) is rendered uncached,
/// so the handler's own 404 answers.
pub async fn respond<F, Fut>(
    state: &AppState,
    req: &HttpRequest,
    viewer: Option<&AuthUser>,
    resource: Resource<'_>,
    render: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Rendered, ApiError>>,
{
    let version = lookup(state, resource).await?;
    let Some(version) = version else {
        let rendered = render().await?;
        return Ok(ok(
            &rendered,
            None,
            viewer.is_some(),
            &state.settings.caching,
        ));
    };
    let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    let etag = tag::etag(&version, &route, req.query_string(), viewer.map(|u| u.id));
    let settings = &state.settings.caching;
    if tag::none_match(req, &etag) {
        let mut response = HttpResponse::NotModified().finish();
        headers(&mut response, &etag, viewer.is_some(), settings);
        return Ok(response);
    }
    if viewer.is_some() {
        let rendered = render().await?;
        return Ok(ok(&rendered, Some(&etag), true, settings));
    }
    if let Some(hit) = state.page_cache.get(&etag) {
        return Ok(ok(&hit, Some(&etag), false, settings));
    }
    let rendered = Arc::new(render().await?);
    state.page_cache.insert(etag.clone(), Arc::clone(&rendered));
    Ok(ok(&rendered, Some(&etag), false, settings))
}

/// Patches a reader's own data into the anonymous body (`None`: render it for them instead).
pub type Overlay = for<'a> fn(
    &'a AppState,
    &'a AuthUser,
    Bytes,
) -> LocalBoxFuture<'a, Result<Option<Bytes>, ApiError>>;

/// [`respond`] for pages whose signed-in form is the anonymous one plus the reader's own data:
/// a non-moderator reader gets the anonymous page (cached, or rendered by `anonymous` and
/// cached) with `overlay` applied, so the page query runs once for everyone; `personal`
/// renders the page for the reader when the overlay cannot (moderators, own removed comments).
pub async fn respond_overlaid<A, AF, P, PF>(
    state: &AppState,
    req: &HttpRequest,
    viewer: Option<&AuthUser>,
    resource: Resource<'_>,
    overlay: Overlay,
    anonymous: A,
    personal: P,
) -> Result<HttpResponse, ApiError>
where
    A: FnOnce() -> AF,
    AF: Future<Output = Result<Rendered, ApiError>>,
    P: FnOnce() -> PF,
    PF: Future<Output = Result<Rendered, ApiError>>,
{
    let Some(user) = viewer.filter(|u| !u.role.is_moderator()) else {
        return match viewer {
            Some(_) => respond(state, req, viewer, resource, personal).await,
            None => respond(state, req, None, resource, anonymous).await,
        };
    };
    let Some(version) = lookup(state, resource).await? else {
        let rendered = personal().await?;
        return Ok(ok(&rendered, None, true, &state.settings.caching));
    };
    let route = req.match_pattern().unwrap_or_else(|| req.path().to_owned());
    let settings = &state.settings.caching;
    let etag = tag::etag(&version, &route, req.query_string(), Some(user.id));
    if tag::none_match(req, &etag) {
        let mut response = HttpResponse::NotModified().finish();
        headers(&mut response, &etag, true, settings);
        return Ok(response);
    }
    let shared = tag::etag(&version, &route, req.query_string(), None);
    let page = match state.page_cache.get(&shared) {
        Some(hit) => hit,
        None => {
            let rendered = Arc::new(anonymous().await?);
            state.page_cache.insert(shared, Arc::clone(&rendered));
            rendered
        }
    };
    let rendered = match overlay(state, user, page.body.clone()).await? {
        Some(body) => Rendered {
            body,
            content_type: page.content_type,
        },
        None => personal().await?,
    };
    Ok(ok(&rendered, Some(&etag), true, settings))
}

/// The versions of `resource` (one statement on a pooled connection).
async fn lookup(state: &AppState, resource: Resource<'_>) -> Result<Option<String>, ApiError> {
    let mut conn = state.pool.get().await.map_err(ApiError::from)?;
    Ok(versions::lookup(&mut conn, resource).await?)
}

/// Refuses a write whose `If-Match` names a tag other than the ones a GET of `resource` at the
/// route pattern `get_route` (e.g. `/api/v1/comments/{id}`, no query) gives now, anonymously or
/// to `viewer` (412). Without `If-Match` the write goes ahead as before.
/// The check runs just before the write's transaction: two writes racing within that window
/// can both pass; the next one with the older tag is refused.
pub async fn check_if_match(
    state: &AppState,
    req: &HttpRequest,
    viewer: Option<&AuthUser>,
    resource: Resource<'_>,
    get_route: &str,
) -> Result<(), ApiError> {
    let Some(wanted) = tag::if_match(req) else {
        return Ok(());
    };
    let version = lookup(state, resource).await?;
    let Some(version) = version else {
        // Missing: the write's own 404 answers.
        return Ok(());
    };
    let anonymous = tag::etag(&version, get_route, "", None);
    let own = viewer.map(|u| tag::etag(&version, get_route, "", Some(u.id)));
    if wanted.matches(&anonymous) || own.is_some_and(|t| wanted.matches(&t)) {
        Ok(())
    } else {
        Err(ApiError::PreconditionFailed)
    }
}

/// A 200 with the body and the caching headers.
fn ok(
    rendered: &Rendered,
    etag: Option<&str>,
    private: bool,
    settings: &CacheSettings,
) -> HttpResponse {
    let mut response = HttpResponse::build(StatusCode::OK)
        .content_type(rendered.content_type)
        .body(rendered.body.clone());
    match etag {
        Some(etag) => headers(&mut response, etag, private, settings),
        None => {
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
    }
    response
}

/// `ETag`, `Cache-Control` and `Vary` of a cacheable answer (200 or 304).
fn headers(response: &mut HttpResponse, etag: &str, private: bool, settings: &CacheSettings) {
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(etag) {
        headers.insert(header::ETAG, value);
    }
    let control = if private {
        "private, no-cache".to_owned()
    } else {
        format!(
            "public, max-age={}, s-maxage={}",
            settings.max_age.as_secs(),
            settings.s_maxage.as_secs()
        )
    };
    if let Ok(value) = HeaderValue::from_str(&control) {
        headers.insert(header::CACHE_CONTROL, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Authorization"));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(n: usize) -> Arc<Rendered> {
        Arc::new(Rendered {
            body: Bytes::from(vec![b'x'; n]),
            content_type: "application/json",
        })
    }

    #[test]
    fn the_cache_stays_within_its_bound_in_bytes() {
        let cache = PageCache::new(1024 * 1024);
        for i in 0..200 {
            cache.insert(format!("key-{i}"), page(20 * 1024));
        }
        let held = cache.weighted_size();
        assert!(held <= 1024 * 1024, "held {held} bytes");
        assert!(held >= 512 * 1024, "held only {held} bytes");
    }

    #[test]
    fn a_zero_bound_turns_the_cache_off() {
        let cache = PageCache::new(0);
        cache.insert("k".to_owned(), page(10));
        assert!(cache.get("k").is_none());
        assert_eq!(cache.weighted_size(), 0);
    }

    #[test]
    fn an_entry_weighs_its_key_body_and_overhead() {
        assert_eq!(weight("abc", &page(100)), 3 + 100 + ENTRY_OVERHEAD);
    }
}
