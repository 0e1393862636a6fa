//! Settings: defaults, then the optional `hindsight.toml` (`--config`), then environment
//! variables (`HINDSIGHT_*`, plus `DATABASE_URL`), merged by figment (`sources.rs`) and
//! validated once at startup. There is no global settings static: each `Application` gets its
//! own `Settings`, so tests can vary them per app.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use self::lists::{ip_addresses, is_plain_origin, List};
use self::rate_limits::RawRateLimits;
use self::sources::Sources;

mod lists;
mod rate_limits;
mod sources;
#[cfg(test)]
mod tests;

/// The database used when neither `DATABASE_URL` nor the file names one.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/hindsight";

/// The shortest `event_retention_hours`: the live log is kept at least a day, so that a client
/// offline overnight is replayed what it missed instead of being told to reload.
pub const MIN_EVENT_RETENTION: Duration = Duration::from_secs(24 * 3_600);

/// A value that must never reach a log line or a Debug dump (JWT secrets, passwords).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a sensitive string.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// How log lines are written: human-readable for development, JSON lines for collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Pretty,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            other => Err(format!("expected `pretty` or `json`, got `{other}`")),
        }
    }
}

/// Everything the service can be configured with; README documents each field.
#[derive(Debug, Clone)]
pub struct Settings {
    /// PostgreSQL URL; the database is created when missing.
    pub database_url: String,
    /// Address the HTTP server binds (`127.0.0.1:0` in tests).
    pub bind: String,
    /// Log line format.
    pub log_format: LogFormat,
    /// Browser origins allowed to call the API cross-origin; empty means none.
    pub cors_origins: Vec<String>,
    /// Host-page origins allowed to frame the comment widget (`/embed/{slug}`) and to receive
    /// its resize messages; the service's own origin is always allowed. Empty means only it.
    pub embed_origins: Vec<String>,
    /// Maximum number of pooled database connections.
    pub pool_size: usize,
    /// How long a request waits for a pooled connection before answering 503.
    pub pool_timeout: Duration,
    /// `statement_timeout` set on every pooled connection.
    pub statement_timeout: Duration,
    /// JWT signing secret; when absent one is generated once and kept in the database.
    pub jwt_secret: Option<Secret>,
    /// Lifetime of access tokens.
    pub access_token_ttl: Duration,
    /// Lifetime of refresh tokens.
    pub refresh_token_ttl: Duration,
    /// How long in-flight requests may take to finish after SIGTERM/SIGINT.
    pub shutdown_timeout: Duration,
    /// Number of HTTP worker threads (default: the number of cores).
    pub workers: usize,
    /// How often the hot rank of recent comments is recomputed; zero turns it off.
    pub hot_refresh: Duration,
    /// Rate limits per action.
    pub rate_limits: crate::http::rate_limit::RateLimits,
    /// Proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Whether `GET /metrics` is served.
    pub metrics: bool,
    /// Live streams (SSE): heartbeat, buffers, limits, tickets.
    pub streams: crate::events::StreamSettings,
    /// How often passed prediction deadlines are announced; zero turns it off.
    pub deadline_job: Duration,
    /// How often old notifications, events and stream tickets are deleted; zero turns it off.
    pub retention_job: Duration,
    /// How long notifications are kept.
    pub notification_retention: Duration,
    /// How long events of the live log are kept (a stream resuming from an older id resets).
    pub event_retention: Duration,
    /// Outgoing mail: the SMTP server, the sender, links, the outbox worker.
    pub mail: crate::mail::MailSettings,
    /// Whether accounts without a verified address are read-only (403
    /// `/problems/email-unverified` on writes). Needs `smtp_url`: the links go out by mail.
    pub require_verified_email: bool,
    /// The PostgreSQL text search configuration search uses (`english`, `german`, `simple`…);
    /// changing it re-indexes at startup. Every instance must use the same one.
    pub search_language: String,
    /// HTTP caching: the page cache's bound and the anonymous `Cache-Control` ages.
    pub caching: crate::http::caching::CacheSettings,
}

/// A setting that could not be used: the variable or file key, where it came from and why.
/// The message never carries the value of a secret.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting} in {origin}: {message}")]
pub struct ConfigError {
    /// The environment variable or dotted file key at fault (`--config` for the file itself).
    pub setting: String,
    /// Where the value came from: `the environment`, the file's path or `the defaults`.
    pub origin: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    fn new(
        setting: impl Into<String>,
        origin: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            setting: setting.into(),
            origin: origin.into(),
            message: message.into(),
        }
    }
}

