//! TestApp: a fresh database cloned from a migrated template, the real server on port 0, and
//! one helper per endpoint. Databases are dropped when their test ends; leftovers of crashed
//! runs (named after a process that no longer exists) are swept at the next start.

#![allow(
    dead_code,
    reason = "a toolkit: not every helper is used by every feature's tests"
)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use hindsight::db::{quote_ident, with_database, DbPool};
use hindsight::{Application, Clock, Settings};
use reqwest::{Method, Response};
use serde_json::Value;
use tokio::sync::OnceCell;

static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The admin connection URL (`HINDSIGHT_TEST_DATABASE_URL`).
pub fn admin_url() -> String {
    std::env::var("HINDSIGHT_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@localhost:5432/postgres".to_owned())
}

/// A URL to `database` on the test server.
pub fn database_url(database: &str) -> String {
    with_database(&admin_url(), database).expect("HINDSIGHT_TEST_DATABASE_URL names a database")
}

async fn admin_connection() -> AsyncPgConnection {
    match AsyncPgConnection::establish(&admin_url()).await {
        Ok(conn) => conn,
        Err(e) => panic!(
            "cannot reach the test PostgreSQL at {} ({e}); start it with `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start` or set HINDSIGHT_TEST_DATABASE_URL",
            admin_url()
        ),
    }
}

#[derive(diesel::QueryableByName)]
struct Name {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

/// Drops test databases whose creating process is gone.
async fn sweep_stale_databases(conn: &mut AsyncPgConnection) {
    let names: Vec<Name> =
        diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'hindsight\\_t%'")
            .load(conn)
            .await
            .unwrap_or_default();
    for Name { datname } in names {
        let pid = datname
            .split('_')
            .nth(2)
            .and_then(|p| p.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            let _ = conn
                .batch_execute(&format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    quote_ident(&datname)
                ))
                .await;
        }
    }
}

/// The migrated template of this test process, built once.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let mut conn = admin_connection().await;
            sweep_stale_databases(&mut conn).await;
            let name = format!("hindsight_tpl_{}", std::process::id());
            conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&name)
            ))
            .await
            .expect("drop old template");
            conn.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
                .await
                .expect("create template");
            hindsight::db::run_migrations(&database_url(&name))
                .await
                .expect("migrate template");
            name
        })
        .await
}

