//! Settings: environment variables (`HINDSIGHT_*`, plus `DATABASE_URL`) over an optional
//! `hindsight.toml`, validated once at startup. There is no global settings static: each
//! `Application` gets its own `Settings`, so tests can vary them per app.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

/// The database used when neither `DATABASE_URL` nor the file names one.
pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@localhost:5432/hindsight";

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
}

/// A setting that could not be used; the message names the setting.
#[derive(Debug, thiserror::Error)]
#[error("invalid setting {setting}: {message}")]
pub struct ConfigError {
    /// The environment variable or file key at fault.
    pub setting: String,
    /// What is wrong with it.
    pub message: String,
}

impl ConfigError {
    fn new(setting: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            setting: setting.into(),
            message: message.into(),
        }
    }
}

/// The optional `hindsight.toml`: same names as the fields of [`Settings`], durations as numbers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileSettings {
    database_url: Option<String>,
    bind: Option<String>,
    log_format: Option<LogFormat>,
    cors_origins: Option<Vec<String>>,
    pool_size: Option<usize>,
    pool_timeout_ms: Option<u64>,
    statement_timeout_ms: Option<u64>,
    jwt_secret: Option<String>,
    access_token_ttl_secs: Option<u64>,
    refresh_token_ttl_days: Option<u64>,
    shutdown_timeout_secs: Option<u64>,
    workers: Option<usize>,
    hot_refresh_secs: Option<u64>,
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
        let file = match config_file {
            Some(path) => read_file(path)?,
            None => FileSettings::default(),
        };
        let defaults = Self::defaults();
        let settings = Self {
            database_url: env_value(env, "DATABASE_URL")?
                .or(file.database_url)
                .unwrap_or(defaults.database_url),
            bind: env_value(env, "HINDSIGHT_BIND")?
                .or(file.bind)
                .unwrap_or(defaults.bind),
            log_format: env_value(env, "HINDSIGHT_LOG_FORMAT")?
                .or(file.log_format)
                .unwrap_or(defaults.log_format),
            cors_origins: env_raw(env, "HINDSIGHT_CORS_ORIGINS")
                .map(|v| split_list(&v))
                .or(file.cors_origins)
                .unwrap_or_default(),
            pool_size: env_value(env, "HINDSIGHT_POOL_SIZE")?
                .or(file.pool_size)
                .unwrap_or(defaults.pool_size),
            pool_timeout: millis(env, "HINDSIGHT_POOL_TIMEOUT_MS", file.pool_timeout_ms)?
                .unwrap_or(defaults.pool_timeout),
            statement_timeout: millis(
                env,
                "HINDSIGHT_STATEMENT_TIMEOUT_MS",
                file.statement_timeout_ms,
            )?
            .unwrap_or(defaults.statement_timeout),
            jwt_secret: env_raw(env, "HINDSIGHT_JWT_SECRET")
                .or(file.jwt_secret)
                .map(Secret::new),
            access_token_ttl: secs(
                env,
                "HINDSIGHT_ACCESS_TOKEN_TTL_SECS",
                file.access_token_ttl_secs,
            )?
            .unwrap_or(defaults.access_token_ttl),
            refresh_token_ttl: env_value::<u64>(env, "HINDSIGHT_REFRESH_TOKEN_TTL_DAYS")?
                .or(file.refresh_token_ttl_days)
                .map(|d| Duration::from_secs(d * 86_400))
                .unwrap_or(defaults.refresh_token_ttl),
            shutdown_timeout: secs(
                env,
                "HINDSIGHT_SHUTDOWN_TIMEOUT_SECS",
                file.shutdown_timeout_secs,
            )?
            .unwrap_or(defaults.shutdown_timeout),
            workers: env_value(env, "HINDSIGHT_WORKERS")?
                .or(file.workers)
                .unwrap_or(defaults.workers),
            hot_refresh: secs(env, "HINDSIGHT_HOT_REFRESH_SECS", file.hot_refresh_secs)?
                .unwrap_or(defaults.hot_refresh),
            rate_limits: rate_limits(env)?,
            trusted_proxies: env_raw(env, "HINDSIGHT_TRUSTED_PROXIES")
                .map(|raw| {
                    split_list(&raw)
                        .iter()
                        .map(|ip| {
                            ip.parse().map_err(|_| {
                                ConfigError::new(
                                    "HINDSIGHT_TRUSTED_PROXIES",
                                    format!("`{ip}` is not an IP address"),
                                )
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
                .transpose()?
                .unwrap_or_default(),
            metrics: match env_raw(env, "HINDSIGHT_METRICS").as_deref().map(str::trim) {
                None | Some("on" | "true" | "1") => true,
                Some("off" | "false" | "0") => false,
                Some(other) => {
                    return Err(ConfigError::new(
                        "HINDSIGHT_METRICS",
                        format!("`{other}`: use on or off"),
                    ))
                }
            },
        };
        settings.validate()?;
        Ok(settings)
    }

    /// The documented defaults (README's configuration table).
    pub fn defaults() -> Self {
        Self {
            database_url: DEFAULT_DATABASE_URL.to_owned(),
            bind: "127.0.0.1:8080".to_owned(),
            log_format: LogFormat::Pretty,
            cors_origins: Vec::new(),
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
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !self.database_url.starts_with("postgres://")
            && !self.database_url.starts_with("postgresql://")
        {
            return Err(ConfigError::new(
                "DATABASE_URL",
                "must be a postgres:// or postgresql:// URL",
            ));
        }
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::new(
                "HINDSIGHT_BIND",
                format!("`{}` is not an address like 127.0.0.1:8080", self.bind),
            ));
        }
        if self.pool_size == 0 {
            return Err(ConfigError::new(
                "HINDSIGHT_POOL_SIZE",
                "must be at least 1",
            ));
        }
        if self.workers == 0 {
            return Err(ConfigError::new("HINDSIGHT_WORKERS", "must be at least 1"));
        }
        if self.pool_timeout.is_zero() {
            return Err(ConfigError::new(
                "HINDSIGHT_POOL_TIMEOUT_MS",
                "must be at least 1",
            ));
        }
        if self.access_token_ttl.is_zero() {
            return Err(ConfigError::new(
                "HINDSIGHT_ACCESS_TOKEN_TTL_SECS",
                "must be at least 1",
            ));
        }
        if let Some(secret) = &self.jwt_secret {
            if secret.expose().len() < 32 {
                return Err(ConfigError::new(
                    "HINDSIGHT_JWT_SECRET",
                    "must be at least 32 bytes long",
                ));
            }
        }
        for origin in &self.cors_origins {
            let ok = (origin.starts_with("https://") || origin.starts_with("http://"))
                && !origin.contains('*')
                && !origin.ends_with('/');
            if !ok {
                return Err(ConfigError::new(
                    "HINDSIGHT_CORS_ORIGINS",
                    format!("`{origin}` is not an origin like https://example.com (no wildcard, no path)"),
                ));
            }
        }
        Ok(())
    }
}

/// `HINDSIGHT_RATE_LIMITS=off` and the per-action `HINDSIGHT_RATE_LIMIT_<ACTION>=N/period`.
fn rate_limits(
    env: &HashMap<String, String>,
) -> Result<crate::http::rate_limit::RateLimits, ConfigError> {
    let mut limits = crate::http::rate_limit::RateLimits::default();
    if let Some(flag) = env_raw(env, "HINDSIGHT_RATE_LIMITS") {
        limits.enabled = match flag.trim() {
            "off" | "false" | "0" => false,
            "on" | "true" | "1" => true,
            other => {
                return Err(ConfigError::new(
                    "HINDSIGHT_RATE_LIMITS",
                    format!("`{other}`: use on or off"),
                ))
            }
        };
    }
    let rules: [(&str, &mut crate::http::rate_limit::Rule); 8] = [
        ("HINDSIGHT_RATE_LIMIT_AUTH", &mut limits.auth_per_ip),
        (
            "HINDSIGHT_RATE_LIMIT_FAILED_LOGIN",
            &mut limits.failed_login_per_account_ip,
        ),
        (
            "HINDSIGHT_RATE_LIMIT_FAILED_LOGIN_ACCOUNT",
            &mut limits.failed_login_per_account,
        ),
        ("HINDSIGHT_RATE_LIMIT_COMMENTS", &mut limits.comments),
        (
            "HINDSIGHT_RATE_LIMIT_COMMENTS_HOURLY",
            &mut limits.comments_hourly,
        ),
        (
            "HINDSIGHT_RATE_LIMIT_NEW_ACCOUNT_COMMENTS",
            &mut limits.new_account_comments,
        ),
        ("HINDSIGHT_RATE_LIMIT_VOTES", &mut limits.votes),
        ("HINDSIGHT_RATE_LIMIT_REPORTS", &mut limits.reports),
    ];
    for (key, rule) in rules {
        if let Some(value) = env_value(env, key)? {
            *rule = value;
        }
    }
    Ok(limits)
}

fn read_file(path: &Path) -> Result<FileSettings, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        ConfigError::new("--config", format!("cannot read {}: {e}", path.display()))
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::new(path.display().to_string(), e.to_string()))
}

fn env_raw(env: &HashMap<String, String>, key: &str) -> Option<String> {
    env.get(key).filter(|v| !v.trim().is_empty()).cloned()
}

fn env_value<T>(env: &HashMap<String, String>, key: &str) -> Result<Option<T>, ConfigError>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    env_raw(env, key)
        .map(|raw| {
            raw.trim()
                .parse::<T>()
                .map_err(|e| ConfigError::new(key, format!("`{raw}`: {e}")))
        })
        .transpose()
}

