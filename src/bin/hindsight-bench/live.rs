//! `hindsight-bench live`: the live-thread benchmark's client (bench/live.sh). It holds many
//! Server-Sent-Events streams on one article over plain keep-alive sockets (a few KB each, so
//! that 2,000 of them fit beside the server on two cores), writes comments and votes at fixed
//! rates through the API, and reports: the server's resident memory per open stream, the
//! server's CPU with idle streams, the delivery latency of every `comment_created` to every
//! stream, and the writes' own latency and the server's CPU with and without the streams.
//!
//! Latency is measured from the moment the comment's POST was sent (an upper bound of
//! commit → client: it includes the write itself) and from the moment its response arrived
//! (a lower bound: the commit happened before the response; an event that overtook the
//! response counts as 0).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// What the benchmark is pointed at and how hard it pushes.
#[derive(Debug, Clone, clap::Args)]
pub struct LiveArgs {
    /// host:port of the server.
    #[arg(long, default_value = "127.0.0.1:18080")]
    pub addr: String,
    /// Slug of the article whose thread is streamed and written to.
    #[arg(long)]
    pub article: String,
    /// Streams to hold open.
    #[arg(long, default_value_t = 2000)]
    pub streams: usize,
    /// New comments per second.
    #[arg(long, default_value_t = 20)]
    pub comments_per_sec: u32,
    /// Votes per second.
    #[arg(long, default_value_t = 200)]
    pub votes_per_sec: u32,
    /// Seconds of each write phase.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Seconds of each idle CPU window.
    #[arg(long, default_value_t = 30)]
    pub idle_seconds: u64,
    /// File of `user_id access_token` lines (from `bench-tokens`): the writers and voters.
    #[arg(long)]
    pub tokens: std::path::PathBuf,
    /// File of comment ids to vote on (one per line; none written by the voters is required:
    /// votes on one's own comment are refused and counted as such).
    #[arg(long)]
    pub vote_targets: std::path::PathBuf,
    /// Pid of the server, for its RSS and CPU.
    #[arg(long)]
    pub server_pid: u32,
    /// Only the write phase without streams (to measure another build, e.g. one without the
    /// event log, under the same writes).
    #[arg(long)]
    pub writes_only: bool,
}

/// Runs every phase and prints one `name value` line per figure.
pub async fn run(args: LiveArgs) -> anyhow::Result<()> {
    let tokens = read_tokens(&args.tokens)?;
    let targets = read_ids(&args.vote_targets)?;
    let server = Process(args.server_pid);
    let idle = Duration::from_secs(args.idle_seconds);
    if args.writes_only {
        write_phase(&args, &tokens, &targets, &server, "writes_only", 1).await?;
        return Ok(());
    }

    let cpu_no_streams = server.cpu_over(idle).await?;
    let rss_before = server.rss_kb()?;
    let log = Arc::new(Deliveries::default());
    let streams = open_streams(&args, &log).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let rss_after = server.rss_kb()?;
    let cpu_idle_streams = server.cpu_over(idle).await?;
    println!("streams_open {}", streams.len());
    println!("rss_before_kb {rss_before}");
    println!("rss_with_streams_kb {rss_after}");
    println!(
        "rss_per_stream_kb {:.2}",
        rss_after.saturating_sub(rss_before) as f64 / streams.len().max(1) as f64
    );
    report_idle_cpu(cpu_no_streams, cpu_idle_streams, idle, streams.len());

    let with_streams = write_phase(&args, &tokens, &targets, &server, "with_streams", 1).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    report_latency(&log, &with_streams, streams.len());
    for stream in &streams {
        stream.abort();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    // The same voters and comments, every vote flipped: each one changes the counts again.
    let without = write_phase(&args, &tokens, &targets, &server, "no_streams", -1).await?;
    println!(
        "server_cpu_ratio_with_vs_without_streams {:.2}",
        with_streams.server_cpu_secs / without.server_cpu_secs.max(1e-9)
    );
    Ok(())
}

fn report_idle_cpu(no_streams: f64, idle_streams: f64, window: Duration, streams: usize) {
    let secs = window.as_secs_f64();
    println!(
        "server_cpu_idle_no_streams_pct {:.3}",
        no_streams / secs * 100.0
    );
    println!(
        "server_cpu_idle_with_streams_pct {:.3}",
        idle_streams / secs * 100.0
    );
    println!(
        "cpu_per_idle_stream_us_per_s {:.3}",
        (idle_streams - no_streams).max(0.0) / secs / streams.max(1) as f64 * 1e6
    );
}

// ---------------------------------------------------------------------------------------
// The server process.

struct Process(u32);

impl Process {
    fn rss_kb(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")
    }

    /// utime + stime in seconds.
    fn cpu_secs(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0))?;
        let after_name = stat.rsplit_once(')').context("bad stat")?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        Ok(ticks as f64 / 100.0)
    }

    async fn cpu_over(&self, window: Duration) -> anyhow::Result<f64> {
        let start = self.cpu_secs()?;
        tokio::time::sleep(window).await;
        Ok(self.cpu_secs()? - start)
    }
}