/// A new database name for this process.
pub fn unique_database_name() -> String {
    format!(
        "hindsight_test_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Creates a fresh migrated database cloned from the template; returns its name.
pub async fn fresh_database() -> String {
    let template = template().await;
    let name = unique_database_name();
    let mut conn = admin_connection().await;
    let sql = format!(
        "CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY",
        quote_ident(&name),
        quote_ident(template)
    );
    let mut attempts = 0;
    loop {
        match conn.batch_execute(&sql).await {
            Ok(()) => return name,
            // Two clones at the same instant can collide on the template; try again.
            Err(e) if attempts < 20 && e.to_string().contains("being accessed") => {
                attempts += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("creating test database {name}: {e}"),
        }
    }
}

/// Drops a test database from a helper thread (Drop cannot await).
pub fn drop_database_blocking(name: String) {
    let _ = std::thread::spawn(move || {
        let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        runtime.block_on(async move {
            if let Ok(mut conn) = AsyncPgConnection::establish(&admin_url()).await {
                let _ = conn
                    .batch_execute(&format!(
                        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                        quote_ident(&name)
                    ))
                    .await;
            }
        });
    })
    .join();
}

/// Owns a test database that no `TestApp` owns, and drops it when the test ends.
///
/// Why a guard: a test that builds its own `Application` (for instance behind a proxy) must
/// not leave its database behind when an assertion fails halfway; a `drop_database_blocking`
/// call at the end of the test runs only when the test passes.
pub struct DatabaseGuard {
    /// The database's name.
    pub name: String,
}

impl DatabaseGuard {
    /// A fresh migrated database (see [`fresh_database`]), dropped with the guard.
    pub async fn fresh() -> Self {
        Self {
            name: fresh_database().await,
        }
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        drop_database_blocking(self.name.clone());
    }
}

/// Settings for a test app on `database`: port 0, one worker, a small pool with a short wait.
pub fn test_settings(database: &str) -> Settings {
    let mut settings = Settings::defaults();
    settings.database_url = database_url(database);
    settings.bind = "127.0.0.1:0".to_owned();
    settings.workers = 1;
    settings.pool_size = 4;
    settings.pool_timeout = Duration::from_secs(3);
    // Tests move the clock themselves and call the refresh when they need it.
    settings.hot_refresh = Duration::ZERO;
    // Likewise the notification jobs: their tests turn them on with a short interval.
    settings.deadline_job = Duration::ZERO;
    settings.retention_job = Duration::ZERO;
    // Tests register and post far faster than any person; limits have their own tests.
    settings.rate_limits.enabled = false;
    settings
}

fn init_test_logging() {
    if std::env::var("TEST_LOG").is_ok() {
        hindsight::telemetry::init(hindsight::config::LogFormat::Pretty);
    }
}

/// A running service on its own database.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`
    pub address: String,
    /// The service's clock (manual: tests move it).
    pub clock: Clock,
    /// The app's pool, for direct checks of the database.
    pub pool: DbPool,
    /// The test database's name.
    pub database: String,
    /// A client without cookies or redirects.
    pub client: reqwest::Client,
    /// The password service (to see dummy verifications).
    pub passwords: hindsight::auth::password::Passwords,
    /// False for a second instance sharing another app's database.
    owns_database: bool,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.pool.close();
        if self.owns_database {
            drop_database_blocking(self.database.clone());
        }
    }
}

/// The instant test clocks start at.
pub fn test_epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
        .expect("valid")
        .with_timezone(&Utc)
}

impl TestApp {
    /// A service with default test settings.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// A service whose settings the test adjusts first.
    pub async fn spawn_with(adjust: impl FnOnce(&mut Settings)) -> Self {
        init_test_logging();
        let database = fresh_database().await;
        let mut settings = test_settings(&database);
        adjust(&mut settings);
        Self::start(database, settings, Clock::manual(test_epoch()), true).await
    }

    /// Another instance on this app's database (restarts, replicas).
    pub async fn second_instance(&self) -> Self {
        let settings = test_settings(&self.database);
        Self::start(self.database.clone(), settings, self.clock.clone(), false).await
    }

    /// Another instance on this app's database, with settings the test adjusts.
    pub async fn second_instance_with(&self, adjust: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = test_settings(&self.database);
        adjust(&mut settings);
        Self::start(self.database.clone(), settings, self.clock.clone(), false).await
    }

    async fn start(
        database: String,
        settings: Settings,
        clock: Clock,
        owns_database: bool,
    ) -> Self {
        let app = Application::build(settings, clock.clone())
            .await
            .expect("the application builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let pool = app.pool().clone();
        let passwords = app.passwords().clone();
        tokio::spawn(app.run_until_stopped());
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Self {
            address,
            clock,
            pool,
            database,
            client,
            passwords,
            owns_database,
        }
    }

    /// A request builder for `path` (relative to the server root).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, format!("{}{}", self.address, path))
    }

    /// GET without a token.
    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request")
    }

    /// GET with a bearer token.
    pub async fn get_as(&self, token: &str, path: &str) -> Response {
        self.request(Method::GET, path)
            .bearer_auth(token)
            .send()
            .await
            .expect("request")
    }

    /// Sends JSON with an optional bearer token.
    pub async fn send_json(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut builder = self.request(method, path).json(body);
        if let Some(token) = token {
            builder = builder.bearer_auth(token);
        }
        builder.send().await.expect("request")
    }

    /// POST JSON without a token.
    pub async fn post(&self, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, None, body).await
    }

    /// POST JSON with a token.
    pub async fn post_as(&self, token: &str, path: &str, body: &Value) -> Response {
        self.send_json(Method::POST, path, Some(token), body).await
    }

    /// A direct connection to the test database, for assertions on stored rows.
    pub async fn db(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&database_url(&self.database))
            .await
            .expect("test database connection")
    }

    /// Counts rows with an SQL query returning `count`.
    pub async fn count(&self, sql: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            count: i64,
        }
        let mut conn = self.db().await;
        diesel::sql_query(sql)
            .get_result::<Count>(&mut conn)
            .await
            .expect("count query")
            .count
    }
}

