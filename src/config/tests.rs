//! The loader: precedence (defaults < file < environment), the variable names README lists,
//! and errors that name the setting and its source without echoing secrets.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::http::rate_limit::RateLimits;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A `hindsight.toml` with `text` in a directory of its own.
fn file(text: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("hindsight-cfg-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("hindsight.toml");
    std::fs::write(&path, text).expect("write");
    path
}

fn from_file(text: &str, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_sources(Some(&file(text)), &env(vars))
}

const SECRET: &str = "0123456789abcdef0123456789abcdef-very-secret";

#[test]
fn defaults_apply_when_nothing_is_set() {
    let s = Settings::from_sources(None, &env(&[])).expect("defaults are valid");
    assert_eq!(s.database_url, DEFAULT_DATABASE_URL);
    assert_eq!(s.bind, "127.0.0.1:8080");
    assert_eq!(s.access_token_ttl, Duration::from_secs(900));
    assert!(s.cors_origins.is_empty());
    assert!(s.rate_limits.enabled);
    assert!(s.metrics);
}

#[test]
fn a_bad_number_names_its_variable() {
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_POOL_SIZE", "many")]))
        .expect_err("not a number");
    assert_eq!(err.setting, "HINDSIGHT_POOL_SIZE");
    assert_eq!(err.origin, "the environment");
}

#[test]
fn environment_values_are_trimmed_and_empty_ones_unset() {
    let s = Settings::from_sources(
        None,
        &env(&[
            ("HINDSIGHT_POOL_SIZE", " 7 "),
            ("HINDSIGHT_JWT_SECRET", ""),
            ("HINDSIGHT_BIND", "  "),
            ("HINDSIGHT_LOG_FORMAT", "JSON"),
        ]),
    )
    .expect("valid");
    assert_eq!(s.pool_size, 7);
    assert!(s.jwt_secret.is_none());
    assert_eq!(s.bind, "127.0.0.1:8080");
    assert_eq!(s.log_format, LogFormat::Json);
}

#[test]
fn a_numeric_or_quoted_jwt_secret_stays_a_string() {
    let digits = "12345678901234567890123456789012345";
    let s = Settings::from_sources(None, &env(&[("HINDSIGHT_JWT_SECRET", digits)])).expect("valid");
    assert_eq!(s.jwt_secret.as_ref().map(Secret::expose), Some(digits));
    let quoted = "\"0123456789abcdef0123456789abcdef\"";
    let s = Settings::from_sources(None, &env(&[("HINDSIGHT_JWT_SECRET", quoted)])).expect("valid");
    assert_eq!(s.jwt_secret.as_ref().map(Secret::expose), Some(quoted));
}

#[test]
fn a_short_jwt_secret_is_refused_without_quoting_it() {
    // Errors quote a bad value in backticks; a distinctive secret, looked for bare, catches
    // that quoting and any other, in both the message and the Debug form.
    let secret = "Tr0ub4dor-not-for-logs";
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_JWT_SECRET", secret)]))
        .expect_err("too short");
    assert_eq!(err.setting, "HINDSIGHT_JWT_SECRET");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(secret), "secret echoed: {shown}");
    }
    let err = from_file(&format!("jwt_secret = \"{secret}\"\n"), &[]).expect_err("too short");
    assert_eq!(err.setting, "jwt_secret");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains(secret), "secret echoed: {shown}");
    }
}

#[test]
fn secrets_in_the_file_are_never_echoed() {
    // Wrong type: the value would be in serde's "found …" part.
    let err = from_file("jwt_secret = 1234567890123\n", &[]).expect_err("not a string");
    assert_eq!(err.setting, "jwt_secret");
    assert!(!err.to_string().contains("1234567890"), "{err}");
    // Broken syntax: TOML errors quote the offending line.
    let err = from_file(&format!("jwt_secret = \"{SECRET}\nbind = 1\n"), &[])
        .expect_err("unterminated string");
    assert_eq!(err.setting, "--config");
    assert!(err.to_string().contains("line 1"), "{err}");
    assert!(!err.to_string().contains("very-secret"), "{err}");
    // A database URL may carry a password.
    let err = from_file("database_url = [\"postgres://u:hunter2@h/db\"]\n", &[])
        .expect_err("not a string");
    assert!(!err.to_string().contains("hunter2"), "{err}");
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
    let s = from_file("cors_origins = [\"https://c.example\"]\n", &[]).expect("valid");
    assert_eq!(s.cors_origins, ["https://c.example"]);
}

