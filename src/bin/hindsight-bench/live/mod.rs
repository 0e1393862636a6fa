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

mod streams;
mod writes;

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};

use streams::{open_streams, Deliveries};
use writes::{write_phase, WritePhase};

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

/// The server process, read from `/proc`.
struct Process(u32);

impl Process {
    pub(super) fn rss_kb(&self) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.0))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .context("no VmRSS")
    }

    /// utime + stime in seconds.
    pub(super) fn cpu_secs(&self) -> anyhow::Result<f64> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.0))?;
        let after_name = stat.rsplit_once(')').context("bad stat")?.1;
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks: u64 = fields[11].parse::<u64>()? + fields[12].parse::<u64>()?;
        Ok(ticks as f64 / 100.0)
    }

    pub(super) async fn cpu_over(&self, window: Duration) -> anyhow::Result<f64> {
        let start = self.cpu_secs()?;
        tokio::time::sleep(window).await;
        Ok(self.cpu_secs()? - start)
    }
}

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

pub(super) fn percentile_ms(values: &mut [Duration], q: f64) -> f64 {
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
