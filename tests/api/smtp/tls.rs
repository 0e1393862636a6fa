//! The test SMTP server's TLS and AUTH: a self-signed certificate made per server (for
//! `localhost` and `127.0.0.1`), the rustls acceptor on ring, the PEM file the service is told
//! to trust (`smtp_ca_file`), and the decoding of `AUTH PLAIN` / `AUTH LOGIN` answers.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::{crypto, ServerConfig};
use tokio_rustls::TlsAcceptor;

/// A server's certificate: the acceptor that presents it, and its PEM in a file of its own.
pub struct Identity {
    /// Accepts TLS with the certificate (STARTTLS or implicit TLS).
    pub acceptor: TlsAcceptor,
    /// The self-signed certificate in PEM, to be trusted through `smtp_ca_file`.
    pub ca_file: PathBuf,
}

impl Identity {
    /// A fresh self-signed certificate valid for `localhost` and `127.0.0.1`.
    pub fn generate() -> Self {
        let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
        let certified = rcgen::generate_simple_self_signed(names).expect("certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let provider = Arc::new(crypto::ring::default_provider());
        let config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("TLS versions")
            .with_no_client_auth()
            .with_single_cert(vec![certified.cert.der().clone()], key)
            .expect("server certificate");
        let ca_file = write_temp("smtp-ca.pem", &certified.cert.pem());
        Self {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_file,
        }
    }
}

/// Writes `text` to a new file in a directory of this process's own; returns its path.
pub fn write_temp(name: &str, text: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("hindsight-smtp-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// Removes the directory [`write_temp`] made for `path`.
pub fn remove_temp(path: &Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Base64 text as UTF-8, or None.
pub fn decode(text: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .ok()?;
    String::from_utf8(bytes).ok()
}

/// `text` in base64, for `334` challenges.
pub fn encode(text: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// The user and password of an `AUTH PLAIN` response (`authzid\0user\0password`).
pub fn plain_credentials(response: &str) -> Option<(String, String)> {
    let decoded = decode(response)?;
    let mut parts = decoded.split('\0');
    let (_authzid, user, password) = (parts.next()?, parts.next()?, parts.next()?);
    Some((user.to_owned(), password.to_owned()))
}