#[test]
fn embed_origins_are_a_list_of_plain_origins() {
    let s = Settings::from_sources(None, &env(&[])).expect("defaults");
    assert!(
        s.embed_origins.is_empty(),
        "only the service's own origin by default"
    );
    let s = Settings::from_sources(
        None,
        &env(&[(
            "HINDSIGHT_EMBED_ORIGINS",
            "https://news.example,https://blog.example",
        )]),
    )
    .expect("valid");
    assert_eq!(
        s.embed_origins,
        ["https://news.example", "https://blog.example"]
    );
    let s = from_file("embed_origins = [\"https://c.example\"]\n", &[]).expect("valid");
    assert_eq!(s.embed_origins, ["https://c.example"]);
    let err = Settings::from_sources(
        None,
        &env(&[("HINDSIGHT_EMBED_ORIGINS", "https://*.example")]),
    )
    .expect_err("wildcard");
    assert_eq!(err.setting, "HINDSIGHT_EMBED_ORIGINS");
}

#[test]
fn the_environment_wins_over_the_file() {
    let s = from_file(
        "bind = \"127.0.0.1:9000\"\npool_size = 3\n",
        &[("HINDSIGHT_POOL_SIZE", "7")],
    )
    .expect("valid");
    assert_eq!(s.bind, "127.0.0.1:9000");
    assert_eq!(s.pool_size, 7);
}

#[test]
fn unknown_file_keys_are_refused() {
    let err = from_file("pool_sise = 3\n", &[]).expect_err("unknown key");
    assert!(err.to_string().contains("pool_sise"), "{err}");
    let err = from_file("[rate_limits]\nvote = \"1/min\"\n", &[]).expect_err("unknown key");
    assert_eq!(err.setting, "rate_limits.vote", "{err}");
}

#[test]
fn a_missing_file_is_named() {
    let path = std::env::temp_dir().join("hindsight-no-such-dir/hindsight.toml");
    let err = Settings::from_sources(Some(&path), &env(&[])).expect_err("missing");
    assert_eq!(err.setting, "--config");
    assert!(err.to_string().contains("hindsight-no-such-dir"), "{err}");
}

#[test]
fn a_bad_file_value_names_its_key_and_the_file() {
    let path = file("pool_size = 0\n");
    let err = Settings::from_sources(Some(&path), &env(&[])).expect_err("zero");
    assert_eq!(err.setting, "pool_size");
    assert_eq!(err.origin, path.display().to_string());
    let err = from_file("pool_size = \"lots\"\n", &[]).expect_err("not a number");
    assert_eq!(err.setting, "pool_size");
}

#[test]
fn rate_limits_come_from_the_file() {
    let s = from_file(
        "[rate_limits]\nvotes = \"3/min\"\nfailed_login_account = \"7/hour\"\n",
        &[],
    )
    .expect("valid");
    assert_eq!(s.rate_limits.votes, "3/min".parse().expect("rule"));
    assert_eq!(
        s.rate_limits.failed_login_per_account,
        "7/hour".parse().expect("rule")
    );
    assert_eq!(s.rate_limits.comments, RateLimits::default().comments);
    assert!(s.rate_limits.enabled);
    let off = from_file("[rate_limits]\nenabled = false\n", &[]).expect("valid");
    assert!(!off.rate_limits.enabled);
}

