//! Just enough MIME to read what the service mailed: the top headers (unfolded), and the
//! decoded text and HTML parts of a multipart/alternative message (7bit, quoted-printable or
//! base64), so that tests assert on what a reader sees rather than on transfer encodings.

use base64::Engine;

/// A delivered message, read.
#[derive(Debug)]
pub struct Parsed {
    /// The top-level headers, names as sent, unfolded.
    pub headers: Vec<(String, String)>,
    /// The decoded text/plain part (lines end in `\n`).
    pub text: String,
    /// The decoded text/html part.
    pub html: String,
}

impl Parsed {
    /// The first header named `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Splits a head from its body at the first empty line; headers unfolded.
fn split(entity: &str) -> (Vec<(String, String)>, &str) {
    let (head, body) = entity.split_once("\r\n\r\n").unwrap_or((entity, ""));
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    let headers = unfolded
        .split("\r\n")
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (headers, body)
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> &'a str {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map_or("", |(_, v)| v.as_str())
}

/// Decodes one part's body by its transfer encoding, lines ending in `\n`.
fn decode(encoding: &str, body: &str) -> String {
    let decoded = match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(compact)
                .expect("base64 part");
            String::from_utf8(bytes).expect("utf-8 part")
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    decoded.replace("\r\n", "\n")
}

/// RFC 2045 quoted-printable: soft line breaks go, `=XX` becomes its byte.
fn quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
            if let Ok(byte) = u8::from_str_radix(hex, 16) {
                out.push(byte);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).expect("utf-8 after quoted-printable")
}

/// Reads a message as the test SMTP server received it.
pub fn parse(data: &str) -> Parsed {
    let (headers, body) = split(data);
    let content_type = header(&headers, "Content-Type").to_owned();
    let mut text = String::new();
    let mut html = String::new();
    if let Some(boundary) = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))
    {
        let boundary = format!("--{}", boundary.trim_matches('"'));
        for part in body.split(boundary.as_str()).skip(1) {
            if part.starts_with("--") {
                break;
            }
            let (part_headers, part_body) = split(part.trim_start_matches("\r\n"));
            let decoded = decode(
                header(&part_headers, "Content-Transfer-Encoding"),
                part_body,
            );
            let kind = header(&part_headers, "Content-Type");
            if kind.starts_with("text/plain") {
                text = decoded;
            } else if kind.starts_with("text/html") {
                html = decoded;
            }
        }
    } else {
        text = decode(header(&headers, "Content-Transfer-Encoding"), body);
    }
    Parsed {
        headers,
        text,
        html,
    }
}

#[test]
fn quoted_printable_decodes_soft_breaks_and_bytes() {
    assert_eq!(
        quoted_printable("a=3Db =E2=80=9Cq=\r\nuote=E2=80=9D"),
        "a=b “quote”"
    );
}
