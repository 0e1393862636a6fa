//! Accounts and token auth through HTTP.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

const KNOWN_SECRET: &str = "a-test-secret-that-is-at-least-32-bytes-long";

#[tokio::test]
async fn registering_answers_the_account_and_a_token_pair() {
    let app = TestApp::spawn().await;
    let body = json_with_status(
        app.post(
            "/api/v1/auth/register",
            &json!({"username": "Min_Ji", "email": "Min.Ji@Example.com", "password": STRONG_PASSWORD, "role": "admin"}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["user"]["username"], "Min_Ji", "shown as registered");
    assert_eq!(
        body["user"]["role"], "reader",
        "a role in the body is ignored"
    );
    assert_eq!(body["user"]["karma"], 0);
    for field in ["id", "email", "display_name", "bio", "created_at"] {
        assert!(body["user"].get(field).is_some(), "{field} missing");
    }
    assert!(body["refresh_token"]
        .as_str()
        .is_some_and(|t| t.len() >= 43));
    let me = json_with_status(
        app.get_as(body["access_token"].as_str().expect("token"), "/api/v1/me")
            .await,
        200,
    )
    .await;
    assert_eq!(me["username"], "Min_Ji");
}

#[tokio::test]
async fn every_invalid_field_is_named_at_once_and_nothing_is_stored() {
    let app = TestApp::spawn().await;
    let problem = assert_problem(
        app.post(
            "/api/v1/auth/register",
            &json!({"username": "x!", "email": "not-an-email", "password": "short"}),
        )
        .await,
        422,
    )
    .await;
    let fields = problem_fields(&problem);
    assert!(
        fields.contains(&("username".into(), "too_short".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("email".into(), "invalid_format".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("password".into(), "too_short".into())),
        "{fields:?}"
    );
    assert_eq!(app.count("SELECT count(*) AS count FROM users").await, 0);
}

#[tokio::test]
async fn each_registration_rule_names_its_field_and_code() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"username": "a".repeat(33), "email": "a@example.com", "password": STRONG_PASSWORD}),
            "username",
            "too_long",
        ),
        (
            json!({"username": "has-dash", "email": "a@example.com", "password": STRONG_PASSWORD}),
            "username",
            "invalid_format",
        ),
        (
            json!({"username": "valid_name", "email": "a@example.com", "password": "password1234"}),
            "password",
            "weak_password",
        ),
        (
            json!({"username": "valid_name", "email": "a@example.com", "password": "x".repeat(129)}),
            "password",
            "too_long",
        ),
        (
            json!({"username": "valid_name_long", "email": "a@example.com", "password": "Valid_Name_Long"}),
            "password",
            "same_as_identity",
        ),
        (
            json!({"username": "valid_name", "email": "a@example.com"}),
            "password",
            "required",
        ),
        (
            json!({"username": 5, "email": "a@example.com", "password": STRONG_PASSWORD}),
            "username",
            "invalid_type",
        ),
    ];
    for (body, field, code) in cases {
        let problem = assert_problem(app.post("/api/v1/auth/register", &body).await, 422).await;
        assert!(
            problem_fields(&problem).contains(&(field.to_owned(), code.to_owned())),
            "{body} -> {problem}"
        );
    }
    assert_eq!(app.count("SELECT count(*) AS count FROM users").await, 0);
}

#[tokio::test]
async fn passwords_are_counted_in_characters_and_never_trimmed() {
    let app = TestApp::spawn().await;
    // Nine visible characters plus a trailing space: ten characters, accepted as given.
    let password = "ωκεανός7ξ ";
    let body = json!({"username": "greek", "email": "g@example.com", "password": password});
    json_with_status(app.post("/api/v1/auth/register", &body).await, 201).await;
    json_with_status(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "greek", "password": password}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "greek", "password": password.trim()})
        )
        .await
        .status(),
        401
    );
}

#[tokio::test]
async fn usernames_and_emails_are_unique_without_regard_to_case() {
    let app = TestApp::spawn().await;
    app.register("alice").await;
    let problem = assert_problem(
        app.post(
            "/api/v1/auth/register",
            &json!({"username": "ALICE", "email": "ALICE@EXAMPLE.COM", "password": STRONG_PASSWORD}),
        )
        .await,
        409,
    )
    .await;
    let fields = problem_fields(&problem);
    assert!(
        fields.contains(&("username".into(), "taken".into())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("email".into(), "taken".into())),
        "{fields:?}"
    );
    assert_eq!(app.count("SELECT count(*) AS count FROM users").await, 1);
}