fn millis(
    env: &HashMap<String, String>,
    key: &str,
    file: Option<u64>,
) -> Result<Option<Duration>, ConfigError> {
    Ok(env_value::<u64>(env, key)?
        .or(file)
        .map(Duration::from_millis))
}

fn secs(
    env: &HashMap<String, String>,
    key: &str,
    file: Option<u64>,
) -> Result<Option<Duration>, ConfigError> {
    Ok(env_value::<u64>(env, key)?
        .or(file)
        .map(Duration::from_secs))
}

fn split_list(raw: &str) -> Vec<String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_apply_when_nothing_is_set() {
        let s = Settings::from_sources(None, &env(&[])).expect("defaults are valid");
        assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(s.bind, "127.0.0.1:8080");
        assert_eq!(s.access_token_ttl, Duration::from_secs(900));
        assert!(s.cors_origins.is_empty());
    }

    #[test]
    fn a_bad_number_names_its_variable() {
        let err = Settings::from_sources(None, &env(&[("HINDSIGHT_POOL_SIZE", "many")]))
            .expect_err("not a number");
        assert_eq!(err.setting, "HINDSIGHT_POOL_SIZE");
    }

    #[test]
    fn a_short_jwt_secret_is_refused_without_quoting_it() {
        // Errors quote a bad value in backticks (`{raw}`); a distinctive secret, looked for
        // bare, catches that quoting and any other in both the message and the Debug form.
        let secret = "Tr0ub4dor-not-for-logs";
        let err = Settings::from_sources(None, &env(&[("HINDSIGHT_JWT_SECRET", secret)]))
            .expect_err("too short");
        assert_eq!(err.setting, "HINDSIGHT_JWT_SECRET");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(secret), "secret echoed: {shown}");
        }
        // The same secret from the file goes through the same check.
        let dir = std::env::temp_dir().join(format!("hindsight-cfg3-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("hindsight.toml");
        std::fs::write(&path, format!("jwt_secret = \"{secret}\"\n")).expect("write");
        let err = Settings::from_sources(Some(&path), &env(&[])).expect_err("too short");
        assert_eq!(err.setting, "HINDSIGHT_JWT_SECRET");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(secret), "secret echoed: {shown}");
        }
    }

    #[test]
    fn wildcard_cors_origins_are_refused() {
        let err = Settings::from_sources(None, &env(&[("HINDSIGHT_CORS_ORIGINS", "*")]))
            .expect_err("wildcard");
        assert_eq!(err.setting, "HINDSIGHT_CORS_ORIGINS");
    }

    #[test]
    fn cors_origins_are_a_comma_separated_list() {
        let s = Settings::from_sources(
            None,
            &env(&[(
                "HINDSIGHT_CORS_ORIGINS",
                "https://a.example, https://b.example",
            )]),
        )
        .expect("valid");
        assert_eq!(s.cors_origins, ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let dir = std::env::temp_dir().join(format!("hindsight-cfg-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("hindsight.toml");
        std::fs::write(&path, "bind = \"127.0.0.1:9000\"\npool_size = 3\n").expect("write");
        let s = Settings::from_sources(Some(&path), &env(&[("HINDSIGHT_POOL_SIZE", "7")]))
            .expect("valid");
        assert_eq!(s.bind, "127.0.0.1:9000");
        assert_eq!(s.pool_size, 7);
    }

    #[test]
    fn unknown_file_keys_are_refused() {
        let dir = std::env::temp_dir().join(format!("hindsight-cfg2-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("hindsight.toml");
        std::fs::write(&path, "pool_sise = 3\n").expect("write");
        let err = Settings::from_sources(Some(&path), &env(&[])).expect_err("unknown key");
        assert!(err.to_string().contains("pool_sise"), "{err}");
    }
}
