//! The `[rate_limits]` table of `hindsight.toml` and its `HINDSIGHT_RATE_LIMIT*` variables:
//! `enabled` (on/off) and one rule per action in the limiter's syntax (`10/min`, `60/hour`).
//! Unset rules keep the defaults of [`RateLimits`].

use serde::Deserialize;

use super::sources::Sources;
use super::ConfigError;
use crate::http::rate_limit::{RateLimits, Rule};

/// Rule keys of the table and the variables that override them.
pub(super) const ENV_NAMES: [(&str, &str); 10] = [
    ("rate_limits.auth", "HINDSIGHT_RATE_LIMIT_AUTH"),
    (
        "rate_limits.failed_login",
        "HINDSIGHT_RATE_LIMIT_FAILED_LOGIN",
    ),
    (
        "rate_limits.failed_login_account",
        "HINDSIGHT_RATE_LIMIT_FAILED_LOGIN_ACCOUNT",
    ),
    ("rate_limits.comments", "HINDSIGHT_RATE_LIMIT_COMMENTS"),
    (
        "rate_limits.comments_hourly",
        "HINDSIGHT_RATE_LIMIT_COMMENTS_HOURLY",
    ),
    (
        "rate_limits.new_account_comments",
        "HINDSIGHT_RATE_LIMIT_NEW_ACCOUNT_COMMENTS",
    ),
    ("rate_limits.votes", "HINDSIGHT_RATE_LIMIT_VOTES"),
    ("rate_limits.reports", "HINDSIGHT_RATE_LIMIT_REPORTS"),
    (
        "rate_limits.password_reset",
        "HINDSIGHT_RATE_LIMIT_PASSWORD_RESET",
    ),
    (
        "rate_limits.password_reset_address",
        "HINDSIGHT_RATE_LIMIT_PASSWORD_RESET_ADDRESS",
    ),
];

/// The table as read, before the rules are parsed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRateLimits {
    enabled: Option<bool>,
    auth: Option<String>,
    failed_login: Option<String>,
    failed_login_account: Option<String>,
    comments: Option<String>,
    comments_hourly: Option<String>,
    new_account_comments: Option<String>,
    votes: Option<String>,
    reports: Option<String>,
    password_reset: Option<String>,
    password_reset_address: Option<String>,
}

impl RawRateLimits {
    /// The defaults with every given rule parsed over them; a bad rule names its key.
    pub(super) fn into_limits(self, sources: &Sources) -> Result<RateLimits, ConfigError> {
        let mut limits = RateLimits::default();
        if let Some(enabled) = self.enabled {
            limits.enabled = enabled;
        }
        let rules = [
            ("auth", self.auth, &mut limits.auth_per_ip),
            (
                "failed_login",
                self.failed_login,
                &mut limits.failed_login_per_account_ip,
            ),
            (
                "failed_login_account",
                self.failed_login_account,
                &mut limits.failed_login_per_account,
            ),
            ("comments", self.comments, &mut limits.comments),
            (
                "comments_hourly",
                self.comments_hourly,
                &mut limits.comments_hourly,
            ),
            (
                "new_account_comments",
                self.new_account_comments,
                &mut limits.new_account_comments,
            ),
            ("votes", self.votes, &mut limits.votes),
            ("reports", self.reports, &mut limits.reports),
            (
                "password_reset",
                self.password_reset,
                &mut limits.password_reset_per_ip,
            ),
            (
                "password_reset_address",
                self.password_reset_address,
                &mut limits.password_reset_per_address,
            ),
        ];
        for (key, value, rule) in rules {
            if let Some(value) = value {
                *rule = parse_rule(sources, key, &value)?;
            }
        }
        Ok(limits)
    }
}

fn parse_rule(sources: &Sources, key: &str, value: &str) -> Result<Rule, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|e| sources.error(&format!("rate_limits.{key}"), format!("`{value}`: {e}")))
}
