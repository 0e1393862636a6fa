//! The streams: each held on a plain socket, its chunked body decoded by hand, every comment
//! marker it delivers recorded with its arrival time.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::LiveArgs;

/// Every (comment marker, arrival) seen by every stream.
#[derive(Default)]
pub(super) struct Deliveries {
    pub(super) arrivals: Mutex<Vec<(u64, Instant)>>,
}

pub(super) async fn open_streams(
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
