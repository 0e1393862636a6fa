//! Settings from `hindsight.toml` reach the running binary (`--config`), and the environment
//! still wins over the file. The loader's own rules are unit tests in `src/config/tests.rs`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::*;

/// Kills the served binary when the test ends, passed or not.
struct Served {
    child: Child,
    base: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The binary serving `database` with `toml` as its `--config` file and `env` on top; no
/// rate-limit variable of the test's own environment leaks in.
async fn serve(database: &str, toml: &str, env: &[(&str, &str)]) -> Served {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let dir = std::env::temp_dir().join(format!("hindsight-toml-{database}-{port}"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("hindsight.toml");
    std::fs::write(&path, format!("bind = \"127.0.0.1:{port}\"\n{toml}")).expect("write");
    let mut command = Command::new(env!("CARGO_BIN_EXE_hindsight"));
    command
        .args(["serve", "--config"])
        .arg(&path)
        .env("DATABASE_URL", database_url(database))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (var, _) in std::env::vars().filter(|(v, _)| v.starts_with("HINDSIGHT_RATE_LIMIT")) {
        command.env_remove(var);
    }
    command.env_remove("HINDSIGHT_BIND");
    command.envs(env.iter().copied());
    let served = Served {
        child: command.spawn().expect("starts"),
        base: format!("http://127.0.0.1:{port}"),
    };
    wait_ready(&served.base).await;
    served
}

async fn wait_ready(base: &str) {
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
}

/// Failed logins from one address until the first 429; returns the statuses.
async fn logins_until_limited(base: &str, most: usize) -> Vec<u16> {
    let client = reqwest::Client::new();
    let mut statuses = Vec::new();
    for _ in 0..most {
        let status = client
            .post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"login": "nobody", "password": "not-the-password"}))
            .send()
            .await
            .expect("login")
            .status()
            .as_u16();
        statuses.push(status);
        if status == 429 {
            break;
        }
    }
    statuses
}

#[tokio::test]
async fn a_rate_limit_from_the_file_applies_and_the_environment_overrides_it() {
    // A migrated database of its own, then served by the real binary.
    let app = TestApp::spawn().await;
    let toml = "[rate_limits]\nauth = \"2/min\"\n";

    let from_file = serve(&app.database, toml, &[]).await;
    assert_eq!(
        logins_until_limited(&from_file.base, 5).await,
        [401, 401, 429]
    );
    drop(from_file);

    let overridden = serve(
        &app.database,
        toml,
        &[("HINDSIGHT_RATE_LIMIT_AUTH", "3/min")],
    )
    .await;
    assert_eq!(
        logins_until_limited(&overridden.base, 5).await,
        [401, 401, 401, 429]
    );
}
