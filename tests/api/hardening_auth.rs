//! What a hostile tester found in accounts and roles: failed-login limits under concurrency,
//! device tokens, forwarded addresses, password checks behind a stolen token, display names,
//! bans that outlive deletion, and admins acting against admins.

use futures_util::future::join_all;
use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

fn statuses(responses: &[reqwest::Response]) -> (usize, usize, usize) {
    let count = |code: u16| {
        responses
            .iter()
            .filter(|r| r.status().as_u16() == code)
            .count()
    };
    (count(401), count(429), responses.len())
}

#[tokio::test]
async fn concurrent_wrong_passwords_from_one_address_get_only_the_budget() {
    let app = limited_app(|l| {
        l.auth_per_ip = rule("1000/min");
        l.failed_login_per_account_ip = rule("5/min");
    })
    .await;
    app.register("target").await;
    let responses = join_all(
        (0..10).map(|_| login_from(&app, "198.51.100.7", "target", "wrong-password-x", None)),
    )
    .await;
    let (unauthorized, limited, all) = statuses(&responses);
    assert_eq!(unauthorized, 5, "at most the budget is checked");
    assert_eq!(limited, 5, "the rest are refused before hashing");
    assert_eq!(all, 10);
}

#[tokio::test]
async fn concurrent_guesses_from_many_addresses_share_the_account_budget() {
    let app = limited_app(|l| {
        l.auth_per_ip = rule("1000/min");
        l.failed_login_per_account_ip = rule("100/min");
        l.failed_login_per_account = rule("20/hour");
    })
    .await;
    app.register("target").await;
    let responses = join_all((0..120).map(|i| {
        let ip = format!("203.0.113.{}", i % 12);
        let app = &app;
        async move { login_from(app, &ip, "target", "wrong-password-x", None).await }
    }))
    .await;
    let (unauthorized, limited, _) = statuses(&responses);
    assert_eq!(unauthorized, 20);
    assert_eq!(limited, 100);
}

#[tokio::test]
async fn strangers_cannot_lock_the_owner_out_of_a_device_that_logged_in_before() {
    let app = limited_app(|l| {
        l.auth_per_ip = rule("1000/min");
        l.failed_login_per_account_ip = rule("5/min");
        l.failed_login_per_account = rule("50/hour");
    })
    .await;
    app.register("owner").await;
    let other = app.register("other").await;
    let first = json_with_status(
        login_from(&app, "192.0.2.1", "owner", STRONG_PASSWORD, None).await,
        200,
    )
    .await;
    let device = first["device_token"]
        .as_str()
        .expect("device token")
        .to_owned();
    let others_device = json_with_status(
        login_from(&app, "192.0.2.1", &other.username, STRONG_PASSWORD, None).await,
        200,
    )
    .await["device_token"]
        .as_str()
        .expect("device token")
        .to_owned();
    // 100 failures from 20 addresses fill the account's budget.
    for i in 0..100 {
        let ip = format!("198.51.100.{}", i % 20);
        login_from(&app, &ip, "owner", "wrong-password-x", None).await;
    }
    assert_problem(
        login_from(&app, "192.0.2.1", "owner", STRONG_PASSWORD, None).await,
        429,
    )
    .await;
    assert_problem(
        login_from(
            &app,
            "192.0.2.1",
            "owner",
            STRONG_PASSWORD,
            Some(&others_device),
        )
        .await,
        429,
    )
    .await;
    assert_problem(
        login_from(&app, "192.0.2.1", "owner", STRONG_PASSWORD, Some("forged")).await,
        429,
    )
    .await;
    let again = json_with_status(
        login_from(&app, "192.0.2.1", "owner", STRONG_PASSWORD, Some(&device)).await,
        200,
    )
    .await;
    assert!(again["device_token"].is_string(), "a fresh device token");
    // The device is never exempt from its own (account, address) budget.
    for _ in 0..5 {
        assert_problem(
            login_from(
                &app,
                "192.0.2.1",
                "owner",
                "wrong-password-y",
                Some(&device),
            )
            .await,
            401,
        )
        .await;
    }
    assert_problem(
        login_from(&app, "192.0.2.1", "owner", STRONG_PASSWORD, Some(&device)).await,
        429,
    )
    .await;
    // A device token never authenticates a request.
    assert_problem(app.get_as(&device, "/api/v1/me").await, 401).await;
}

