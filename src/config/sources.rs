//! The layers settings are read from, through figment: the TOML file (`--config`), then the
//! environment on top; defaults fill what neither sets (`Settings::defaults`). Also where a
//! value came from, so that every error names the variable or file key at fault and its source
//! without printing secret values.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use figment::error::Kind;
use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider, Source};
use serde::Deserialize;

use super::ConfigError;

/// File keys and the environment variables that override them (README's table).
const ENV_NAMES: [(&str, &str); 39] = [
    ("database_url", "DATABASE_URL"),
    ("bind", "HINDSIGHT_BIND"),
    ("log_format", "HINDSIGHT_LOG_FORMAT"),
    ("cors_origins", "HINDSIGHT_CORS_ORIGINS"),
    ("embed_origins", "HINDSIGHT_EMBED_ORIGINS"),
    ("pool_size", "HINDSIGHT_POOL_SIZE"),
    ("pool_timeout_ms", "HINDSIGHT_POOL_TIMEOUT_MS"),
    ("statement_timeout_ms", "HINDSIGHT_STATEMENT_TIMEOUT_MS"),
    ("jwt_secret", "HINDSIGHT_JWT_SECRET"),
    ("access_token_ttl_secs", "HINDSIGHT_ACCESS_TOKEN_TTL_SECS"),
    ("refresh_token_ttl_days", "HINDSIGHT_REFRESH_TOKEN_TTL_DAYS"),
    ("shutdown_timeout_secs", "HINDSIGHT_SHUTDOWN_TIMEOUT_SECS"),
    ("workers", "HINDSIGHT_WORKERS"),
    ("hot_refresh_secs", "HINDSIGHT_HOT_REFRESH_SECS"),
    ("trusted_proxies", "HINDSIGHT_TRUSTED_PROXIES"),
    ("metrics", "HINDSIGHT_METRICS"),
    ("rate_limits.enabled", "HINDSIGHT_RATE_LIMITS"),
    ("stream_heartbeat_ms", "HINDSIGHT_STREAM_HEARTBEAT_MS"),
    ("stream_retry_ms", "HINDSIGHT_STREAM_RETRY_MS"),
    ("stream_poll_ms", "HINDSIGHT_STREAM_POLL_MS"),
    ("stream_buffer", "HINDSIGHT_STREAM_BUFFER"),
    ("streams_per_ip", "HINDSIGHT_STREAMS_PER_IP"),
    ("streams_per_user", "HINDSIGHT_STREAMS_PER_USER"),
    ("stream_ticket_ttl_secs", "HINDSIGHT_STREAM_TICKET_TTL_SECS"),
    ("deadline_job_secs", "HINDSIGHT_DEADLINE_JOB_SECS"),
    ("retention_job_secs", "HINDSIGHT_RETENTION_JOB_SECS"),
    (
        "notification_retention_days",
        "HINDSIGHT_NOTIFICATION_RETENTION_DAYS",
    ),
    ("event_retention_hours", "HINDSIGHT_EVENT_RETENTION_HOURS"),
    ("smtp_url", "HINDSIGHT_SMTP_URL"),
    ("smtp_ca_file", "HINDSIGHT_SMTP_CA_FILE"),
    ("mail_from", "HINDSIGHT_MAIL_FROM"),
    ("public_url", "HINDSIGHT_PUBLIC_URL"),
    ("mail_poll_ms", "HINDSIGHT_MAIL_POLL_MS"),
    ("mail_max_attempts", "HINDSIGHT_MAIL_MAX_ATTEMPTS"),
    ("require_verified_email", "HINDSIGHT_REQUIRE_VERIFIED_EMAIL"),
    ("search_language", "HINDSIGHT_SEARCH_LANGUAGE"),
    ("cache_mb", "HINDSIGHT_CACHE_MB"),
    ("cache_max_age_secs", "HINDSIGHT_CACHE_MAX_AGE_SECS"),
    ("cache_s_maxage_secs", "HINDSIGHT_CACHE_S_MAXAGE_SECS"),
];

/// Keys whose values never appear in an error (a database or SMTP URL may carry a password).
const SECRET_KEYS: [&str; 3] = ["jwt_secret", "database_url", "smtp_url"];

/// The name the environment provider reports in figment metadata.
const ENVIRONMENT: &str = "environment";

/// Every (file key, variable) pair: the table above and the rate-limit rules.
fn env_names() -> impl Iterator<Item = (&'static str, &'static str)> {
    ENV_NAMES.into_iter().chain(super::rate_limits::ENV_NAMES)
}

/// The variable that overrides a file key, if any.
fn env_name(key: &str) -> Option<&'static str> {
    env_names().find(|(k, _)| *k == key).map(|(_, var)| var)
}

/// The known variables of an environment map, as figment data: values stay strings (trimmed,
/// except the JWT secret, which is taken as written), and an empty variable counts as unset.
struct Environment(Dict);

