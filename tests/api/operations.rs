//! Operations: security headers, input bounds, graceful shutdown, database outages.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use reqwest::Method;
use serde_json::json;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::*;

#[tokio::test]
async fn every_response_carries_nosniff_and_private_ones_no_store() {
    let app = TestApp::spawn().await;
    let user = app.register("header_user").await;
    let public = app.get("/healthz").await;
    assert_eq!(public.headers()["x-content-type-options"], "nosniff");
    assert!(public.headers().get("cache-control").is_none());
    let with_token = app.get_as(&user.token, "/api/v1/me").await;
    assert_eq!(with_token.headers()["cache-control"], "no-store");
    assert_eq!(with_token.headers()["x-content-type-options"], "nosniff");
    let auth_route = app
        .post(
            "/api/v1/auth/login",
            &json!({"login": "x", "password": "y"}),
        )
        .await;
    assert_eq!(auth_route.headers()["cache-control"], "no-store");
    let problem = app.get("/api/v1/nowhere").await;
    assert_eq!(problem.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn over_long_query_strings_are_refused() {
    let app = TestApp::spawn().await;
    let long = "x".repeat(5_000);
    let problem = assert_problem(app.get(&format!("/api/v1/articles?tag={long}")).await, 414).await;
    assert_eq!(problem["type"], "/problems/uri-too-long");
    let big = "y".repeat(20_000);
    let response = app
        .request(Method::GET, "/api/v1/articles")
        .header("x-padding", big)
        .send()
        .await
        .expect("request");
    assert_eq!(
        assert_problem(response, 431).await["type"],
        "/problems/headers-too-large"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The served binary of a test, killed if the test ends before the binary exits by itself,
/// so that a failing run leaves no server behind.
struct ServedBinary(std::process::Child);

impl Drop for ServedBinary {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

#[tokio::test]
async fn sigterm_finishes_in_flight_requests_then_exits_zero() {
    // The database of this test, migrated by a throwaway app, then served by the real binary.
    let app = TestApp::spawn().await;
    let user = app.register("shutdown_user").await;
    let port = free_port();
    let child = ServedBinary(
        Command::new(env!("CARGO_BIN_EXE_hindsight"))
            .arg("serve")
            .env("DATABASE_URL", database_url(&app.database))
            .env("HINDSIGHT_BIND", format!("127.0.0.1:{port}"))
            .env("HINDSIGHT_JWT_SECRET", "")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let started = Instant::now();
    while client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .map(|r| r.status() != 200)
        .unwrap_or(true)
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the binary never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A token from the child itself (its clock is the system clock, not the test's).
    let login: serde_json::Value = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&json!({"login": "shutdown_user", "password": STRONG_PASSWORD}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let token = login["access_token"].as_str().expect("token").to_owned();
    // Hold the user's row so the profile update waits on it.
    let mut blocker = app.db().await;
    blocker.batch_execute("BEGIN").await.expect("begin");
    blocker
        .batch_execute(&format!(
            "SELECT id FROM users WHERE id = {} FOR UPDATE",
            user.id
        ))
        .await
        .expect("lock");
    let request = tokio::spawn({
        let (client, url, token) = (client.clone(), format!("{base}/api/v1/me"), token.clone());
        async move {
            client
                .request(Method::PATCH, url)
                .bearer_auth(token)
                .json(&json!({"bio": "written during shutdown"}))
                .send()
                .await
                .map(|r| r.status().as_u16())
        }
    });
    // Signal only once the PATCH is inside PostgreSQL, blocked on the held row.
    app.wait_for_lock_waiter("UPDATE \"users\"", Duration::from_secs(10))
        .await;
    let status = Command::new("kill")
        .args(["-TERM", &child.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    // The server has begun its graceful shutdown once its listener is closed; only then is
    // the lock released, so the PATCH provably finishes during the shutdown.
    let signalled = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "the binary still accepts connections 10 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        !request.is_finished(),
        "the PATCH finished before the shutdown began: nothing was in flight"
    );
    blocker.batch_execute("COMMIT").await.expect("release");
    assert_eq!(request.await.expect("joined").expect("answered"), 200);
    let exit = tokio::task::spawn_blocking(move || {
        let mut served = child;
        served.0.wait()
    })
    .await
    .expect("joined")
    .expect("exit");
    assert_eq!(exit.code(), Some(0));
    let bio = app
        .count(&format!(
            "SELECT count(*) AS count FROM users WHERE id = {} AND bio = 'written during shutdown'",
            user.id
        ))
        .await;
    assert_eq!(bio, 1);
}

/// A TCP proxy the test can cut and restore, between the service and PostgreSQL.
struct ChaosProxy {
    port: u16,
    open: watch::Sender<bool>,
}

impl ChaosProxy {
    /// Listens on a free local port and forwards every connection to `host:port`.
    async fn start(host: String, port: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let local_port = listener.local_addr().expect("addr").port();
        let (open, watcher) = watch::channel(true);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    continue;
                };
                let mut watcher = watcher.clone();
                if !*watcher.borrow() {
                    let _ = inbound.shutdown().await;
                    continue;
                }
                let host = host.clone();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect((host.as_str(), port)).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = async { while *watcher.borrow_and_update() { if watcher.changed().await.is_err() { break; } } } => {}
                    }
                });
            }
        });
        Self {
            port: local_port,
            open,
        }
    }

    fn cut(&self) {
        let _ = self.open.send(false);
    }

    fn restore(&self) {
        let _ = self.open.send(true);
    }
}

/// A PostgreSQL URL cut around its server's address.
#[derive(Debug, PartialEq)]
struct ServerUrl {
    /// Scheme and user info: `postgres://user:password@`.
    prefix: String,
    /// Host name or address (IPv6 without brackets).
    host: String,
    /// Port (5432 when the URL names none).
    port: u16,
    /// Path and query: `/database?sslmode=disable`.
    rest: String,
}

impl ServerUrl {
    /// Splits a `postgres://` URL; panics on one without a TCP host (a proxy needs one).
    fn parse(url: &str) -> Self {
        let shown = hindsight::db::redact_url(url);
        let (scheme, after) = url
            .split_once("://")
            .unwrap_or_else(|| panic!("not a postgres:// URL: {shown}"));
        let (authority, rest) = after.split_at(after.find(['/', '?']).unwrap_or(after.len()));
        let (user, address) = match authority.rsplit_once('@') {
            Some((user, address)) => (format!("{user}@"), address),
            None => (String::new(), authority),
        };
        let (host, port) = match address.strip_prefix('[') {
            Some(v6) => {
                let (host, port) = v6
                    .split_once(']')
                    .unwrap_or_else(|| panic!("unclosed [ in {shown}"));
                (host, port.strip_prefix(':'))
            }
            None => match address.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (address, None),
            },
        };
        assert!(
            !host.is_empty(),
            "the outage test proxies TCP and needs a host in {shown}"
        );
        Self {
            prefix: format!("{scheme}://{user}"),
            host: host.to_owned(),
            port: port.map_or(5432, |p| {
                p.parse()
                    .unwrap_or_else(|_| panic!("bad port `{p}` in {shown}"))
            }),
            rest: rest.to_owned(),
        }
    }

    /// The same URL with the server replaced by `127.0.0.1:port`.
    fn through_local_port(&self, port: u16) -> String {
        format!("{}127.0.0.1:{port}{}", self.prefix, self.rest)
    }
}

#[test]
fn server_urls_are_cut_around_host_and_port() {
    assert_eq!(
        ServerUrl::parse("postgres://postgres@127.0.0.1:5433/db?sslmode=disable"),
        ServerUrl {
            prefix: "postgres://postgres@".to_owned(),
            host: "127.0.0.1".to_owned(),
            port: 5433,
            rest: "/db?sslmode=disable".to_owned(),
        }
    );
    let v6 = ServerUrl::parse("postgresql://u:p%40ss@[::1]/db");
    assert_eq!((v6.host.as_str(), v6.port), ("::1", 5432));
    assert_eq!(
        v6.through_local_port(7000),
        "postgresql://u:p%40ss@127.0.0.1:7000/db"
    );
    let bare = ServerUrl::parse("postgres://localhost");
    assert_eq!(
        (bare.host.as_str(), bare.port, bare.rest.as_str()),
        ("localhost", 5432, "")
    );
}

#[tokio::test]
async fn a_database_outage_answers_503_quickly_and_the_service_recovers() {
    // Dropped when the test ends, also when an assertion below fails.
    let guard = DatabaseGuard::fresh().await;
    let database = guard.name.as_str();
    // The server the other tests use (HINDSIGHT_TEST_DATABASE_URL), behind the proxy.
    let server = ServerUrl::parse(&database_url(database));
    let proxy = ChaosProxy::start(server.host.clone(), server.port).await;
    let mut settings = test_settings(database);
    settings.database_url = server.through_local_port(proxy.port);
    settings.pool_timeout = Duration::from_millis(800);
    let app = hindsight::Application::build(settings, hindsight::Clock::system())
        .await
        .expect("builds");
    let base = format!("http://127.0.0.1:{}", app.port());
    let pool = app.pool().clone();
    tokio::spawn(app.run_until_stopped());
    let client = reqwest::Client::new();
    assert_eq!(
        client
            .get(format!("{base}/readyz"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );

    proxy.cut();
    for path in ["/readyz", "/api/v1/articles"] {
        let started = Instant::now();
        let response = client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 503, "{path}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{path} took {:?}",
            started.elapsed()
        );
    }
    assert_eq!(
        client
            .get(format!("{base}/healthz"))
            .send()
            .await
            .expect("request")
            .status(),
        200
    );

    proxy.restore();
    let recovered = Instant::now();
    loop {
        let status = client
            .get(format!("{base}/api/v1/articles"))
            .send()
            .await
            .expect("request")
            .status();
        if status == 200 {
            break;
        }
        assert!(
            recovered.elapsed() < Duration::from_secs(10),
            "never recovered: {status}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Killing the pool's backends from the database side is survived the same way.
    let mut admin = AsyncPgConnection::establish(&admin_url())
        .await
        .expect("admin");
    admin
        .batch_execute(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND application_name = 'hindsight'"
        ))
        .await
        .expect("terminate");
    let after_kill = Instant::now();
    loop {
        let status = client
            .get(format!("{base}/api/v1/articles"))
            .send()
            .await
            .expect("request")
            .status();
        assert!(
            status == 200 || status == 503,
            "a dead connection must not become a {status}"
        );
        if status == 200 {
            break;
        }
        assert!(
            after_kill.elapsed() < Duration::from_secs(10),
            "never recovered after terminate"
        );
    }
    pool.close();
}

#[tokio::test]
async fn over_the_limit_is_a_429_with_headers_and_it_resets_with_time() {
    let app = limited_app(|l| {
        l.comments = rule("2/min");
        l.new_account_comments = rule("2/min");
    })
    .await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Limits", &[]).await;
    let user = app.register("limited_user").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    for _ in 0..2 {
        json_with_status(
            app.post_as(&user.token, &path, &json!({"body": "hi"}))
                .await,
            201,
        )
        .await;
    }
    let response = app
        .post_as(&user.token, &path, &json!({"body": "one too many"}))
        .await;
    let headers = response.headers().clone();
    let problem = assert_problem(response, 429).await;
    assert_eq!(problem["type"], "/problems/rate-limited");
    assert_eq!(headers["retry-after"], "30");
    assert_eq!(headers["ratelimit-limit"], "2");
    assert_eq!(headers["ratelimit-remaining"], "0");
    assert_eq!(headers["ratelimit-reset"], "60");
    assert_eq!(app.count("SELECT count(*) AS count FROM comments").await, 2);
    app.clock.advance(chrono::Duration::seconds(30));
    json_with_status(
        app.post_as(&user.token, &path, &json!({"body": "after the reset"}))
            .await,
        201,
    )
    .await;
}

#[tokio::test]
async fn young_accounts_have_the_stricter_comment_limit() {
    let app = limited_app(|l| {
        l.comments = rule("5/min");
        l.new_account_comments = rule("1/min");
    })
    .await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Young", &[]).await;
    let user = app.register("young_user").await;
    let path = format!("/api/v1/articles/{slug}/comments");
    json_with_status(
        app.post_as(&user.token, &path, &json!({"body": "first"}))
            .await,
        201,
    )
    .await;
    assert_problem(
        app.post_as(&user.token, &path, &json!({"body": "second"}))
            .await,
        429,
    )
    .await;
    // A day later the account is no longer young.
    app.clock.advance(chrono::Duration::days(1));
    let user = app.login(&user).await;
    for i in 0..5 {
        json_with_status(
            app.post_as(&user.token, &path, &json!({"body": format!("grown {i}")}))
                .await,
            201,
        )
        .await;
    }
}

#[tokio::test]
async fn failed_logins_are_throttled_per_account_and_ip_and_per_account() {
    let app = limited_app(|l| {
        l.auth_per_ip = rule("100/min");
        l.failed_login_per_account_ip = rule("2/min");
        l.failed_login_per_account = rule("3/hour");
    })
    .await;
    app.register("victim").await;
    for _ in 0..2 {
        assert_problem(
            login_from(&app, "10.0.0.1", "victim", "wrong-password-1", None).await,
            401,
        )
        .await;
    }
    // The same account from the same address is throttled…
    assert_problem(
        login_from(&app, "10.0.0.1", "victim", "wrong-password-1", None).await,
        429,
    )
    .await;
    // …another address still gets answers, until the per-account cap is reached.
    assert_problem(
        login_from(&app, "10.0.0.2", "victim", "wrong-password-1", None).await,
        401,
    )
    .await;
    assert_problem(
        login_from(&app, "10.0.0.3", "victim", STRONG_PASSWORD, None).await,
        429,
    )
    .await;
    // Other accounts from the throttled address are not affected.
    app.register("bystander").await;
    json_with_status(
        login_from(&app, "10.0.0.1", "bystander", STRONG_PASSWORD, None).await,
        200,
    )
    .await;
    // The caps refill with time.
    app.clock.advance(chrono::Duration::hours(1));
    json_with_status(
        login_from(&app, "10.0.0.1", "victim", STRONG_PASSWORD, None).await,
        200,
    )
    .await;
}

#[tokio::test]
async fn login_and_register_are_limited_per_client_ip() {
    let app = limited_app(|l| l.auth_per_ip = rule("2/min")).await;
    for _ in 0..2 {
        assert_problem(
            login_from(&app, "192.0.2.7", "nobody", "whatever-password", None).await,
            401,
        )
        .await;
    }
    assert_problem(
        login_from(&app, "192.0.2.7", "nobody", "whatever-password", None).await,
        429,
    )
    .await;
    assert_problem(
        login_from(&app, "192.0.2.8", "nobody", "whatever-password", None).await,
        401,
    )
    .await;
}

#[tokio::test]
async fn votes_and_reports_have_their_limits() {
    let app = limited_app(|l| {
        l.votes = rule("2/min");
        l.reports = rule("1/hour");
    })
    .await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Votes limited", &[]).await;
    let author = app.register("limit_author").await;
    let voter = app.register("limit_voter").await;
    let comment = app.comment_id(&author, &slug, "vote me", None).await;
    let vote = |value: i64| {
        let (app, token, path) = (
            &app,
            voter.token.clone(),
            format!("/api/v1/comments/{comment}/vote"),
        );
        async move {
            app.send_json(Method::PUT, &path, Some(&token), &json!({"value": value}))
                .await
        }
    };
    json_with_status(vote(1).await, 200).await;
    json_with_status(vote(0).await, 200).await;
    assert_problem(vote(1).await, 429).await;
    json_with_status(
        app.post_as(
            &voter.token,
            &format!("/api/v1/comments/{comment}/reports"),
            &json!({"reason": "spam"}),
        )
        .await,
        201,
    )
    .await;
    let second = app.comment_id(&author, &slug, "another", None).await;
    assert_problem(
        app.post_as(
            &voter.token,
            &format!("/api/v1/comments/{second}/reports"),
            &json!({"reason": "spam"}),
        )
        .await,
        429,
    )
    .await;
}

#[tokio::test]
async fn metrics_are_served_and_count() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let slug = app.create_article(&admin, "Metrics", &[]).await;
    let user = app.register("metrics_user").await;
    let comment = app.comment_id(&admin, &slug, "count me", None).await;
    json_with_status(
        app.send_json(
            Method::PUT,
            &format!("/api/v1/comments/{comment}/vote"),
            Some(&user.token),
            &json!({"value": 1}),
        )
        .await,
        200,
    )
    .await;
    assert_problem(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "metrics_user", "password": "wrong-password!"}),
        )
        .await,
        401,
    )
    .await;
    app.get("/healthz").await;
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .expect("ascii")
        .starts_with("text/plain"));
    let text = response.text().await.expect("body");
    for line in [
        "hindsight_http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 1",
        "hindsight_comments_created_total 1",
        "hindsight_votes_total 1",
        "hindsight_logins_failed_total 1",
        "hindsight_http_requests_in_flight 1",
    ] {
        assert!(text.contains(line), "missing `{line}` in\n{text}");
    }
    assert!(text.contains(
        "hindsight_http_request_duration_seconds_bucket{route=\"/api/v1/comments/{id}/vote\""
    ));
    assert!(text.contains("hindsight_db_pool_max_size 4"));
    assert!(
        !app.get("/api/v1/metrics").await.status().is_success(),
        "not under /api/v1"
    );

    let hidden = TestApp::spawn_with(|s| s.metrics = false).await;
    assert_problem(hidden.get("/metrics").await, 404).await;
}

#[tokio::test]
async fn nul_characters_never_reach_the_database() {
    let app = TestApp::spawn().await;
    assert_problem(app.get("/api/v1/predictions?article=a%00b").await, 422).await;
    assert_problem(app.get("/api/v1/articles/a%00b").await, 404).await;
    assert_problem(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "a\u{0}b", "password": "whatever"}),
        )
        .await,
        422,
    )
    .await;
}