#[tokio::test]
async fn login_works_with_username_or_email_in_any_case() {
    let app = TestApp::spawn().await;
    app.register("Bora").await;
    for login in ["Bora", "bora", "BORA@example.COM"] {
        let body = json_with_status(
            app.post(
                "/api/v1/auth/login",
                &json!({"login": login, "password": STRONG_PASSWORD}),
            )
            .await,
            200,
        )
        .await;
        assert_eq!(body["user"]["username"], "Bora");
        assert_eq!(body["token_type"], "Bearer");
    }
}

#[tokio::test]
async fn unknown_user_and_wrong_password_get_the_same_401_after_a_dummy_hash() {
    let app = TestApp::spawn().await;
    app.register("chul").await;
    let before = app.passwords.dummy_verifications();
    let unknown = assert_problem(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "nobody", "password": STRONG_PASSWORD}),
        )
        .await,
        401,
    )
    .await;
    assert_eq!(
        app.passwords.dummy_verifications(),
        before + 1,
        "the dummy hash was verified"
    );
    let wrong = assert_problem(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "chul", "password": "not-the-password"}),
        )
        .await,
        401,
    )
    .await;
    assert_eq!(app.passwords.dummy_verifications(), before + 1);
    let strip = |mut v: Value| {
        v["request_id"] = Value::Null;
        v
    };
    assert_eq!(strip(unknown), strip(wrong));
}

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/auth/refresh", &json!({"refresh_token": token}))
        .await
}

#[tokio::test]
async fn refreshing_retires_the_old_token_and_reuse_revokes_the_family() {
    let app = TestApp::spawn().await;
    let user = app.register("dae").await;
    let first = json_with_status(refresh(&app, &user.refresh_token).await, 200).await;
    let second_token = first["refresh_token"].as_str().expect("token").to_owned();
    assert_ne!(second_token, user.refresh_token);
    json_with_status(
        app.get_as(
            first["access_token"].as_str().expect("access"),
            "/api/v1/me",
        )
        .await,
        200,
    )
    .await;
    // The retired token comes back: theft. 401, and the live token of the family dies too.
    assert_problem(refresh(&app, &user.refresh_token).await, 401).await;
    assert_problem(refresh(&app, &second_token).await, 401).await;
    // Another login (another family) is unaffected.
    let other = json_with_status(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "dae", "password": STRONG_PASSWORD}),
        )
        .await,
        200,
    )
    .await;
    json_with_status(
        refresh(&app, other["refresh_token"].as_str().expect("token")).await,
        200,
    )
    .await;
}

#[tokio::test]
async fn refresh_tokens_expire_after_thirty_days() {
    let app = TestApp::spawn().await;
    let user = app.register("eun").await;
    app.clock
        .advance(chrono::Duration::days(30) + chrono::Duration::seconds(1));
    assert_problem(refresh(&app, &user.refresh_token).await, 401).await;
    assert_problem(refresh(&app, "made-up").await, 401).await;
}

#[tokio::test]
async fn logout_revokes_the_family_without_an_access_token() {
    let app = TestApp::spawn().await;
    let user = app.register("finn").await;
    let response = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_problem(refresh(&app, &user.refresh_token).await, 401).await;
    let again = app
        .post(
            "/api/v1/auth/logout",
            &json!({"refresh_token": user.refresh_token}),
        )
        .await;
    assert_eq!(again.status(), 204);
}

