//! `Idempotency-Key` on POSTs that create (issue 19): a retry with the same key within
//! [`TTL_HOURS`] is answered with the first answer (status, `Content-Type`, body, plus
//! `Idempotent-Replayed: true`) and creates nothing; the same key with another request (method,
//! path or raw body differ) is a 422 naming `Idempotency-Key`.
//!
//! Keys are scoped: per authenticated user (`user:<id>`), and per client IP for registration
//! (`register:<ip>`). Only successful answers (2xx) are stored: a refused request releases its
//! key, so the retry runs again. A registration stores the account, never its tokens: its
//! replay logs in with the (fingerprinted, hence identical) credentials for a fresh session. Two ways to keep the key with its effect:
//! - in the write's own transaction ([`claim`] then [`complete`] on the write's connection;
//!   comments): the key and the comment commit together, and a concurrent duplicate waits on
//!   the key's row until the first commits, then gets its answer;
//! - around a write that runs its own transactions ([`around`]; reports, resolutions,
//!   registration): the claim commits first; a concurrent duplicate meanwhile gets a 409, and a
//!   crash between the write and the stored answer leaves the claim, so retries get 409 until
//!   the key expires (never a second write).

pub mod queries;

use std::future::Future;

use actix_web::body::MessageBody;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use sha2::{Digest, Sha256};

use crate::db::DbPool;
use crate::error::{ApiError, FieldError, ProblemKind};

/// The request header.
pub const HEADER: &str = "Idempotency-Key";

/// The answer header that marks a replay.
pub const REPLAYED: &str = "Idempotent-Replayed";

/// How long a key is remembered.
pub const TTL_HOURS: i64 = 24;

/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// A request carrying a valid key: where it is scoped, the key, and the request's fingerprint.
#[derive(Debug, Clone)]
pub struct Keyed {
    scope: String,
    key: String,
    fingerprint: [u8; 32],
}

/// What a claim found.
pub enum Claim {
    /// The key is this request's: run the write, then [`complete`].
    Claimed,
    /// The first answer, to send again.
    Replay(Answer),
}

/// An answer as stored under a key: plain data (unlike `HttpResponse`, it may cross the
/// `Send` bound of a database transaction).
#[derive(Debug, Clone)]
pub struct Answer {
    /// Status.
    pub status: StatusCode,
    /// `Content-Type`.
    pub content_type: String,
    /// Body.
    pub body: Bytes,
    /// Whether it is a replay (adds `Idempotent-Replayed: true`).
    pub replayed: bool,
}

impl Answer {
    /// A JSON answer.
    pub fn json<T: serde::Serialize>(status: StatusCode, value: &T) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value)
            .map_err(|e| ApiError::internal(anyhow::anyhow!("encoding an answer: {e}")))?;
        Ok(Self {
            status,
            content_type: "application/json".to_owned(),
            body: body.into(),
            replayed: false,
        })
    }

    /// The response to send.
    pub fn into_response(self) -> HttpResponse {
        let mut answer = HttpResponse::build(self.status);
        answer.content_type(self.content_type);
        if self.replayed {
            answer.insert_header((REPLAYED, "true"));
        }
        answer.body(self.body)
    }
}

fn invalid_key(code: &str, message: &str) -> ApiError {
    ApiError::Validation(vec![FieldError::new(HEADER, code, message)])
}

/// The request's key scoped to `scope`, or None without the header; a 422 naming
/// `Idempotency-Key` when it is not 1–255 visible ASCII characters. `body_digest` is the SHA-256
/// of the raw body (`ApiJson::digest`).
pub fn keyed(
    req: &HttpRequest,
    scope: String,
    body_digest: Option<[u8; 32]>,
) -> Result<Option<Keyed>, ApiError> {
    let mut values = req.headers().get_all(HEADER);
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(invalid_key("repeated", "send one Idempotency-Key header"));
    }
    let bytes = value.as_bytes();
    if bytes.is_empty() || bytes.len() > MAX_KEY_LEN || !bytes.iter().all(|b| b.is_ascii_graphic())
    {
        return Err(invalid_key(
            "invalid",
            "an Idempotency-Key is 1 to 255 visible ASCII characters",
        ));
    }
    let key = String::from_utf8_lossy(bytes).into_owned();
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update([0]);
    hash.update(req.path());
    hash.update([0]);
    hash.update(body_digest.unwrap_or_default());
    Ok(Some(Keyed {
        scope,
        key,
        fingerprint: hash.finalize().into(),
    }))
}