#[tokio::test]
async fn a_username_and_its_email_share_one_failed_login_budget() {
    let app = limited_app(|l| {
        l.auth_per_ip = rule("1000/min");
        l.failed_login_per_account_ip = rule("3/min");
    })
    .await;
    app.register("alice").await;
    for login in ["alice", "ALICE", "alice@example.com"] {
        assert_problem(
            login_from(&app, "192.0.2.9", login, "wrong-password-x", None).await,
            401,
        )
        .await;
    }
    for login in ["alice", "Alice@Example.com"] {
        assert_problem(
            login_from(&app, "192.0.2.9", login, "wrong-password-x", None).await,
            429,
        )
        .await;
    }
}

#[tokio::test]
async fn every_forwarded_line_counts_so_a_client_line_cannot_choose_the_address() {
    let app = limited_app(|l| l.auth_per_ip = rule("2/min")).await;
    let login = |client_line: &'static str| {
        let mut headers = HeaderMap::new();
        // What the client sent, then the line the proxy appended with the address it saw.
        headers.append("x-forwarded-for", HeaderValue::from_static(client_line));
        headers.append("x-forwarded-for", HeaderValue::from_static("203.0.113.50"));
        app.request(Method::POST, "/api/v1/auth/login")
            .headers(headers)
            .json(&json!({"login": "nobody", "password": "whatever-password"}))
            .send()
    };
    for client_line in ["10.1.1.1", "10.1.1.2"] {
        assert_problem(login(client_line).await.expect("request"), 401).await;
    }
    assert_problem(login("10.1.1.3").await.expect("request"), 429).await;
}

#[tokio::test]
async fn password_checks_behind_a_stolen_token_share_the_login_limits() {
    let app = limited_app(|l| {
        l.auth_per_ip = rule("1000/min");
        l.failed_login_per_account_ip = rule("3/min");
    })
    .await;
    let user = app.register("stolen").await;
    let change = |current: &'static str| {
        app.request(Method::POST, "/api/v1/me/password")
            .bearer_auth(&user.token)
            .header("x-forwarded-for", "192.0.2.44")
            .json(&json!({"current_password": current, "new_password": "another-quiet-lantern-77"}))
            .send()
    };
    for _ in 0..2 {
        assert_problem(change("guess-number-one").await.expect("request"), 403).await;
    }
    let delete = app
        .request(Method::DELETE, "/api/v1/me")
        .bearer_auth(&user.token)
        .header("x-forwarded-for", "192.0.2.44")
        .json(&json!({"password": "guess-number-two"}))
        .send()
        .await
        .expect("request");
    assert_problem(delete, 403).await;
    // The budget is spent: even the right password waits, and so does the login.
    assert_problem(change(STRONG_PASSWORD).await.expect("request"), 429).await;
    assert_problem(
        login_from(&app, "192.0.2.44", "stolen", STRONG_PASSWORD, None).await,
        429,
    )
    .await;
    // Concurrent guesses are held to the budget too.
    app.clock.advance(chrono::Duration::minutes(1));
    let guesses = join_all((0..8).map(|_| change("guess-concurrently"))).await;
    let refused = guesses
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|r| r.status() == 429))
        .count();
    assert_eq!(refused, 5, "3 checked, 5 refused");
}