// ---------------------------------------------------------------------------------------
// Streams.

/// Every (comment marker, arrival) seen by every stream.
#[derive(Default)]
struct Deliveries {
    arrivals: Mutex<Vec<(u64, Instant)>>,
}

async fn open_streams(
    args: &LiveArgs,
    log: &Arc<Deliveries>,
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<bool>(args.streams.max(1));
    let mut handles = Vec::with_capacity(args.streams);
    for batch_start in (0..args.streams).step_by(100) {
        for _ in batch_start..(batch_start + 100).min(args.streams) {
            let (addr, slug, log, ready) = (
                args.addr.clone(),
                args.article.clone(),
                log.clone(),
                ready_tx.clone(),
            );
            handles.push(tokio::spawn(async move {
                let outcome = hold_stream(&addr, &slug, &log, &ready).await;
                if let Err(error) = outcome {
                    let _ = ready.try_send(false);
                    eprintln!("stream ended: {error:#}");
                }
            }));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut opened = 0;
    for _ in 0..args.streams {
        match tokio::time::timeout(Duration::from_secs(30), ready_rx.recv()).await {
            Ok(Some(true)) => opened += 1,
            Ok(Some(false)) => {}
            _ => bail!("streams did not open in time ({opened} open)"),
        }
    }
    if opened < args.streams {
        bail!("only {opened} of {} streams opened", args.streams);
    }
    Ok(handles)
}

/// Opens one stream and records every comment marker it delivers until aborted.
async fn hold_stream(
    addr: &str,
    slug: &str,
    log: &Deliveries,
    ready: &tokio::sync::mpsc::Sender<bool>,
) -> anyhow::Result<()> {
    let mut socket = TcpStream::connect(addr).await?;
    let request = format!(
        "GET /api/v1/articles/{slug}/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await?;
    let mut reader = BufReader::with_capacity(2048, socket);
    let chunked = read_head(&mut reader).await?;
    let _ = ready.send(true).await;
    let mut line = Vec::with_capacity(256);
    let mut payload = vec![0u8; 0];
    loop {
        let piece: &[u8] = if chunked {
            payload.clear();
            let size = read_chunk_size(&mut reader).await?;
            if size == 0 {
                return Ok(());
            }
            payload.resize(size + 2, 0);
            reader.read_exact(&mut payload).await?;
            payload.truncate(size);
            &payload
        } else {
            payload.resize(2048, 0);
            let n = reader.read(&mut payload).await?;
            if n == 0 {
                return Ok(());
            }
            &payload[..n]
        };
        let now = Instant::now();
        for &byte in piece {
            if byte == b'\n' {
                if let Some(marker) = find_marker(&line) {
                    log.arrivals
                        .lock()
                        .map_err(|_| anyhow::anyhow!("poisoned"))?
                        .push((marker, now));
                }
                line.clear();
            } else {
                line.push(byte);
            }
        }
    }
}

/// Reads the status line and headers; true when the body is chunked.
async fn read_head(reader: &mut BufReader<TcpStream>) -> anyhow::Result<bool> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    if !line.starts_with("HTTP/1.1 200") {
        bail!("stream refused: {}", line.trim());
    }
    let mut chunked = false;
    loop {
        line.clear();
        reader.read_line(&mut line).await?;
        if line == "\r\n" || line.is_empty() {
            return Ok(chunked);
        }
        let lower = line.to_ascii_lowercase();
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
    }
}

async fn read_chunk_size(reader: &mut BufReader<TcpStream>) -> anyhow::Result<usize> {
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    let hex = line.trim().split(';').next().unwrap_or("");
    usize::from_str_radix(hex, 16).with_context(|| format!("bad chunk size {line:?}"))
}

/// The number after `lbc-` in a comment written by this benchmark.
fn find_marker(line: &[u8]) -> Option<u64> {
    let at = line.windows(4).position(|w| w == b"lbc-")? + 4;
    let digits: Vec<u8> = line[at..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

// ---------------------------------------------------------------------------------------
// Writes.

/// What a write phase measured.
struct WritePhase {
    /// Marker → (sent, response received).
    comments: HashMap<u64, (Instant, Instant)>,
    server_cpu_secs: f64,
}

static NEXT_MARKER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

async fn write_phase(
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

// ---------------------------------------------------------------------------------------
// Figures.

fn report_latency(log: &Deliveries, phase: &WritePhase, streams: usize) {
    let Ok(arrivals) = log.arrivals.lock() else {
        return;
    };
    let mut from_send = Vec::with_capacity(arrivals.len());
    let mut from_response = Vec::with_capacity(arrivals.len());
    for (marker, at) in arrivals.iter() {
        if let Some((sent, done)) = phase.comments.get(marker) {
            from_send.push(at.saturating_duration_since(*sent));
            from_response.push(at.saturating_duration_since(*done));
        }
    }
    let expected = phase.comments.len() * streams;
    println!("deliveries {} of {expected}", from_send.len());
    println!(
        "latency_from_send_ms p50 {:.2} p99 {:.2} max {:.2}",
        percentile_ms(&mut from_send, 0.5),
        percentile_ms(&mut from_send, 0.99),
        percentile_ms(&mut from_send, 1.0)
    );
    println!(
        "latency_from_response_ms p50 {:.2} p99 {:.2} max {:.2}",
        percentile_ms(&mut from_response, 0.5),
        percentile_ms(&mut from_response, 0.99),
        percentile_ms(&mut from_response, 1.0)
    );
}

fn percentile_ms(values: &mut [Duration], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_unstable();
    let index = ((values.len() as f64 * q) as usize).min(values.len() - 1);
    values[index].as_secs_f64() * 1000.0
}

fn read_tokens(path: &std::path::Path) -> anyhow::Result<Vec<(i64, String)>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    let tokens: Vec<(i64, String)> = text
        .lines()
        .filter_map(|l| {
            let (id, token) = l.split_once(' ')?;
            Some((id.parse().ok()?, token.to_owned()))
        })
        .collect();
    if tokens.len() < 10 {
        bail!("need at least 10 tokens in {path:?}");
    }
    Ok(tokens)
}

fn read_ids(path: &std::path::Path) -> anyhow::Result<Vec<i64>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    Ok(text.lines().filter_map(|l| l.trim().parse().ok()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_found_inside_event_data() {
        assert_eq!(
            find_marker(br#"data: {"body_html":"<p>Live bench comment lbc-42 here.</p>"}"#),
            Some(42)
        );
        assert_eq!(find_marker(b"data: {\"score\":3}"), None);
    }
}