/// Claims the key on `conn` (in the caller's transaction when it has one), or finds the first
/// answer (replay), a different request (422) or one still running (409).
pub async fn claim(
    conn: &mut AsyncPgConnection,
    keyed: &Keyed,
    now: DateTime<Utc>,
) -> Result<Claim, ApiError> {
    let (scope, key) = (&keyed.scope, &keyed.key);
    if queries::claim(conn, scope, key, &keyed.fingerprint, now, TTL_HOURS).await? {
        return Ok(Claim::Claimed);
    }
    let Some(stored) = queries::stored(conn, scope, key).await? else {
        // Released between the two statements: the key is free again; the client retries.
        return Err(in_progress());
    };
    if stored.fingerprint != keyed.fingerprint {
        return Err(invalid_key(
            "reused",
            "this Idempotency-Key was used with a different request",
        ));
    }
    match (stored.status, stored.body) {
        (Some(status), Some(body)) => Ok(Claim::Replay(Answer {
            status: u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK),
            content_type: stored
                .content_type
                .unwrap_or_else(|| "application/json".to_owned()),
            body: body.into(),
            replayed: true,
        })),
        _ => Err(in_progress()),
    }
}

fn in_progress() -> ApiError {
    ApiError::Conflict {
        kind: ProblemKind::Conflict,
        detail: "a request with this Idempotency-Key is still being processed; retry shortly"
            .to_owned(),
        errors: vec![FieldError::new(
            HEADER,
            "in_progress",
            "a request with this key is running",
        )],
    }
}

/// Stores a successful answer under the claimed key.
pub async fn complete(
    conn: &mut AsyncPgConnection,
    keyed: &Keyed,
    answer: &Answer,
) -> Result<(), ApiError> {
    queries::complete(
        conn,
        &keyed.scope,
        &keyed.key,
        answer.status.as_u16(),
        &answer.content_type,
        &answer.body,
    )
    .await?;
    Ok(())
}

/// Drops the claim of a refused request, so a retry with the key runs again.
pub async fn release(conn: &mut AsyncPgConnection, keyed: &Keyed) -> Result<(), ApiError> {
    queries::release(conn, &keyed.scope, &keyed.key).await?;
    Ok(())
}

/// The answer of a handler as data (its body must be in memory, as JSON answers are).
async fn answer_of(response: HttpResponse) -> Result<Answer, ApiError> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_owned();
    let body = response.into_body().try_into_bytes().map_err(|_| {
        ApiError::internal(anyhow::anyhow!("an idempotent answer is not in memory"))
    })?;
    Ok(Answer {
        status,
        content_type,
        body,
        replayed: false,
    })
}

/// Runs `write` under the key when there is one, for writes with transactions of their own:
/// claim (committed), the write, then its answer stored (2xx) or the claim released.
pub async fn around<F, Fut>(
    pool: &DbPool,
    keyed: Option<Keyed>,
    now: DateTime<Utc>,
    write: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<HttpResponse, ApiError>>,
{
    let Some(keyed) = keyed else {
        return write().await;
    };
    {
        let mut conn = pool.get().await?;
        if let Claim::Replay(answer) = claim(&mut conn, &keyed, now).await? {
            return Ok(answer.into_response());
        }
    }
    let outcome = write().await;
    let mut conn = pool.get().await?;
    match outcome {
        Ok(response) if response.status().is_success() => {
            let answer = answer_of(response).await?;
            complete(&mut conn, &keyed, &answer).await?;
            Ok(answer.into_response())
        }
        other => {
            release(&mut conn, &keyed).await?;
            other
        }
    }
}
