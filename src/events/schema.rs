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
/// for `reset`.
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
    if with_id {
        let id = ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some("^[0-9]+$"))
            .description(Some("The event id, for Last-Event-ID"));
        event = event.property("id", id).required("id");
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