impl Environment {
    fn new(env: &HashMap<String, String>) -> Self {
        let mut root = Dict::new();
        for (key, var) in env_names() {
            let Some(raw) = env.get(var).filter(|v| !v.trim().is_empty()) else {
                continue;
            };
            let value = if key == "jwt_secret" {
                raw.clone()
            } else {
                raw.trim().to_owned()
            };
            insert_nested(&mut root, key, Value::from(value));
        }
        Self(root)
    }
}

/// Puts `value` at a dotted `key` (`rate_limits.votes`), creating the tables on the way.
fn insert_nested(root: &mut Dict, key: &str, value: Value) {
    match key.split_once('.') {
        None => {
            root.insert(key.to_owned(), value);
        }
        Some((table, rest)) => {
            let entry = root
                .entry(table.to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert_nested(inner, rest, value);
            }
        }
    }
}

impl Provider for Environment {
    fn metadata(&self) -> Metadata {
        Metadata::named(ENVIRONMENT).interpolater(|_: &Profile, keys: &[&str]| {
            let key = keys.join(".");
            env_name(&key).map_or(key, str::to_owned)
        })
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        Ok(Profile::Default.collect(self.0.clone()))
    }
}

/// The merged layers, kept to say where each value came from.
pub(super) struct Sources {
    figment: Figment,
    file: Option<PathBuf>,
}

impl Sources {
    /// The file (when given) under the environment.
    pub(super) fn new(config_file: Option<&Path>, env: &HashMap<String, String>) -> Self {
        let mut figment = Figment::new();
        if let Some(path) = config_file {
            figment = figment.merge(Toml::file_exact(path));
        }
        Self {
            figment: figment.merge(Environment::new(env)),
            file: config_file.map(Path::to_path_buf),
        }
    }

    /// Deserializes the merged layers; numbers and on/off switches may be strings (the
    /// environment only has strings).
    pub(super) fn extract<'a, T: Deserialize<'a>>(&self) -> Result<T, ConfigError> {
        self.figment.extract_lossy().map_err(|e| self.translate(e))
    }

    /// An error about `key` (a dotted file key), naming the variable when the environment set
    /// the value and the file key and path otherwise.
    pub(super) fn error(&self, key: &str, message: impl Into<String>) -> ConfigError {
        let metadata = self.figment.find_metadata(key);
        self.named(key, metadata, message.into())
    }

    fn named(&self, key: &str, metadata: Option<&Metadata>, message: String) -> ConfigError {
        let from_env = metadata.is_some_and(|m| m.name == ENVIRONMENT);
        let from_file = metadata.and_then(|m| match &m.source {
            Some(Source::File(path)) => Some(path.display().to_string()),
            _ => None,
        });
        match (from_env, env_name(key), from_file) {
            (true, Some(var), _) => ConfigError::new(var, "the environment", message),
            (_, _, Some(path)) => ConfigError::new(key, path, message),
            _ => ConfigError::new(key, "the defaults", message),
        }
    }

    /// The first figment error as a [`ConfigError`]; values of secret keys are left out.
    fn translate(&self, error: figment::Error) -> ConfigError {
        let mut key = error.path.join(".");
        let message = match &error.kind {
            Kind::Message(text) if error.path.is_empty() => {
                // Reading or parsing the file failed: the only provider that can fail.
                let path = self.file_name();
                let reason = without_source_lines(text);
                return ConfigError::new(
                    "--config",
                    path,
                    format!("cannot use the file: {reason}"),
                );
            }
            Kind::UnknownField(field, _) => {
                // Only the file can hold keys of its own choosing.
                if error.path.last() != Some(field) {
                    key = [key.as_str(), field.as_str()].join(".");
                    key = key.trim_start_matches('.').to_owned();
                }
                let path = self.file_name();
                return ConfigError::new(key, path, format!("unknown key `{field}`"));
            }
            Kind::InvalidType(_, expected) | Kind::InvalidValue(_, expected)
                if SECRET_KEYS.contains(&key.as_str()) =>
            {
                format!("expected {expected} (the value is not shown)")
            }
            Kind::InvalidType(actual, expected) if expected == "a boolean" => {
                format!("found {actual}: use on or off")
            }
            kind => kind.to_string(),
        };
        self.named(&key, error.metadata.as_ref(), message)
    }

    fn file_name(&self) -> String {
        self.file
            .as_ref()
            .map_or_else(|| "--config".to_owned(), |p| p.display().to_string())
    }
}

/// A TOML parse error without the quoted source lines (`3 | jwt_secret = "…`), which could
/// carry a secret; the position and the reason stay.
fn without_source_lines(message: &str) -> String {
    message
        .lines()
        .map(str::trim)
        .filter(|line| {
            let quoted = line.trim_start_matches(|c: char| c.is_ascii_digit());
            !line.is_empty() && !quoted.trim_start().starts_with('|')
        })
        .collect::<Vec<_>>()
        .join(": ")
}
