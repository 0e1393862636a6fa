//! A tiny SMTP server on loopback for the mail tests: enough of RFC 5321 for lettre (greeting,
//! EHLO/HELO without STARTTLS, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT).
//! It keeps every message it accepts; it can refuse recipients with a given reply (4xx or 5xx),
//! take its time over each message, and be stopped and started again on the same port. The
//! service's real lettre transport talks to it: nothing of the sender is mocked.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, lines joined with CRLF.
    pub data: String,
}

#[derive(Default)]
struct Behaviour {
    /// The reply to every `RCPT TO` instead of `250` (e.g. `550 5.1.1 no such user`).
    refuse: Option<String>,
    /// How long to wait before accepting a message's data.
    delay: Duration,
}

#[derive(Default)]
struct Shared {
    received: Mutex<Vec<Received>>,
    behaviour: Mutex<Behaviour>,
}

/// The server; stopped when dropped.
pub struct SmtpServer {
    port: u16,
    shared: Arc<Shared>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SmtpServer {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("address").port();
        let mut server = Self {
            port,
            shared: Arc::default(),
            task: None,
        };
        server.serve(listener);
        server
    }

    /// `smtp://127.0.0.1:<port>` (plain: loopback only).
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Stops listening and drops every open connection: the port refuses connections.
    pub fn stop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }

    /// Listens again on the same port (after [`stop`](Self::stop)).
    pub async fn restart(&mut self) {
        self.stop();
        let mut tries = 0;
        let listener = loop {
            match TcpListener::bind(("127.0.0.1", self.port)).await {
                Ok(listener) => break listener,
                // The aborted task may not have dropped the old socket yet.
                Err(_) if tries < 100 => {
                    tries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => panic!("rebinding SMTP port {}: {e}", self.port),
            }
        };
        self.serve(listener);
    }

    /// Answers every `RCPT TO` with `reply` (a full line without CRLF), or accepts again (None).
    pub fn refuse_with(&self, reply: Option<&str>) {
        self.shared.behaviour.lock().expect("lock").refuse = reply.map(str::to_owned);
    }

    /// Waits this long before accepting each message.
    pub fn delay_each(&self, delay: Duration) {
        self.shared.behaviour.lock().expect("lock").delay = delay;
    }

    /// Every message accepted so far.
    pub fn received(&self) -> Vec<Received> {
        self.shared.received.lock().expect("lock").clone()
    }

    fn serve(&mut self, listener: TcpListener) {
        let shared = self.shared.clone();
        self.task = Some(tokio::spawn(async move {
            // Connections live in the set, so stopping the server closes them too.
            let mut connections = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        if let Ok((stream, _)) = accepted {
                            connections.spawn(session(stream, shared.clone()));
                        }
                    }
                    Some(_) = connections.join_next(), if !connections.is_empty() => {}
                }
            }
        }));
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The address inside `MAIL FROM:<a>` or `RCPT TO:<a>`.
fn address(argument: &str) -> String {
    argument
        .split_once(':')
        .map_or(argument, |(_, rest)| rest)
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

/// Writes one reply; false when the client is gone.
async fn reply(write: &mut tokio::net::tcp::OwnedWriteHalf, text: &str) -> bool {
    write
        .write_all(format!("{text}\r\n").as_bytes())
        .await
        .is_ok()
}

async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if !reply(&mut write, "220 localhost test SMTP").await {
        return;
    }
    let (mut from, mut to) = (String::new(), Vec::new());
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => "250-localhost\r\n250-8BITMIME\r\n250 SMTPUTF8".to_owned(),
            "HELO" | "NOOP" => "250 OK".to_owned(),
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                "250 OK".to_owned()
            }
            "MAIL" => {
                from = address(&command);
                "250 OK".to_owned()
            }
            "RCPT" => {
                let refuse = shared.behaviour.lock().expect("lock").refuse.clone();
                match refuse {
                    Some(refusal) => refusal,
                    None => {
                        to.push(address(&command));
                        "250 OK".to_owned()
                    }
                }
            }
            "DATA" if to.is_empty() => "503 5.5.1 no valid recipients".to_owned(),
            "DATA" => {
                if !reply(&mut write, "354 end with <CRLF>.<CRLF>").await {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    line.clear();
                    match lines.read_line(&mut line).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {}
                    }
                    let text = line.trim_end_matches(['\r', '\n']);
                    if text == "." {
                        break;
                    }
                    data.push(text.strip_prefix('.').unwrap_or(text).to_owned());
                }
                let delay = shared.behaviour.lock().expect("lock").delay;
                tokio::time::sleep(delay).await;
                shared.received.lock().expect("lock").push(Received {
                    from: std::mem::take(&mut from),
                    to: std::mem::take(&mut to),
                    data: data.join("\r\n"),
                });
                "250 OK queued".to_owned()
            }
            "QUIT" => {
                reply(&mut write, "221 bye").await;
                return;
            }
            _ => "502 5.5.2 command not implemented".to_owned(),
        };
        if !reply(&mut write, &answer).await {
            return;
        }
    }
}