/// The merged file and environment: the file's key names, every setting optional (the
/// defaults fill the rest), numbers and switches possibly given as strings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    database_url: Option<String>,
    bind: Option<String>,
    log_format: Option<String>,
    cors_origins: Option<List>,
    embed_origins: Option<List>,
    pool_size: Option<usize>,
    pool_timeout_ms: Option<u64>,
    statement_timeout_ms: Option<u64>,
    jwt_secret: Option<String>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_days: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    workers: Option<usize>,
    hot_refresh_secs: Option<u64>,
    #[serde(default)]
    rate_limits: RawRateLimits,
    trusted_proxies: Option<List>,
    metrics: Option<bool>,
    stream_heartbeat_ms: Option<u64>,
    stream_retry_ms: Option<u64>,
    stream_poll_ms: Option<u64>,
    stream_buffer: Option<usize>,
    streams_per_ip: Option<usize>,
    streams_per_user: Option<usize>,
    stream_ticket_ttl_secs: Option<u64>,
    deadline_job_secs: Option<u64>,
    retention_job_secs: Option<u64>,
    notification_retention_days: Option<u64>,
    event_retention_hours: Option<u64>,
    smtp_url: Option<String>,
    smtp_ca_file: Option<String>,
    mail_from: Option<String>,
    public_url: Option<String>,
    mail_poll_ms: Option<u64>,
    mail_max_attempts: Option<u32>,
    require_verified_email: Option<bool>,
    search_language: Option<String>,
    cache_mb: Option<u64>,
    cache_max_age_secs: Option<u64>,
    cache_s_maxage_secs: Option<u64>,
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

impl Settings {
    /// Reads the process environment and the optional file (`--config`), or fails naming the setting.
    pub fn load(config_file: Option<&Path>) -> Result<Self, ConfigError> {
        let env: HashMap<String, String> = std::env::vars().collect();
        Self::from_sources(config_file, &env)
    }

    /// Builds settings from an explicit environment map, so tests need not touch the process env.
    pub fn from_sources(
        config_file: Option<&Path>,
        env: &HashMap<String, String>,
    ) -> Result<Self, ConfigError> {
        let sources = Sources::new(config_file, env);
        let raw: Raw = sources.extract()?;
        let settings = Self::from_raw(raw, &sources)?;
        settings.validate(&sources)?;
        Ok(settings)
    }

    /// The defaults with every given value over them.
    fn from_raw(raw: Raw, sources: &Sources) -> Result<Self, ConfigError> {
        let defaults = Self::defaults();
        let secs = |value: Option<u64>, default| value.map_or(default, Duration::from_secs);
        let millis = |value: Option<u64>, default| value.map_or(default, Duration::from_millis);
        Ok(Self {
            database_url: raw.database_url.unwrap_or(defaults.database_url),
            bind: raw.bind.unwrap_or(defaults.bind),
            log_format: match raw.log_format {
                Some(value) => value
                    .parse()
                    .map_err(|e: String| sources.error("log_format", e))?,
                None => defaults.log_format,
            },
            cors_origins: raw.cors_origins.unwrap_or_default().0,
            embed_origins: raw.embed_origins.unwrap_or_default().0,
            pool_size: raw.pool_size.unwrap_or(defaults.pool_size),
            pool_timeout: millis(raw.pool_timeout_ms, defaults.pool_timeout),
            statement_timeout: millis(raw.statement_timeout_ms, defaults.statement_timeout),
            jwt_secret: raw.jwt_secret.map(Secret::new),
            access_token_ttl: secs(raw.access_token_ttl_secs, defaults.access_token_ttl),
            refresh_token_ttl: secs(
                raw.refresh_token_ttl_days.map(|d| d.saturating_mul(86_400)),
                defaults.refresh_token_ttl,
            ),
            shutdown_timeout: secs(raw.shutdown_timeout_secs, defaults.shutdown_timeout),
            workers: raw.workers.unwrap_or(defaults.workers),
            hot_refresh: secs(raw.hot_refresh_secs, defaults.hot_refresh),
            rate_limits: raw.rate_limits.into_limits(sources)?,
            trusted_proxies: ip_addresses(raw.trusted_proxies.unwrap_or_default(), sources)?,
            metrics: raw.metrics.unwrap_or(defaults.metrics),
            streams: crate::events::StreamSettings {
                heartbeat: millis(raw.stream_heartbeat_ms, defaults.streams.heartbeat),
                retry: millis(raw.stream_retry_ms, defaults.streams.retry),
                poll: millis(raw.stream_poll_ms, defaults.streams.poll),
                buffer: raw.stream_buffer.unwrap_or(defaults.streams.buffer),
                per_ip: raw.streams_per_ip.unwrap_or(defaults.streams.per_ip),
                per_user: raw.streams_per_user.unwrap_or(defaults.streams.per_user),
                ticket_ttl: secs(raw.stream_ticket_ttl_secs, defaults.streams.ticket_ttl),
            },
            deadline_job: secs(raw.deadline_job_secs, defaults.deadline_job),
            retention_job: secs(raw.retention_job_secs, defaults.retention_job),
            notification_retention: secs(
                raw.notification_retention_days
                    .map(|d| d.saturating_mul(86_400)),
                defaults.notification_retention,
            ),
            event_retention: secs(
                raw.event_retention_hours.map(|h| h.saturating_mul(3_600)),
                defaults.event_retention,
            ),
            mail: crate::mail::MailSettings {
                smtp_url: raw.smtp_url.map(Secret::new),
                smtp_ca_file: raw.smtp_ca_file.map(std::path::PathBuf::from),
                from: raw.mail_from.unwrap_or(defaults.mail.from),
                public_url: raw.public_url.unwrap_or(defaults.mail.public_url),
                poll: millis(raw.mail_poll_ms, defaults.mail.poll),
                max_attempts: raw.mail_max_attempts.unwrap_or(defaults.mail.max_attempts),
            },
            require_verified_email: raw
                .require_verified_email
                .unwrap_or(defaults.require_verified_email),
            search_language: raw.search_language.unwrap_or(defaults.search_language),
            caching: crate::http::caching::CacheSettings {
                cache_bytes: raw.cache_mb.map_or(defaults.caching.cache_bytes, |mb| {
                    mb.saturating_mul(1024 * 1024)
                }),
                max_age: secs(raw.cache_max_age_secs, defaults.caching.max_age),
                s_maxage: secs(raw.cache_s_maxage_secs, defaults.caching.s_maxage),
            },
        })
    }