#[tokio::test]
async fn the_own_account_can_be_read_and_edited() {
    let app = TestApp::spawn().await;
    let user = app.register("gyu").await;
    let me = json_with_status(app.get_as(&user.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["email"], "gyu@example.com");
    assert_eq!(me["role"], "reader");
    assert_null(&me, "display_name");
    let patch = |body: Value| {
        app.request(Method::PATCH, "/api/v1/me")
            .bearer_auth(&user.token)
            .json(&body)
            .send()
    };
    let updated = json_with_status(
        patch(json!({"display_name": "  Gyu from Busan ", "bio": "Reads about trade."}))
            .await
            .expect("request"),
        200,
    )
    .await;
    assert_eq!(updated["display_name"], "Gyu from Busan");
    assert_eq!(updated["bio"], "Reads about trade.");
    let cleared = json_with_status(patch(json!({"bio": null})).await.expect("request"), 200).await;
    assert_null(&cleared, "bio");
    assert_eq!(
        cleared["display_name"], "Gyu from Busan",
        "absent field unchanged"
    );
    let problem = assert_problem(
        patch(json!({"display_name": "x".repeat(65), "bio": "y".repeat(1001)}))
            .await
            .expect("request"),
        422,
    )
    .await;
    let fields = problem_fields(&problem);
    assert!(fields.contains(&("display_name".into(), "too_long".into())));
    assert!(fields.contains(&("bio".into(), "too_long".into())));
    assert_problem(patch(json!({})).await.expect("request"), 422).await;
    assert_problem(app.get("/api/v1/me").await, 401).await;
}

#[tokio::test]
async fn public_profiles_ignore_case_and_never_show_the_email() {
    let app = TestApp::spawn().await;
    app.register("Hana").await;
    let profile = json_with_status(app.get("/api/v1/users/hANA").await, 200).await;
    assert_eq!(profile["username"], "Hana");
    assert_absent(&profile, "email");
    for field in ["id", "display_name", "bio", "role", "karma", "created_at"] {
        assert!(profile.get(field).is_some(), "{field} missing");
    }
    assert_problem(app.get("/api/v1/users/nobody").await, 404).await;
}

#[tokio::test]
async fn changing_the_password_ends_every_session() {
    let app = TestApp::spawn().await;
    let user = app.register("ivy").await;
    let wrong = assert_problem(
        app.post_as(
            &user.token,
            "/api/v1/me/password",
            &json!({"current_password": "not-it-at-all", "new_password": "a-new-strong-secret-42"}),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(wrong["code"], "wrong_password");
    let weak = assert_problem(
        app.post_as(
            &user.token,
            "/api/v1/me/password",
            &json!({"current_password": STRONG_PASSWORD, "new_password": "password1234"}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(
        problem_fields(&weak),
        vec![("new_password".into(), "weak_password".into())]
    );
    let response = app
        .post_as(
            &user.token,
            "/api/v1/me/password",
            &json!({"current_password": STRONG_PASSWORD, "new_password": "a-new-strong-secret-42"}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_problem(app.get_as(&user.token, "/api/v1/me").await, 401).await;
    assert_problem(refresh(&app, &user.refresh_token).await, 401).await;
    json_with_status(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "ivy", "password": "a-new-strong-secret-42"}),
        )
        .await,
        200,
    )
    .await;
}

#[tokio::test]
async fn deleting_the_account_anonymises_it() {
    let app = TestApp::spawn().await;
    let user = app.register("jun").await;
    let wrong = assert_problem(
        app.send_json(
            Method::DELETE,
            "/api/v1/me",
            Some(&user.token),
            &json!({"password": "nope-nope-nope"}),
        )
        .await,
        403,
    )
    .await;
    assert_eq!(wrong["code"], "wrong_password");
    let response = app
        .send_json(
            Method::DELETE,
            "/api/v1/me",
            Some(&user.token),
            &json!({"password": STRONG_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert_problem(app.get_as(&user.token, "/api/v1/me").await, 401).await;
    assert_problem(refresh(&app, &user.refresh_token).await, 401).await;
    assert_problem(
        app.post(
            "/api/v1/auth/login",
            &json!({"login": "jun", "password": STRONG_PASSWORD}),
        )
        .await,
        401,
    )
    .await;
    let profile = json_with_status(
        app.get(&format!("/api/v1/users/deleted-{}", user.id)).await,
        200,
    )
    .await;
    assert_eq!(profile["username"], format!("deleted-{}", user.id));
    assert_eq!(
        app.count(
            "SELECT count(*) AS count FROM users WHERE email IS NULL AND password_hash IS NULL"
        )
        .await,
        1
    );
    // The name is free again.
    app.register("jun").await;
}

#[tokio::test]
async fn only_admins_change_roles_and_the_change_applies_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.register_with_role("root_admin", "admin").await;
    let reader = app.register("kim").await;
    let refused = app
        .send_json(
            Method::PUT,
            "/api/v1/users/root_admin/role",
            Some(&reader.token),
            &json!({"role": "reader"}),
        )
        .await;
    assert_problem(refused, 403).await;
    let anonymous = app
        .send_json(
            Method::PUT,
            "/api/v1/users/kim/role",
            None,
            &json!({"role": "admin"}),
        )
        .await;
    assert_problem(anonymous, 401).await;
    let bad_role = app
        .send_json(
            Method::PUT,
            "/api/v1/users/kim/role",
            Some(&admin.token),
            &json!({"role": "emperor"}),
        )
        .await;
    assert_eq!(
        problem_fields(&assert_problem(bad_role, 422).await)[0].0,
        "role"
    );
    let missing = app
        .send_json(
            Method::PUT,
            "/api/v1/users/nobody/role",
            Some(&admin.token),
            &json!({"role": "moderator"}),
        )
        .await;
    assert_problem(missing, 404).await;
    let changed = json_with_status(
        app.send_json(
            Method::PUT,
            "/api/v1/users/KIM/role",
            Some(&admin.token),
            &json!({"role": "moderator"}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(changed["role"], "moderator");
    // The same, older token now carries the new role.
    let me = json_with_status(app.get_as(&reader.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["role"], "moderator");
}

#[tokio::test]
async fn the_cli_sets_roles() {
    let app = TestApp::spawn().await;
    let user = app.register("lee").await;
    let output = hindsight_cli(&app, &["set-role", "LEE", "admin"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("lee is now admin"));
    let me = json_with_status(app.get_as(&user.token, "/api/v1/me").await, 200).await;
    assert_eq!(me["role"], "admin");
    let unknown = hindsight_cli(&app, &["set-role", "nobody", "admin"]);
    assert!(!unknown.status.success());
}

#[tokio::test]
async fn the_generated_secret_is_shared_by_every_instance_on_the_database() {
    let app = TestApp::spawn().await;
    let user = app.register("moon").await;
    let second = app.second_instance().await;
    json_with_status(second.get_as(&user.token, "/api/v1/me").await, 200).await;
    assert_eq!(
        app.count("SELECT count(*) AS count FROM server_secrets")
            .await,
        1
    );
}

fn claims(app: &TestApp, user: &TestUser) -> Value {
    let now = app.clock.now().timestamp();
    json!({
        "sub": user.id.to_string(), "iat": now, "exp": now + 900,
        "iss": "hindsight", "aud": "hindsight-api", "typ": "access", "ver": 0
    })
}

fn sign(claims: &Value, secret: &str, algorithm: Algorithm) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()).expect("key"),
    )
    .expect("sign")
}

#[tokio::test]
async fn forged_expired_and_malformed_access_tokens_are_refused() {
    let app = TestApp::spawn_with(|s| {
        s.jwt_secret = Some(hindsight::config::Secret::new(KNOWN_SECRET));
    })
    .await;
    let user = app.register("nam").await;
    let good = claims(&app, &user);
    // The forging works at all: a correctly signed token is accepted.
    json_with_status(
        app.get_as(&sign(&good, KNOWN_SECRET, Algorithm::HS256), "/api/v1/me")
            .await,
        200,
    )
    .await;

    let mut cases: Vec<(&str, String)> = Vec::new();
    cases.push((
        "another secret",
        sign(
            &good,
            "another-secret-of-at-least-32-bytes!!",
            Algorithm::HS256,
        ),
    ));
    cases.push(("HS384", sign(&good, KNOWN_SECRET, Algorithm::HS384)));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(good.to_string());
        cases.push(("alg none", format!("{header}.{payload}.")));
    }
    let mut expired = good.clone();
    let now = app.clock.now().timestamp();
    expired["iat"] = json!(now - 910);
    expired["exp"] = json!(now - 10);
    cases.push((
        "expired by 10 s",
        sign(&expired, KNOWN_SECRET, Algorithm::HS256),
    ));
    for claim in ["sub", "iat", "exp", "iss", "aud", "typ", "ver"] {
        let mut missing = good.clone();
        missing.as_object_mut().expect("object").remove(claim);
        cases.push((
            "missing claim",
            sign(&missing, KNOWN_SECRET, Algorithm::HS256),
        ));
    }
    let mut foreign_iss = good.clone();
    foreign_iss["iss"] = json!("someone-else");
    cases.push((
        "foreign iss",
        sign(&foreign_iss, KNOWN_SECRET, Algorithm::HS256),
    ));
    let mut foreign_aud = good.clone();
    foreign_aud["aud"] = json!("another-api");
    cases.push((
        "foreign aud",
        sign(&foreign_aud, KNOWN_SECRET, Algorithm::HS256),
    ));
    let mut refresh_typed = good.clone();
    refresh_typed["typ"] = json!("refresh");
    cases.push((
        "typ refresh",
        sign(&refresh_typed, KNOWN_SECRET, Algorithm::HS256),
    ));
    cases.push(("refresh token as access token", user.refresh_token.clone()));
    cases.push(("garbage", "not.a.jwt".to_owned()));

    for (what, token) in cases {
        let response = app.get_as(&token, "/api/v1/me").await;
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer"),
            "{what}"
        );
        assert_problem(response, 401).await;
    }
}

#[tokio::test]
async fn access_tokens_expire_with_the_service_clock() {
    let app = TestApp::spawn().await;
    let user = app.register("ok_jin").await;
    app.clock.advance(chrono::Duration::seconds(900 - 1));
    json_with_status(app.get_as(&user.token, "/api/v1/me").await, 200).await;
    app.clock.advance(chrono::Duration::seconds(20));
    assert_problem(app.get_as(&user.token, "/api/v1/me").await, 401).await;
}
