//! How openapi.yaml describes a stream's events. An OpenAPI 3.1 `text/event-stream` schema
//! describes one event as `{event, data, id}` (what `EventSource` hands a listener); here it
//! is a `oneOf` by `event` name, each saying (`contentMediaType` + `contentSchema`) which
//! component the JSON in `data` follows, so clients and conformance tools can check every
//! event. Hand-written because the mapping from names to data types is not a Rust type.

use std::borrow::Cow;

use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::wire::*;
use super::EventKind;
use crate::comments::model::CommentView;

/// One event of a stream: kinds and the component their data follows; `with_id` is false
/// for `reset`, whose `id` is present only when it passes over events (reason `skipped`).
fn variant(kinds: &[&str], data: &str, with_id: bool) -> RefOr<Schema> {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(kinds.iter().copied()));
    let json = ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some("One line of JSON"))
        .content_media_type("application/json")
        .content_schema(Some(Ref::from_schema_name(data)));
    let mut event = ObjectBuilder::new()
        .property("event", name)
        .required("event")
        .property("data", json)
        .required("data");
    let id = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some("^[0-9]+$"));
    if with_id {
        let id = id.description(Some("The event id, for Last-Event-ID"));
        event = event.property("id", id).required("id");
    } else {
        let id = id.description(Some(
            "Only on a reset that passes over events (`skipped`): the last of them, for \
             Last-Event-ID",
        ));
        event = event.property("id", id);
    }
    event.into()
}

fn names(kinds: &[EventKind]) -> Vec<&'static str> {
    kinds.iter().map(|k| k.as_str()).collect()
}

/// An event of `GET /articles/{slug}/events`.
pub struct ThreadStreamEvent;

impl PartialSchema for ThreadStreamEvent {
    fn schema() -> RefOr<Schema> {
        use EventKind as K;
        OneOfBuilder::new()
            .description(Some("One event of a thread stream, by its `event` name"))
            .item(variant(
                &names(&[
                    K::CommentCreated,
                    K::CommentEdited,
                    K::CommentDeleted,
                    K::CommentRemoved,
                    K::CommentRestored,
                ]),
                &CommentView::name(),
                true,
            ))
            .item(variant(&names(&[K::Votes]), &VotesData::name(), true))
            .item(variant(
                &names(&[K::Forecasts]),
                &ForecastsData::name(),
                true,
            ))
            .item(variant(
                &names(&[K::PredictionResolved]),
                &ResolutionData::name(),
                true,
            ))
            .item(variant(
                &names(&[K::ThreadLocked, K::ThreadUnlocked]),
                &LockData::name(),
                true,
            ))
            .item(variant(
                &names(&[K::CommentPinned, K::CommentUnpinned]),
                &PinData::name(),
                true,
            ))
            .item(variant(
                &names(&[K::ThreadDeleted]),
                &ThreadDeletedData::name(),
                true,
            ))
            .item(variant(&["reset"], &ResetData::name(), false))
            .into()
    }
}

impl ToSchema for ThreadStreamEvent {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ThreadStreamEvent")
    }
}

/// An event of `GET /me/events`.
pub struct UserStreamEvent;

impl PartialSchema for UserStreamEvent {
    fn schema() -> RefOr<Schema> {
        use EventKind as K;
        OneOfBuilder::new()
            .description(Some(
                "One event of the reader's stream, by its `event` name",
            ))
            .item(variant(
                &names(&[K::Notification]),
                &NotificationData::name(),
                true,
            ))
            .item(variant(&names(&[K::Unread]), &UnreadData::name(), true))
            .item(variant(&["reset"], &ResetData::name(), false))
            .into()
    }
}

impl ToSchema for UserStreamEvent {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("UserStreamEvent")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A new kind must reach the documents clients read: a stream's `oneOf` (with a data
    /// component that exists) and README.
    #[test]
    fn every_kind_is_in_a_streams_schema_and_readme_and_every_data_component_exists() {
        let doc = serde_json::to_value(crate::openapi::document()).expect("serializes");
        let schemas = &doc["components"]["schemas"];
        let mut named = Vec::new();
        for stream in ["ThreadStreamEvent", "UserStreamEvent"] {
            for variant in schemas[stream]["oneOf"].as_array().expect("a oneOf") {
                let data = variant["properties"]["data"]["contentSchema"]["$ref"]
                    .as_str()
                    .expect("a data component");
                let name = data.trim_start_matches("#/components/schemas/");
                assert!(
                    schemas.get(name).is_some(),
                    "{stream} names {name}, which is not a component"
                );
                for kind in variant["properties"]["event"]["enum"]
                    .as_array()
                    .expect("event names")
                {
                    named.push(kind.as_str().expect("a name").to_owned());
                }
            }
        }
        let readme = include_str!("../../README.md");
        for kind in EventKind::ALL {
            let name = kind.as_str();
            assert!(
                named.iter().any(|n| n == name),
                "{name} is in no stream schema"
            );
            assert!(readme.contains(&format!("`{name}`")), "README lacks {name}");
        }
    }
}
