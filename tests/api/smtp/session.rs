//! One SMTP conversation of the test server: the commands, STARTTLS and implicit TLS (the
//! connection is swapped for its TLS stream in place), and AUTH PLAIN / LOGIN.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::{tls, Options, Received, Shared, Tls};

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

/// A connection before or after TLS, read by line and written to.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}
type Conn = BufReader<Box<dyn Io>>;

/// Writes one reply; false when the client is gone.
async fn reply(conn: &mut Conn, text: &str) -> bool {
    conn.write_all(format!("{text}\r\n").as_bytes())
        .await
        .is_ok()
}

/// Reads one line into `line` (cleared first); false at the end or on an error.
async fn read(conn: &mut Conn, line: &mut String) -> bool {
    line.clear();
    matches!(conn.read_line(line).await, Ok(n) if n > 0)
}

/// Sends a `334` challenge and returns the client's answer, or None when it is gone.
async fn ask(conn: &mut Conn, challenge: &str) -> Option<String> {
    let mut line = String::new();
    (reply(conn, &format!("334 {challenge}")).await && read(conn, &mut line).await)
        .then(|| line.trim_end().to_owned())
}

/// The TLS handshake on the connection (whatever was buffered in clear is dropped, as RFC 3207
/// asks); None when it fails, e.g. because the client does not trust the certificate.
async fn upgrade(conn: Conn, shared: &Shared) -> Option<Conn> {
    let acceptor = shared.identity.as_ref()?.acceptor.clone();
    let stream = acceptor.accept(conn.into_inner()).await.ok()?;
    Some(BufReader::new(Box::new(stream)))
}

/// The EHLO reply: STARTTLS while in clear, AUTH where credentials may be sent (over TLS, or
/// on a server without TLS at all).
fn ehlo(options: &Options, secure: bool) -> String {
    let mut lines = vec!["localhost".to_owned(), "8BITMIME".to_owned()];
    if options.tls == Tls::StartTls && !secure {
        lines.push("STARTTLS".to_owned());
    }
    if options.auth.is_some() && (secure || options.tls == Tls::None) {
        lines.push(format!("AUTH {}", options.mechanisms));
    }
    lines.push("SMTPUTF8".to_owned());
    let last = lines.len() - 1;
    let lines: Vec<String> = (lines.iter().enumerate())
        .map(|(n, text)| format!("250{}{text}", if n == last { ' ' } else { '-' }))
        .collect();
    lines.join("\r\n")
}

/// Runs an `AUTH` exchange: the user on success, the reply to send on refusal, None when the
/// client is gone.
async fn authenticate(
    conn: &mut Conn,
    options: &Options,
    command: &str,
) -> Option<Result<String, String>> {
    let Some((user, password)) = &options.auth else {
        return Some(Err("502 5.5.2 AUTH not offered".to_owned()));
    };
    let mut words = command.split_whitespace().skip(1);
    let mechanism = words.next().unwrap_or("").to_ascii_uppercase();
    if !options
        .mechanisms
        .split_whitespace()
        .any(|m| m == mechanism)
    {
        return Some(Err("504 5.5.4 mechanism not offered".to_owned()));
    }
    let given = if mechanism == "PLAIN" {
        let response = match words.next() {
            Some(initial) => initial.to_owned(),
            None => ask(conn, "").await?,
        };
        tls::plain_credentials(&response)
    } else {
        let name = ask(conn, &tls::encode("Username:")).await?;
        let secret = ask(conn, &tls::encode("Password:")).await?;
        tls::decode(&name).zip(tls::decode(&secret))
    };
    Some(match given {
        Some((name, secret)) if &name == user && &secret == password => Ok(name),
        _ => Err("535 5.7.8 authentication credentials invalid".to_owned()),
    })
}

/// Serves one client until it quits or goes away.
pub(super) async fn session(stream: TcpStream, shared: Arc<Shared>) {
    let options = &shared.options;
    let mut conn: Conn = BufReader::new(Box::new(stream));
    let mut secure = false;
    if options.tls == Tls::Implicit {
        let Some(upgraded) = upgrade(conn, &shared).await else {
            return;
        };
        (conn, secure) = (upgraded, true);
    }
    if !reply(&mut conn, "220 localhost test SMTP").await {
        return;
    }
    let (mut from, mut to, mut user) = (String::new(), Vec::new(), None);
    let mut line = String::new();
    loop {
        if !read(&mut conn, &mut line).await {
            return;
        }
        let command = line.trim_end().to_owned();
        let verb = command
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let answer = match verb.as_str() {
            "EHLO" => ehlo(options, secure),
            "HELO" | "NOOP" => "250 OK".to_owned(),
            "STARTTLS" if options.tls == Tls::StartTls && !secure => {
                if !reply(&mut conn, "220 2.0.0 ready to start TLS").await {
                    return;
                }
                let Some(upgraded) = upgrade(conn, &shared).await else {
                    return;
                };
                (conn, secure) = (upgraded, true);
                // RFC 3207: nothing said in clear counts after the handshake.
                (from, to, user) = (String::new(), Vec::new(), None);
                continue;
            }
            "AUTH" if user.is_some() => "503 5.5.1 already authenticated".to_owned(),
            "AUTH" => {
                shared.auth_attempts.fetch_add(1, Ordering::Relaxed);
                match authenticate(&mut conn, options, &command).await {
                    None => return,
                    Some(Ok(name)) => {
                        user = Some(name);
                        "235 2.7.0 authentication succeeded".to_owned()
                    }
                    Some(Err(refusal)) => refusal,
                }
            }
            "RSET" => {
                (from, to) = (String::new(), Vec::new());
                "250 OK".to_owned()
            }
            "MAIL" if options.auth.is_some() && user.is_none() => {
                "530 5.7.0 authentication required".to_owned()
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
                if !reply(&mut conn, "354 end with <CRLF>.<CRLF>").await {
                    return;
                }
                let mut data = Vec::new();
                loop {
                    if !read(&mut conn, &mut line).await {
                        return;
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
                    auth_user: user.clone(),
                    secure,
                });
                "250 OK queued".to_owned()
            }
            "QUIT" => {
                reply(&mut conn, "221 bye").await;
                return;
            }
            _ => "502 5.5.2 command not implemented".to_owned(),
        };
        if !reply(&mut conn, &answer).await {
            return;
        }
    }
}