impl TestApp {
    /// Waits until a backend connected to this test's database is running a statement that
    /// starts with `query_prefix` and is blocked on a lock; panics, listing the database's
    /// backends, if none is after `within`.
    ///
    /// Why: a test that holds a row lock to keep a request in flight must know that the
    /// request has reached PostgreSQL and is stuck there before it acts (sends a signal,
    /// starts a racing request, releases the lock). A fixed sleep is either slow or, on a
    /// loaded machine, too short, and then the test silently checks something else.
    pub async fn wait_for_lock_waiter(&self, query_prefix: &str, within: Duration) {
        #[derive(diesel::QueryableByName)]
        struct Backend {
            #[diesel(sql_type = diesel::sql_types::Text)]
            line: String,
        }
        let mut conn = self.db().await;
        let started = std::time::Instant::now();
        loop {
            let waiting: Vec<Backend> = diesel::sql_query(
                "SELECT pid::text AS line FROM pg_stat_activity \
                 WHERE datname = current_database() AND state = 'active' \
                   AND wait_event_type = 'Lock' AND starts_with(query, $1)",
            )
            .bind::<diesel::sql_types::Text, _>(query_prefix)
            .load(&mut conn)
            .await
            .expect("pg_stat_activity query");
            if !waiting.is_empty() {
                return;
            }
            if started.elapsed() > within {
                let backends: Vec<Backend> = diesel::sql_query(
                    "SELECT concat_ws(' | ', pid, state, wait_event_type, wait_event, \
                            left(query, 100)) AS line \
                     FROM pg_stat_activity WHERE datname = current_database()",
                )
                .load(&mut conn)
                .await
                .unwrap_or_default();
                let lines: Vec<String> = backends.into_iter().map(|b| b.line).collect();
                panic!(
                    "after {within:?} no backend of {} was waiting on a lock in a statement \
                     starting with {query_prefix:?}; its backends (pid | state | wait type | \
                     wait event | query):\n{}",
                    self.database,
                    lines.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Asserts the status and the problem+json shape; returns the problem body.
pub async fn assert_problem(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status; body: {body}");
    assert_eq!(content_type, "application/problem+json", "body: {body}");
    assert_eq!(body["status"], status, "body: {body}");
    assert!(body["type"]
        .as_str()
        .is_some_and(|t| t.starts_with("/problems/")));
    body
}

/// The fields named by a validation problem.
pub fn problem_fields(problem: &Value) -> Vec<(String, String)> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| {
                    (
                        e["field"].as_str().unwrap_or_default().to_owned(),
                        e["code"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a JSON body after checking the status.
pub async fn json_with_status(response: Response, status: u16) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(actual, status, "unexpected status; body: {body}");
    body
}

/// Asserts that the JSON object `value` has the key `key` and that its value is null.
///
/// Why not `assert_eq!(value["key"], Value::Null)`: indexing a `serde_json::Value` yields
/// `Null` for a missing key (and for any key of a non-object), so such an assertion also
/// passes when the field vanished from the response. The API documents its nullable fields
/// as always present (null, never omitted); this checks both halves of that promise.
#[track_caller]
pub fn assert_null(value: &Value, key: &str) {
    let Some(object) = value.as_object() else {
        panic!("expected a JSON object with a null `{key}`, got: {value}");
    };
    match object.get(key) {
        Some(Value::Null) => {}
        Some(other) => panic!("`{key}` should be null but is {other} in: {value}"),
        None => panic!("`{key}` should be present (as null) but is missing from: {value}"),
    }
}

/// Asserts that the JSON object `value` has no key `key` at all.
///
/// Why not `value.get(key).is_none()`: `get` on a non-object (for instance `body["items"][0]`
/// of an empty list, which is `Null`) also answers `None`, so such an assertion passes
/// without having looked at any object.
#[track_caller]
pub fn assert_absent(value: &Value, key: &str) {
    let Some(object) = value.as_object() else {
        panic!("expected a JSON object without `{key}`, got: {value}");
    };
    if let Some(present) = object.get(key) {
        panic!("`{key}` should be absent but is {present} in: {value}");
    }
}

/// A password zxcvbn scores as strong.
pub const STRONG_PASSWORD: &str = "harbour-lantern-quietly-9";

/// A registered user and their tokens.
#[derive(Debug, Clone)]
pub struct TestUser {
    /// Id.
    pub id: i64,
    /// Username.
    pub username: String,
    /// Access token.
    pub token: String,
    /// Refresh token.
    pub refresh_token: String,
}

impl TestApp {
    /// Registers `username` (email `<username>@example.com`, the strong password).
    pub async fn register(&self, username: &str) -> TestUser {
        let body = json_with_status(
            self.post(
                "/api/v1/auth/register",
                &serde_json::json!({
                    "username": username,
                    "email": format!("{username}@example.com"),
                    "password": STRONG_PASSWORD,
                }),
            )
            .await,
            201,
        )
        .await;
        TestUser {
            id: body["user"]["id"].as_i64().expect("id"),
            username: username.to_owned(),
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("refresh").to_owned(),
        }
    }

    /// Sets a role directly in the database (what `hindsight set-role` does).
    pub async fn set_role(&self, user: &TestUser, role: &str) {
        let mut conn = self.db().await;
        hindsight::accounts::queries::set_role(&mut conn, &user.username, role)
            .await
            .expect("set role")
            .expect("user exists");
    }

    /// Registers a user and makes them `role`.
    pub async fn register_with_role(&self, username: &str, role: &str) -> TestUser {
        let user = self.register(username).await;
        self.set_role(&user, role).await;
        user
    }
}

impl TestApp {
    /// An admin who writes articles (registered once per call).
    pub async fn admin(&self) -> TestUser {
        self.register_with_role("editor_admin", "admin").await
    }

    /// Creates an article as `admin`; returns its slug.
    pub async fn create_article(&self, admin: &TestUser, title: &str, tags: &[&str]) -> String {
        let body = json_with_status(
            self.post_as(
                &admin.token,
                "/api/v1/articles",
                &serde_json::json!({"title": title, "body": format!("Body of {title}."), "tags": tags}),
            )
            .await,
            201,
        )
        .await;
        body["slug"].as_str().expect("slug").to_owned()
    }

    /// Posts a comment (a reply when `parent` is set); returns the comment.
    pub async fn comment(
        &self,
        user: &TestUser,
        slug: &str,
        body: &str,
        parent: Option<i64>,
    ) -> Value {
        json_with_status(
            self.post_as(
                &user.token,
                &format!("/api/v1/articles/{slug}/comments"),
                &serde_json::json!({"body": body, "parent_id": parent}),
            )
            .await,
            201,
        )
        .await
    }

    /// Posts a comment and returns its id.
    pub async fn comment_id(
        &self,
        user: &TestUser,
        slug: &str,
        body: &str,
        parent: Option<i64>,
    ) -> i64 {
        self.comment(user, slug, body, parent).await["id"]
            .as_i64()
            .expect("id")
    }

    /// GET returning JSON with status 200.
    pub async fn get_json(&self, path: &str) -> Value {
        json_with_status(self.get(path).await, 200).await
    }
}

/// The ids of a list of comments.
pub fn ids(items: &Value) -> Vec<i64> {
    items
        .as_array()
        .map(|a| a.iter().filter_map(|c| c["id"].as_i64()).collect())
        .unwrap_or_default()
}

impl TestApp {
    /// Logs `user` in again (after the test clock outran their access token).
    pub async fn login(&self, user: &TestUser) -> TestUser {
        let body = json_with_status(
            self.post(
                "/api/v1/auth/login",
                &serde_json::json!({"login": user.username, "password": STRONG_PASSWORD}),
            )
            .await,
            200,
        )
        .await;
        TestUser {
            token: body["access_token"].as_str().expect("token").to_owned(),
            refresh_token: body["refresh_token"].as_str().expect("refresh").to_owned(),
            ..user.clone()
        }
    }
}

/// A rate-limit rule from its setting syntax (`5/min`).
pub fn rule(spec: &str) -> hindsight::http::rate_limit::Rule {
    spec.parse().expect("rule")
}

/// A service with rate limits on (adjusted by the test), trusting `X-Forwarded-For` from
/// loopback so that tests can pose as many client addresses.
pub async fn limited_app(
    adjust: impl FnOnce(&mut hindsight::http::rate_limit::RateLimits),
) -> TestApp {
    TestApp::spawn_with(|s| {
        s.rate_limits.enabled = true;
        s.trusted_proxies = vec!["127.0.0.1".parse().expect("ip")];
        s.pool_size = 8;
        adjust(&mut s.rate_limits);
    })
    .await
}

/// A login from the client address `ip` (through the trusted proxy), with an optional device
/// token.
pub async fn login_from(
    app: &TestApp,
    ip: &str,
    login: &str,
    password: &str,
    device: Option<&str>,
) -> reqwest::Response {
    app.request(Method::POST, "/api/v1/auth/login")
        .header("x-forwarded-for", ip)
        .json(&serde_json::json!({"login": login, "password": password, "device_token": device}))
        .send()
        .await
        .expect("request")
}

/// Runs the `hindsight` binary with `args` against the app's database.
pub fn hindsight_cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_hindsight"))
        .args(args)
        .env("DATABASE_URL", database_url(&app.database))
        .output()
        .expect("the binary runs")
}

/// The JSON assertions above guard every other test, so they are tested themselves: each one
/// must fail on exactly the shapes it exists to catch.
mod assertion_tests {
    use super::{assert_absent, assert_null};
    use serde_json::json;

    #[test]
    fn assert_null_accepts_a_present_null() {
        assert_null(&json!({"edited_at": null}), "edited_at");
    }

    #[test]
    #[should_panic(expected = "`edited_at` should be present (as null) but is missing")]
    fn assert_null_refuses_a_missing_key() {
        assert_null(&json!({"id": 1}), "edited_at");
    }

    #[test]
    #[should_panic(expected = "`edited_at` should be null but is \"2026-06-01T12:00:00Z\"")]
    fn assert_null_refuses_a_value() {
        assert_null(&json!({"edited_at": "2026-06-01T12:00:00Z"}), "edited_at");
    }

    #[test]
    #[should_panic(expected = "expected a JSON object with a null `claim`")]
    fn assert_null_refuses_a_non_object() {
        // What `body["prediction"]` is when `prediction` itself is missing.
        assert_null(&json!({})["prediction"], "claim");
    }

    #[test]
    fn assert_absent_accepts_a_missing_key() {
        assert_absent(&json!({"username": "hana"}), "email");
    }

    #[test]
    #[should_panic(expected = "`email` should be absent but is null")]
    fn assert_absent_refuses_a_present_null() {
        assert_absent(&json!({"email": null}), "email");
    }

    #[test]
    #[should_panic(expected = "expected a JSON object without `body`")]
    fn assert_absent_refuses_a_non_object() {
        // What `body["items"][0]` is when the list is empty.
        assert_absent(&json!({"items": []})["items"][0], "body");
    }
}
