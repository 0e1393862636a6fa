//! The problem types the service answers: one enum, so a handler cannot invent a slug and
//! the documents (openapi.yaml, README) are checked against one list.

/// Every problem `type` the service answers (the part after `/problems/`), with its status.
/// The OpenAPI document lists them for `Problem.type` and README's table lists the same; tests
/// check both against [`ProblemKind::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// `/problems/malformed-body` (400).
    MalformedBody,
    /// `/problems/unauthenticated` (401).
    Unauthenticated,
    /// `/problems/invalid-credentials` (401).
    InvalidCredentials,
    /// `/problems/forbidden` (403).
    Forbidden,
    /// `/problems/wrong-password` (403).
    WrongPassword,
    /// `/problems/cors-origin-not-allowed` (403).
    CorsOriginNotAllowed,
    /// `/problems/own-comment` (403).
    OwnComment,
    /// `/problems/thread-locked` (403).
    ThreadLocked,
    /// `/problems/banned` (403).
    Banned,
    /// `/problems/email-unverified` (403).
    EmailUnverified,
    /// `/problems/not-found` (404).
    NotFound,
    /// `/problems/method-not-allowed` (405).
    MethodNotAllowed,
    /// `/problems/conflict` (409).
    Conflict,
    /// `/problems/parent-not-live` (409).
    ParentNotLive,
    /// `/problems/comment-not-live` (409).
    CommentNotLive,
    /// `/problems/prediction-closed` (409).
    PredictionClosed,
    /// `/problems/prediction-has-forecasts` (409).
    PredictionHasForecasts,
    /// `/problems/prediction-hidden` (409).
    PredictionHidden,
    /// `/problems/too-many-pins` (409).
    TooManyPins,
    /// `/problems/already-reported` (409).
    AlreadyReported,
    /// `/problems/no-open-reports` (409).
    NoOpenReports,
    /// `/problems/not-banned` (409).
    NotBanned,
    /// `/problems/comment-not-removed` (409).
    CommentNotRemoved,
    /// `/problems/last-admin` (409).
    LastAdmin,
    /// `/problems/account-deleted` (409).
    AccountDeleted,
    /// `/problems/taken` (409).
    Taken,
    /// `/problems/precondition-failed` (412).
    PreconditionFailed,
    /// `/problems/payload-too-large` (413).
    PayloadTooLarge,
    /// `/problems/uri-too-long` (414).
    UriTooLong,
    /// `/problems/unsupported-media-type` (415).
    UnsupportedMediaType,
    /// `/problems/validation` (422).
    Validation,
    /// `/problems/rate-limited` (429).
    RateLimited,
    /// `/problems/headers-too-large` (431).
    HeadersTooLarge,
    /// `/problems/internal` (500).
    Internal,
    /// `/problems/unavailable` (503).
    Unavailable,
}

impl ProblemKind {
    /// Every kind, in the order the documents list them.
    pub const ALL: [Self; 35] = [
        Self::MalformedBody,
        Self::Unauthenticated,
        Self::InvalidCredentials,
        Self::Forbidden,
        Self::WrongPassword,
        Self::CorsOriginNotAllowed,
        Self::OwnComment,
        Self::ThreadLocked,
        Self::Banned,
        Self::EmailUnverified,
        Self::NotFound,
        Self::MethodNotAllowed,
        Self::Conflict,
        Self::ParentNotLive,
        Self::CommentNotLive,
        Self::PredictionClosed,
        Self::PredictionHasForecasts,
        Self::PredictionHidden,
        Self::TooManyPins,
        Self::AlreadyReported,
        Self::NoOpenReports,
        Self::NotBanned,
        Self::CommentNotRemoved,
        Self::LastAdmin,
        Self::AccountDeleted,
        Self::Taken,
        Self::PreconditionFailed,
        Self::PayloadTooLarge,
        Self::UriTooLong,
        Self::UnsupportedMediaType,
        Self::Validation,
        Self::RateLimited,
        Self::HeadersTooLarge,
        Self::Internal,
        Self::Unavailable,
    ];

    /// The slug after `/problems/`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::MalformedBody => "malformed-body",
            Self::Unauthenticated => "unauthenticated",
            Self::InvalidCredentials => "invalid-credentials",
            Self::Forbidden => "forbidden",
            Self::WrongPassword => "wrong-password",
            Self::CorsOriginNotAllowed => "cors-origin-not-allowed",
            Self::OwnComment => "own-comment",
            Self::ThreadLocked => "thread-locked",
            Self::Banned => "banned",
            Self::EmailUnverified => "email-unverified",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict => "conflict",
            Self::ParentNotLive => "parent-not-live",
            Self::CommentNotLive => "comment-not-live",
            Self::PredictionClosed => "prediction-closed",
            Self::PredictionHasForecasts => "prediction-has-forecasts",
            Self::PredictionHidden => "prediction-hidden",
            Self::TooManyPins => "too-many-pins",
            Self::AlreadyReported => "already-reported",
            Self::NoOpenReports => "no-open-reports",
            Self::NotBanned => "not-banned",
            Self::CommentNotRemoved => "comment-not-removed",
            Self::LastAdmin => "last-admin",
            Self::AccountDeleted => "account-deleted",
            Self::Taken => "taken",
            Self::PreconditionFailed => "precondition-failed",
            Self::PayloadTooLarge => "payload-too-large",
            Self::UriTooLong => "uri-too-long",
            Self::UnsupportedMediaType => "unsupported-media-type",
            Self::Validation => "validation",
            Self::RateLimited => "rate-limited",
            Self::HeadersTooLarge => "headers-too-large",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
        }
    }

    /// The HTTP status every problem of this kind answers with.
    pub fn status(self) -> u16 {
        match self {
            Self::MalformedBody => 400,
            Self::Unauthenticated | Self::InvalidCredentials => 401,
            Self::Forbidden
            | Self::WrongPassword
            | Self::CorsOriginNotAllowed
            | Self::OwnComment
            | Self::ThreadLocked
            | Self::Banned
            | Self::EmailUnverified => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict
            | Self::ParentNotLive
            | Self::CommentNotLive
            | Self::PredictionClosed
            | Self::PredictionHasForecasts
            | Self::PredictionHidden
            | Self::TooManyPins
            | Self::AlreadyReported
            | Self::NoOpenReports
            | Self::NotBanned
            | Self::CommentNotRemoved
            | Self::LastAdmin
            | Self::AccountDeleted
            | Self::Taken => 409,
            Self::PreconditionFailed => 412,
            Self::PayloadTooLarge => 413,
            Self::UriTooLong => 414,
            Self::UnsupportedMediaType => 415,
            Self::Validation => 422,
            Self::RateLimited => 429,
            Self::HeadersTooLarge => 431,
            Self::Internal => 500,
            Self::Unavailable => 503,
        }
    }
}