    /// The documented defaults (README's configuration table).
    pub fn defaults() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            log_format: LogFormat::Pretty,
            cors_origins: Vec::new(),
            embed_origins: Vec::new(),
            pool_size: 2 * cores() + 2,
            pool_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
            jwt_secret: None,
            access_token_ttl: Duration::from_secs(900),
            refresh_token_ttl: Duration::from_secs(30 * 86_400),
            shutdown_timeout: Duration::from_secs(30),
            workers: cores(),
            hot_refresh: Duration::from_secs(60),
            rate_limits: crate::http::rate_limit::RateLimits::default(),
            trusted_proxies: Vec::new(),
            metrics: true,
            streams: crate::events::StreamSettings::default(),
            deadline_job: Duration::from_secs(60),
            retention_job: Duration::from_secs(3_600),
            notification_retention: Duration::from_secs(90 * 86_400),
            event_retention: Duration::from_secs(48 * 3_600),
            mail: crate::mail::MailSettings::default(),
            require_verified_email: false,
            search_language: "english".to_owned(),
            caching: crate::http::caching::CacheSettings::default(),
        }
    }

    /// Rules across values that deserializing cannot check; errors name the value's source.
    fn validate(&self, sources: &Sources) -> Result<(), ConfigError> {
        let url = &self.database_url;
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            return Err(sources.error("database_url", "must be a postgres:// or postgresql:// URL"));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(sources.error(
                "bind",
                format!("`{}` is not an address like 127.0.0.1:8080", self.bind),
            ));
        }
        let at_least_one = [
            ("pool_size", self.pool_size == 0),
            ("workers", self.workers == 0),
            ("pool_timeout_ms", self.pool_timeout.is_zero()),
            ("access_token_ttl_secs", self.access_token_ttl.is_zero()),
            ("stream_heartbeat_ms", self.streams.heartbeat.is_zero()),
            ("stream_poll_ms", self.streams.poll.is_zero()),
            ("stream_buffer", self.streams.buffer == 0),
            ("stream_ticket_ttl_secs", self.streams.ticket_ttl.is_zero()),
            ("mail_poll_ms", self.mail.poll.is_zero()),
            ("mail_max_attempts", self.mail.max_attempts == 0),
            (
                "notification_retention_days",
                self.notification_retention.is_zero(),
            ),
        ];
        if let Some((key, _)) = at_least_one.iter().find(|(_, zero)| *zero) {
            return Err(sources.error(key, "must be at least 1"));
        }
        if self.event_retention < MIN_EVENT_RETENTION {
            return Err(sources.error("event_retention_hours", "must be at least 24"));
        }
        if self
            .jwt_secret
            .as_ref()
            .is_some_and(|s| s.expose().len() < 32)
        {
            return Err(sources.error("jwt_secret", "must be at least 32 bytes long"));
        }
        if let Err(message) = self.mail.check() {
            let (key, message) = message;
            return Err(sources.error(key, message));
        }
        if self.require_verified_email && self.mail.smtp_url.is_none() {
            return Err(sources.error(
                "require_verified_email",
                "needs smtp_url: verification links are sent by mail, and without them every \
                 new account would stay read-only",
            ));
        }
        for (key, origins) in [
            ("cors_origins", &self.cors_origins),
            ("embed_origins", &self.embed_origins),
        ] {
            if let Some(origin) = origins.iter().find(|o| !is_plain_origin(o)) {
                return Err(sources.error(
                    key,
                    format!(
                        "`{origin}` is not an origin like https://example.com (no wildcard, no path)"
                    ),
                ));
            }
        }
        Ok(())
    }
}
