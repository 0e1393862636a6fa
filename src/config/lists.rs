//! List settings: a TOML array in the file or one comma- or space-separated string in the
//! environment, and the checks shared by the lists of origins and addresses.

use std::fmt;

use serde::Deserialize;

use super::sources::Sources;
use super::ConfigError;

/// A list given as a TOML array or as one comma- or space-separated string (the environment).
#[derive(Debug, Default)]
pub(super) struct List(pub(super) Vec<String>);

impl<'de> Deserialize<'de> for List {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ListVisitor)
    }
}

struct ListVisitor;

impl<'de> serde::de::Visitor<'de> for ListVisitor {
    type Value = List;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings, or one string separated by commas")
    }

    fn visit_str<E: serde::de::Error>(self, raw: &str) -> Result<List, E> {
        Ok(List(split_list(raw)))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<List, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<String>()? {
            items.push(item);
        }
        Ok(List(items))
    }
}

/// `https://host[:port]`: a scheme, no wildcard, no path.
pub(super) fn is_plain_origin(origin: &str) -> bool {
    (origin.starts_with("https://") || origin.starts_with("http://"))
        && !origin.contains('*')
        && !origin.ends_with('/')
}

pub(super) fn ip_addresses(
    list: List,
    sources: &Sources,
) -> Result<Vec<std::net::IpAddr>, ConfigError> {
    list.0
        .iter()
        .map(|ip| {
            ip.parse().map_err(|_| {
                sources.error("trusted_proxies", format!("`{ip}` is not an IP address"))
            })
        })
        .collect()
}

pub(super) fn split_list(raw: &str) -> Vec<String> {
    raw.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}