#[tokio::test]
async fn display_names_cannot_hide_characters_or_impersonate_a_username() {
    let app = TestApp::spawn().await;
    app.register("bob").await;
    let mallory = app.register("mallory").await;
    let patch = |name: &str| {
        app.request(Method::PATCH, "/api/v1/me")
            .bearer_auth(&mallory.token)
            .json(&json!({"display_name": name}))
            .send()
    };
    for name in [
        "bob\u{202E}",
        "b\u{200B}ob",
        "\u{3164}",
        "a\u{2066}b",
        "tab\there",
    ] {
        let problem = assert_problem(patch(name).await.expect("request"), 422).await;
        assert_eq!(
            problem_fields(&problem),
            vec![("display_name".to_owned(), "invalid_characters".to_owned())],
            "{name:?}"
        );
    }
    for name in ["BOB", "Ｂｏｂ", "bob"] {
        let problem = assert_problem(patch(name).await.expect("request"), 409).await;
        assert_eq!(problem["errors"][0]["field"], "display_name", "{name}");
    }
    let own = json_with_status(patch("Mallory").await.expect("request"), 200).await;
    assert_eq!(own["display_name"], "Mallory");
    let fine = json_with_status(patch("Bob the builder").await.expect("request"), 200).await;
    assert_eq!(fine["display_name"], "Bob the builder");
}

async fn ban(app: &TestApp, moderator: &TestUser, username: &str, body: Value) {
    let response = app
        .post_as(
            &moderator.token,
            &format!("/api/v1/users/{username}/ban"),
            &body,
        )
        .await;
    assert_eq!(response.status(), 204, "{:?}", response.text().await);
}

