//! A tiny SMTP server on loopback for the mail tests: enough of RFC 5321 for lettre (greeting,
//! EHLO/HELO, MAIL FROM, RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT), and on request
//! STARTTLS (RFC 3207), implicit TLS and `AUTH PLAIN` / `AUTH LOGIN` (RFC 4954) with one user
//! (`tls.rs`). It keeps every message it accepts, with the user who sent it and whether it
//! came over TLS; it can refuse recipients with a given reply (4xx or 5xx), take its time over
//! each message, and be stopped and started again on the same port. The service's real lettre
//! transport talks to it: nothing of the sender is mocked.

mod session;
mod tls;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinSet;

pub use self::tls::write_temp;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Received {
    /// The envelope sender (`MAIL FROM`).
    pub from: String,
    /// The envelope recipients (`RCPT TO`).
    pub to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, lines joined with CRLF.
    pub data: String,
    /// The user who authenticated (`AUTH`) before sending it, if any.
    pub auth_user: Option<String>,
    /// Whether it came over TLS (after STARTTLS, or on an implicit-TLS port).
    pub secure: bool,
}

/// How the server protects the connection.
#[expect(
    clippy::enum_variant_names,
    reason = "StartTls is the protocol's own name (STARTTLS), not a repetition of `Tls`"
)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Tls {
    /// Plain SMTP; no STARTTLS offered.
    #[default]
    None,
    /// Plain at first; STARTTLS offered, and AUTH only once TLS is on.
    StartTls,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// What [`SmtpServer::start_with`] serves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Plain, STARTTLS or implicit TLS, with a self-signed certificate made for the server.
    pub tls: Tls,
    /// The one user and password `AUTH` accepts; with it, `MAIL` needs authentication first.
    pub auth: Option<(String, String)>,
    /// The mechanisms EHLO advertises (`PLAIN LOGIN` by default; lettre prefers PLAIN).
    pub mechanisms: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            tls: Tls::None,
            auth: None,
            mechanisms: "PLAIN LOGIN",
        }
    }
}

#[derive(Default)]
struct Behaviour {
    /// The reply to every `RCPT TO` instead of `250` (e.g. `550 5.1.1 no such user`).
    refuse: Option<String>,
    /// How long to wait before accepting a message's data.
    delay: Duration,
}

struct Shared {
    received: Mutex<Vec<Received>>,
    behaviour: Mutex<Behaviour>,
    /// `AUTH` commands seen, accepted or not (no credentials may go out in clear).
    auth_attempts: AtomicUsize,
    options: Options,
    /// The certificate, when the server speaks TLS.
    identity: Option<tls::Identity>,
}

/// The server; stopped when dropped.
pub struct SmtpServer {
    port: u16,
    shared: Arc<Shared>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl SmtpServer {
    /// Starts a plain server without AUTH on a free loopback port.
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    /// Starts with TLS and AUTH as `options` say, on a free loopback port.
    pub async fn start_with(options: Options) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("address").port();
        let identity = (options.tls != Tls::None).then(tls::Identity::generate);
        let shared = Shared {
            received: Mutex::default(),
            behaviour: Mutex::default(),
            auth_attempts: AtomicUsize::new(0),
            options,
            identity,
        };
        let mut server = Self {
            port,
            shared: Arc::new(shared),
            task: None,
        };
        server.serve(listener);
        server
    }

    /// The URL lettre needs for this server, without credentials: `smtp://127.0.0.1:<port>`
    /// (plain: loopback only), `smtp://localhost:<port>?tls=required` (STARTTLS) or
    /// `smtps://localhost:<port>` (implicit TLS; the certificate names `localhost`).
    pub fn url(&self) -> String {
        let port = self.port;
        match self.shared.options.tls {
            Tls::None => format!("smtp://127.0.0.1:{port}"),
            Tls::StartTls => format!("smtp://localhost:{port}?tls=required"),
            Tls::Implicit => format!("smtps://localhost:{port}"),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The PEM file of the server's self-signed certificate (panics for a plain server).
    pub fn ca_file(&self) -> &Path {
        let identity = self.shared.identity.as_ref();
        &identity.expect("a TLS server has a certificate").ca_file
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

    /// How many `AUTH` commands clients sent, accepted or not.
    pub fn auth_attempts(&self) -> usize {
        self.shared.auth_attempts.load(Ordering::Relaxed)
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
                            connections.spawn(session::session(stream, shared.clone()));
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
        if let Some(identity) = &self.shared.identity {
            tls::remove_temp(&identity.ca_file);
        }
    }
}

/// An app whose mail worker sends to `smtp` every 50 ms (plain SMTP on loopback).
pub async fn app_sending_to(smtp: &SmtpServer) -> crate::helpers::TestApp {
    let url = smtp.url();
    crate::helpers::TestApp::spawn_with(|s| {
        s.mail.smtp_url = Some(hindsight::config::Secret::new(url));
        s.mail.poll = Duration::from_millis(50);
    })
    .await
}
