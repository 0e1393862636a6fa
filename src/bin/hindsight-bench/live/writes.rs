//! The writers: comments and votes at fixed rates over keep-alive connections, each request's
//! latency recorded, and the server's CPU over the phase.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{percentile_ms, LiveArgs, Process};

/// What a write phase measured.
pub(super) struct WritePhase {
    /// Marker → (sent, response received).
    pub(super) comments: HashMap<u64, (Instant, Instant)>,
    pub(super) server_cpu_secs: f64,
}

static NEXT_MARKER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

pub(super) async fn write_phase(
    args: &LiveArgs,
    tokens: &[(i64, String)],
    targets: &[i64],
    server: &Process,
    name: &str,
    vote: i32,
) -> anyhow::Result<WritePhase> {
    let seconds = Duration::from_secs(args.seconds);
    let cpu_start = server.cpu_secs()?;
    let commenters = spawn_commenters(args, tokens, seconds);
    let voters = spawn_voters(args, tokens, targets, seconds, vote);
    let mut comments = HashMap::new();
    let mut comment_latencies = Vec::new();
    let mut comment_errors = 0;
    for task in commenters {
        let (sent, errors) = task.await??;
        comment_errors += errors;
        for (marker, at, done) in sent {
            comment_latencies.push(done - at);
            comments.insert(marker, (at, done));
        }
    }
    let mut vote_latencies = Vec::new();
    let mut vote_errors = 0;
    for task in voters {
        let (latencies, errors) = task.await??;
        vote_latencies.extend(latencies);
        vote_errors += errors;
    }
    let server_cpu_secs = server.cpu_secs()? - cpu_start;
    println!(
        "{name}_comments {} errors {comment_errors} p50_ms {:.2} p99_ms {:.2}",
        comment_latencies.len(),
        percentile_ms(&mut comment_latencies, 0.5),
        percentile_ms(&mut comment_latencies, 0.99)
    );
    println!(
        "{name}_votes {} errors {vote_errors} p50_ms {:.2} p99_ms {:.2}",
        vote_latencies.len(),
        percentile_ms(&mut vote_latencies, 0.5),
        percentile_ms(&mut vote_latencies, 0.99)
    );
    println!(
        "{name}_server_cpu_pct {:.1}",
        server_cpu_secs / args.seconds as f64 * 100.0
    );
    Ok(WritePhase {
        comments,
        server_cpu_secs,
    })
}

type CommentLog = (Vec<(u64, Instant, Instant)>, usize);

/// Two connections writing comments at the requested rate between them.
fn spawn_commenters(
    args: &LiveArgs,
    tokens: &[(i64, String)],
    seconds: Duration,
) -> Vec<tokio::task::JoinHandle<anyhow::Result<CommentLog>>> {
    let writers = 2usize;
    let per_writer = f64::from(args.comments_per_sec.max(1)) / writers as f64;
    (0..writers)
        .map(|w| {
            let addr = args.addr.clone();
            let path = format!("/api/v1/articles/{}/comments", args.article);
            let token = tokens[w % tokens.len()].1.clone();
            tokio::spawn(async move {
                let mut client = Client::connect(&addr).await?;
                let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / per_writer));
                let deadline = Instant::now() + seconds;
                let (mut sent, mut errors) = (Vec::new(), 0);
                while Instant::now() < deadline {
                    ticker.tick().await;
                    let marker = NEXT_MARKER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let body = format!("{{\"body\":\"Live bench comment lbc-{marker} here.\"}}");
                    let at = Instant::now();
                    let status = client.send("POST", &path, &token, &body).await?;
                    if status == 201 {
                        sent.push((marker, at, Instant::now()));
                    } else {
                        errors += 1;
                    }
                }
                Ok((sent, errors))
            })
        })
        .collect()
}

type VoteLog = (Vec<Duration>, usize);

/// Eight connections voting `value` at the requested rate between them, each as a rotating
/// voter on a rotating comment (every pair once per phase, so each vote changes the counts).
fn spawn_voters(
    args: &LiveArgs,
    tokens: &[(i64, String)],
    targets: &[i64],
    seconds: Duration,
    value: i32,
) -> Vec<tokio::task::JoinHandle<anyhow::Result<VoteLog>>> {
    let voters = 8usize;
    let per_voter = f64::from(args.votes_per_sec.max(1)) / voters as f64;
    (0..voters)
        .map(|v| {
            let addr = args.addr.clone();
            let tokens: Vec<String> = tokens
                .iter()
                .skip(2 + v)
                .step_by(voters)
                .map(|(_, t)| t.clone())
                .collect();
            let targets = targets.to_vec();
            tokio::spawn(async move {
                let mut client = Client::connect(&addr).await?;
                let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / per_voter));
                let deadline = Instant::now() + seconds;
                let (mut latencies, mut errors, mut n) = (Vec::new(), 0, 0usize);
                while Instant::now() < deadline && !tokens.is_empty() && !targets.is_empty() {
                    ticker.tick().await;
                    let token = &tokens[n % tokens.len()];
                    let comment = targets[(n / tokens.len() + v) % targets.len()];
                    n += 1;
                    let at = Instant::now();
                    let status = client
                        .send(
                            "PUT",
                            &format!("/api/v1/comments/{comment}/vote"),
                            token,
                            &format!("{{\"value\":{value}}}"),
                        )
                        .await?;
                    if status == 200 {
                        latencies.push(at.elapsed());
                    } else {
                        errors += 1;
                    }
                }
                Ok((latencies, errors))
            })
        })
        .collect()
}

/// A keep-alive HTTP/1.1 connection that sends JSON and reads `Content-Length` responses.
struct Client {
    reader: BufReader<TcpStream>,
    host: String,
}

impl Client {
    async fn connect(addr: &str) -> anyhow::Result<Self> {
        Ok(Self {
            reader: BufReader::new(TcpStream::connect(addr).await?),
            host: addr.to_owned(),
        })
    }

    /// Sends one request and returns the status, the body read and dropped.
    async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: &str,
    ) -> anyhow::Result<u16> {
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            self.host,
            body.len()
        );
        self.reader.get_mut().write_all(request.as_bytes()).await?;
        let mut line = String::new();
        self.reader.read_line(&mut line).await?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .with_context(|| format!("bad status line {line:?}"))?;
        let mut length = 0usize;
        loop {
            line.clear();
            self.reader.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse()?;
            }
        }
        let mut body = vec![0u8; length];
        self.reader.read_exact(&mut body).await?;
        Ok(status)
    }
}