#[test]
fn rate_limit_variables_win_over_the_file() {
    let s = from_file(
        "[rate_limits]\nenabled = false\nvotes = \"3/min\"\nreports = \"4/hour\"\n",
        &[
            ("HINDSIGHT_RATE_LIMITS", "on"),
            ("HINDSIGHT_RATE_LIMIT_VOTES", "9/sec"),
        ],
    )
    .expect("valid");
    assert!(s.rate_limits.enabled);
    assert_eq!(s.rate_limits.votes, "9/sec".parse().expect("rule"));
    assert_eq!(s.rate_limits.reports, "4/hour".parse().expect("rule"));
    let off =
        Settings::from_sources(None, &env(&[("HINDSIGHT_RATE_LIMITS", "off")])).expect("valid");
    assert!(!off.rate_limits.enabled);
}

#[test]
fn a_bad_rate_limit_names_its_key_and_source() {
    let path = file("[rate_limits]\nvotes = \"lots/min\"\n");
    let err = Settings::from_sources(Some(&path), &env(&[])).expect_err("bad rule");
    assert_eq!(err.setting, "rate_limits.votes");
    assert_eq!(err.origin, path.display().to_string());
    assert!(err.to_string().contains("lots"), "{err}");
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_RATE_LIMIT_VOTES", "5/fortnight")]))
        .expect_err("bad rule");
    assert_eq!(err.setting, "HINDSIGHT_RATE_LIMIT_VOTES");
    let err = from_file("[rate_limits]\nenabled = \"maybe\"\n", &[]).expect_err("bad switch");
    assert_eq!(err.setting, "rate_limits.enabled");
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_RATE_LIMITS", "maybe")]))
        .expect_err("bad switch");
    assert_eq!(err.setting, "HINDSIGHT_RATE_LIMITS");
}

#[test]
fn proxies_and_metrics_have_file_keys_too() {
    let s = from_file("trusted_proxies = [\"10.0.0.1\"]\nmetrics = false\n", &[]).expect("valid");
    assert_eq!(
        s.trusted_proxies,
        ["10.0.0.1".parse::<std::net::IpAddr>().expect("ip")]
    );
    assert!(!s.metrics);
    let err = Settings::from_sources(
        None,
        &env(&[("HINDSIGHT_TRUSTED_PROXIES", "10.0.0.1 proxy")]),
    )
    .expect_err("not an address");
    assert_eq!(err.setting, "HINDSIGHT_TRUSTED_PROXIES");
    let on = from_file("metrics = false\n", &[("HINDSIGHT_METRICS", "on")]).expect("valid");
    assert!(on.metrics);
}

#[test]
fn the_readme_example_file_loads() {
    let readme = include_str!("../../README.md");
    let start = readme.find("```toml\n").expect("a TOML example") + "```toml\n".len();
    let example = &readme[start..];
    let example = &example[..example.find("```").expect("closed")];
    let s = from_file(example, &[]).expect("the example is valid");
    assert_eq!(s.rate_limits.votes, "60/min".parse().expect("rule"));
    assert_eq!(s.cors_origins, ["https://news.example"]);
}

#[test]
fn the_event_log_is_kept_at_least_a_day() {
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_EVENT_RETENTION_HOURS", "23")]))
        .expect_err("under a day");
    assert_eq!(err.setting, "HINDSIGHT_EVENT_RETENTION_HOURS");
    assert!(err.to_string().contains("at least 24"), "{err}");
    let err = from_file("event_retention_hours = 0\n", &[]).expect_err("zero");
    assert_eq!(err.setting, "event_retention_hours");
    let s = from_file("event_retention_hours = 24\n", &[]).expect("a day is enough");
    assert_eq!(s.event_retention, Duration::from_secs(24 * 3_600));
}

