//! The SMTP transport of `smtp_url`, trusting the extra roots of `smtp_ca_file` when set.
//!
//! lettre's `from_url` reads the URL (host, port, `user:password@`, the EHLO name) but its TLS
//! trusts only the webpki (Mozilla) roots, so a private relay with a certificate of its own
//! CA, or a self-signed one, would be refused. With `smtp_ca_file` the transport is still read
//! from the URL by lettre, and only its TLS mode (`smtps://` → implicit TLS,
//! `?tls=required` → STARTTLS or nothing, `?tls=opportunistic`) is set again with the same
//! host as the certificate's name and the file's certificates added to the webpki roots.
//! Verification stays on: the certificate must still chain to a trusted root and name the
//! host of the URL.

use std::path::Path;
use std::time::Duration;

use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;

use crate::config::Secret;

/// How long one SMTP exchange may take before it counts as a transient failure.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Why no transport could be built. Never quotes the URL: it may carry a password.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// Not an `smtp://` or `smtps://` URL lettre can use.
    #[error("not a usable smtp:// or smtps:// URL")]
    Url,
    /// The TLS parameters with the extra roots could not be built.
    #[error("the TLS settings cannot be built: {0}")]
    Tls(String),
}

/// The SMTP transport of `url` (`smtp://`, `smtps://`, `?tls=required`), trusting `roots`
/// besides the webpki roots when TLS is used; no connection yet.
pub fn transport(
    url: &Secret,
    roots: &[Certificate],
) -> Result<AsyncSmtpTransport<Tokio1Executor>, TransportError> {
    let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
        .map_err(|_| TransportError::Url)?
        .timeout(Some(SMTP_TIMEOUT));
    if roots.is_empty() {
        return Ok(builder.build());
    }
    // lettre accepted the URL, so it parses and has a host; read the TLS mode it chose.
    let parsed = url::Url::parse(url.expose()).map_err(|_| TransportError::Url)?;
    let host = parsed.host_str().ok_or(TransportError::Url)?.to_owned();
    let mode = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let parameters = || {
        roots
            .iter()
            .fold(TlsParameters::builder(host.clone()), |b, root| {
                b.add_root_certificate(root.clone())
            })
            .build()
            .map_err(|e| TransportError::Tls(e.to_string()))
    };
    let tls = match (parsed.scheme(), mode.as_deref()) {
        ("smtps", _) => Tls::Wrapper(parameters()?),
        ("smtp", Some("required")) => Tls::Required(parameters()?),
        ("smtp", Some("opportunistic")) => Tls::Opportunistic(parameters()?),
        // Plain SMTP: no TLS, so the extra roots have nothing to verify.
        _ => return Ok(builder.build()),
    };
    Ok(builder.tls(tls).build())
}

/// The certificates of the PEM file `path` (`smtp_ca_file`), each checked to be usable as a
/// root; the error says what is wrong without the file's content.
pub fn root_certificates(path: &Path) -> Result<Vec<Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let ders = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("`{}` is not a PEM file: {e}", path.display()))?;
    if ders.is_empty() {
        return Err(format!(
            "`{}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)",
            path.display()
        ));
    }
    let mut roots = Vec::with_capacity(ders.len());
    for (n, der) in ders.into_iter().enumerate() {
        let bad = |e: lettre::transport::smtp::Error| {
            format!(
                "certificate {} of `{}` is not usable as a root: {e}",
                n + 1,
                path.display()
            )
        };
        let root = Certificate::from_der(der.to_vec()).map_err(bad)?;
        // Building parameters adds it to a root store, which parses it: a broken certificate
        // is refused at startup rather than at the first mail.
        TlsParameters::builder("localhost".to_owned())
            .add_root_certificate(root.clone())
            .build()
            .map_err(bad)?;
        roots.push(root);
    }
    Ok(roots)
}