async fn delete_account(app: &TestApp, user: &TestUser) {
    let response = app
        .send_json(
            Method::DELETE,
            "/api/v1/me",
            Some(&user.token),
            &json!({"password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 204);
}

async fn register_as(app: &TestApp, username: &str, email: &str) -> reqwest::Response {
    app.post(
        "/api/v1/auth/register",
        &json!({"username": username, "email": email, "password": STRONG_PASSWORD}),
    )
    .await
}

#[tokio::test]
async fn a_ban_outlives_the_deletion_of_its_account() {
    let app = TestApp::spawn().await;
    let moderator = app.register_with_role("warden", "moderator").await;
    let evader = app.register("evader").await;
    ban(&app, &moderator, "evader", json!({"reason": "Spam rings"})).await;
    delete_account(&app, &evader).await;
    for (username, email) in [
        ("Evader", "fresh@example.com"),
        ("fresh_name", "EVADER+again@Example.com"),
    ] {
        let problem = assert_problem(register_as(&app, username, email).await, 403).await;
        assert_eq!(problem["type"], "/problems/banned", "{username} {email}");
        assert_eq!(problem["ban_reason"], "Spam rings");
    }
    // Nor can a live account take the address over by changing its own.
    let other = app.register("bystander").await;
    let moved = app
        .send_json(
            Method::PATCH,
            "/api/v1/me",
            Some(&other.token),
            &json!({"email": "evader@example.com"}),
        )
        .await;
    let problem = assert_problem(moved, 403).await;
    assert_eq!(problem["type"], "/problems/banned");
    // Lifting the ban (on the deleted account's name) lets the address register again.
    let deleted = format!("deleted-{}", evader.id);
    let lifted = app
        .send_json(
            Method::DELETE,
            &format!("/api/v1/users/{deleted}/ban"),
            Some(&moderator.token),
            &json!({}),
        )
        .await;
    assert_eq!(lifted.status(), 204);
    json_with_status(register_as(&app, "evader", "evader@example.com").await, 201).await;
}

#[tokio::test]
async fn a_temporary_ban_kept_after_deletion_lapses_on_time() {
    let app = TestApp::spawn().await;
    let moderator = app.register_with_role("warden", "moderator").await;
    let user = app.register("brief").await;
    let until = (app.clock.now() + chrono::Duration::days(2)).to_rfc3339();
    ban(
        &app,
        &moderator,
        "brief",
        json!({"reason": "Cool off", "expires_at": until}),
    )
    .await;
    delete_account(&app, &user).await;
    assert_problem(register_as(&app, "brief", "other@example.com").await, 403).await;
    app.clock.advance(chrono::Duration::days(3));
    json_with_status(register_as(&app, "brief", "brief@example.com").await, 201).await;
    // A deletion without a ban keeps nothing.
    let plain = app.register("plain").await;
    delete_account(&app, &plain).await;
    json_with_status(register_as(&app, "plain", "plain@example.com").await, 201).await;
}

async fn put_role(
    app: &TestApp,
    admin: &TestUser,
    username: &str,
    role: &str,
) -> reqwest::Response {
    app.send_json(
        Method::PUT,
        &format!("/api/v1/users/{username}/role"),
        Some(&admin.token),
        &json!({"role": role}),
    )
    .await
}

#[tokio::test]
async fn no_admin_acts_against_another_admin_through_the_api() {
    let app = TestApp::spawn().await;
    let first = app.register_with_role("first_admin", "admin").await;
    let second = app.register_with_role("second_admin", "admin").await;
    // Demote-then-ban is closed at the first step.
    assert_problem(put_role(&app, &first, "second_admin", "reader").await, 403).await;
    assert_problem(
        put_role(&app, &first, "first_admin", "moderator").await,
        403,
    )
    .await;
    assert_problem(
        app.post_as(
            &first.token,
            "/api/v1/users/second_admin/ban",
            &json!({"reason": "takeover"}),
        )
        .await,
        403,
    )
    .await;
    let me = json_with_status(app.get_as(&second.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["role"], "admin");
    assert_eq!(
        app.count("SELECT count(*) AS count FROM mod_actions").await,
        0,
        "refusals log nothing"
    );
    // Readers and moderators still change through the API.
    app.register("climber").await;
    json_with_status(put_role(&app, &first, "climber", "moderator").await, 200).await;
    // A deleted account gets no role.
    let gone = app.register("gone").await;
    delete_account(&app, &gone).await;
    let problem = assert_problem(
        put_role(&app, &first, &format!("deleted-{}", gone.id), "moderator").await,
        409,
    )
    .await;
    assert_eq!(problem["type"], "/problems/account-deleted");
}

fn set_role_cli(app: &TestApp, username: &str, role: &str) -> std::process::Output {
    hindsight_cli(app, &["set-role", username, role])
}

#[tokio::test]
async fn the_command_line_changes_admins_but_never_demotes_the_last() {
    let app = TestApp::spawn().await;
    let only = app.register_with_role("only_admin", "admin").await;
    let refused = set_role_cli(&app, "only_admin", "reader");
    assert!(!refused.status.success());
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(stderr.contains("last admin"), "{stderr}");
    let me = json_with_status(app.get_as(&only.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["role"], "admin");
    app.register("heir").await;
    assert!(set_role_cli(&app, "heir", "admin").status.success());
    let demoted = set_role_cli(&app, "only_admin", "moderator");
    assert!(
        demoted.status.success(),
        "{}",
        String::from_utf8_lossy(&demoted.stderr)
    );
    let me = json_with_status(app.get_as(&only.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["role"], "moderator");
}

#[tokio::test]
async fn commands_that_need_data_refuse_a_database_that_does_not_exist() {
    let missing = unique_database_name();
    for (binary, args) in [
        (
            env!("CARGO_BIN_EXE_hindsight"),
            vec!["set-role", "someone", "admin"],
        ),
        (
            env!("CARGO_BIN_EXE_hindsight-bench"),
            vec!["bench-tokens", "--prefix", "load_"],
        ),
    ] {
        let output = std::process::Command::new(binary)
            .args(&args)
            .env("DATABASE_URL", database_url(&missing))
            .output()
            .expect("runs");
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
        assert!(stderr.contains("does not exist"), "{stderr}");
    }
    let app = TestApp::spawn().await;
    let exists = app
        .count(&format!(
            "SELECT count(*) AS count FROM pg_database WHERE datname = '{missing}'"
        ))
        .await;
    assert_eq!(exists, 0, "nothing was created");
}