#[test]
fn mail_settings_come_from_the_environment_and_the_smtp_url_stays_secret() {
    let s = Settings::from_sources(None, &env(&[])).expect("defaults");
    assert!(
        s.mail.smtp_url.is_none(),
        "no SMTP by default: no mail is sent"
    );
    let url = "smtp://ada:Tr0ub4dor-mail@mail.example:587?tls=required";
    let s = Settings::from_sources(
        None,
        &env(&[
            ("HINDSIGHT_SMTP_URL", url),
            ("HINDSIGHT_MAIL_FROM", "News <news@example.com>"),
            ("HINDSIGHT_PUBLIC_URL", "https://news.example"),
            ("HINDSIGHT_MAIL_MAX_ATTEMPTS", "3"),
        ]),
    )
    .expect("valid mail settings");
    assert_eq!(s.mail.smtp_url.as_ref().map(Secret::expose), Some(url));
    assert_eq!(s.mail.from, "News <news@example.com>");
    assert_eq!(s.mail.public_url, "https://news.example");
    assert_eq!(s.mail.max_attempts, 3);
    assert!(
        !format!("{s:?}").contains("Tr0ub4dor-mail"),
        "password in Debug"
    );

    let bad = "ftp://ada:Tr0ub4dor-mail@mail.example";
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_SMTP_URL", bad)]))
        .expect_err("not an SMTP URL");
    assert_eq!(err.setting, "HINDSIGHT_SMTP_URL");
    for shown in [err.to_string(), format!("{err:?}")] {
        assert!(!shown.contains("Tr0ub4dor-mail"), "secret echoed: {shown}");
    }
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_MAIL_FROM", "nobody")]))
        .expect_err("not an address");
    assert_eq!(err.setting, "HINDSIGHT_MAIL_FROM");
    let err = Settings::from_sources(
        None,
        &env(&[("HINDSIGHT_PUBLIC_URL", "https://x.example/")]),
    )
    .expect_err("trailing slash");
    assert_eq!(err.setting, "HINDSIGHT_PUBLIC_URL");
}

#[test]
fn requiring_verified_email_needs_smtp() {
    let err = Settings::from_sources(None, &env(&[("HINDSIGHT_REQUIRE_VERIFIED_EMAIL", "true")]))
        .expect_err("no smtp_url");
    assert_eq!(err.setting, "HINDSIGHT_REQUIRE_VERIFIED_EMAIL");
    assert!(err.message.contains("smtp_url"), "{}", err.message);
    let on = Settings::from_sources(
        None,
        &env(&[
            ("HINDSIGHT_REQUIRE_VERIFIED_EMAIL", "true"),
            ("HINDSIGHT_SMTP_URL", "smtp://127.0.0.1:2525"),
        ]),
    )
    .expect("valid");
    assert!(on.require_verified_email);
    assert!(
        !Settings::from_sources(None, &env(&[]))
            .expect("defaults")
            .require_verified_email
    );
}

#[test]
fn an_smtp_ca_file_that_is_missing_or_holds_no_certificate_is_named() {
    let missing = std::env::temp_dir().join(format!("hindsight-no-ca-{}.pem", std::process::id()));
    let text = format!("smtp_ca_file = {:?}\n", missing.display().to_string());
    let err = from_file(&text, &[]).expect_err("a missing CA file");
    assert_eq!(err.setting, "smtp_ca_file");
    assert!(err.message.contains("cannot read"), "{}", err.message);

    // A file without a certificate, through the environment, next to a secret SMTP URL.
    let empty = file("not a certificate\n");
    let err = Settings::from_sources(
        None,
        &env(&[
            (
                "HINDSIGHT_SMTP_URL",
                "smtps://ada:Tr0ub4dor-mail@mail.example",
            ),
            ("HINDSIGHT_SMTP_CA_FILE", &empty.display().to_string()),
        ]),
    )
    .expect_err("no certificate in it");
    assert_eq!(err.setting, "HINDSIGHT_SMTP_CA_FILE");
    assert!(
        err.message.contains("no PEM certificate"),
        "{}",
        err.message
    );
    assert!(!err.to_string().contains("Tr0ub4dor-mail"), "{err}");

    let broken = file("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    let err = Settings::from_sources(
        None,
        &env(&[("HINDSIGHT_SMTP_CA_FILE", &broken.display().to_string())]),
    )
    .expect_err("not a certificate");
    assert_eq!(err.setting, "HINDSIGHT_SMTP_CA_FILE");
    assert!(Settings::from_sources(None, &env(&[]))
        .expect("defaults")
        .mail
        .smtp_ca_file
        .is_none());
}
