//! The request bodies of notifications checked without the database: a settings patch and a
//! read mark, each naming every field at fault.

use serde_json::Value;

use super::domain::NotificationKind;
use super::mail::domain::EmailMode;
use super::queries::ReadMark;
use crate::error::FieldError;

/// The most ids one read mark may list.
pub const MAX_READ_IDS: usize = 500;

/// The channels a settings patch changes for one kind (None: left as it is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChannelPatch {
    /// In the app.
    pub in_app: Option<bool>,
    /// By mail.
    pub email: Option<EmailMode>,
}

/// A `PATCH /me/notification-settings` body as (kind, channels) choices, or every field at
/// fault: an unknown kind names the kind (`repyl`), a value that is not an object names the
/// kind, a non-boolean names `reply.in_app`, an unknown mode names `reply.email`, an unknown
/// channel names it (`reply.sms`). Parsed by hand rather than by serde so that each of these
/// names its own field.
pub fn parse_settings_patch(
    body: &Value,
) -> Result<Vec<(NotificationKind, ChannelPatch)>, Vec<FieldError>> {
    let Some(kinds) = body.as_object() else {
        return Err(vec![FieldError::new(
            "body",
            "invalid_type",
            "expected an object of kinds, like {\"reply\": {\"in_app\": false}}",
        )]);
    };
    let mut choices = Vec::new();
    let mut errors = Vec::new();
    for (name, value) in kinds {
        let Some(kind) = NotificationKind::parse(name) else {
            let all: Vec<&str> = NotificationKind::ALL.iter().map(|k| k.as_str()).collect();
            errors.push(FieldError::new(
                name.as_str(),
                "unknown_kind",
                format!("one of {}", all.join(", ")),
            ));
            continue;
        };
        match parse_channels(name, value) {
            Ok(patch) if patch == ChannelPatch::default() => {}
            Ok(patch) => choices.push((kind, patch)),
            Err(mut bad) => errors.append(&mut bad),
        }
    }
    if errors.is_empty() {
        Ok(choices)
    } else {
        Err(errors)
    }
}

/// The channels of one kind in a settings patch: `in_app` and `email` if given.
fn parse_channels(kind: &str, value: &Value) -> Result<ChannelPatch, Vec<FieldError>> {
    let Some(channels) = value.as_object() else {
        return Err(vec![FieldError::new(
            kind,
            "invalid_type",
            "expected an object like {\"in_app\": false}",
        )]);
    };
    let mut patch = ChannelPatch::default();
    let mut errors = Vec::new();
    for (channel, setting) in channels {
        let field = format!("{kind}.{channel}");
        match channel.as_str() {
            "in_app" => match setting.as_bool() {
                Some(on) => patch.in_app = Some(on),
                None => errors.push(FieldError::new(field, "invalid_type", "expected a boolean")),
            },
            "email" => match setting.as_str().and_then(EmailMode::parse) {
                Some(mode) => patch.email = Some(mode),
                None => errors.push(FieldError::new(
                    field,
                    "invalid_value",
                    "one of off, immediate, daily",
                )),
            },
            _ => errors.push(FieldError::new(
                field,
                "unknown_field",
                "the channels are in_app and email",
            )),
        }
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

/// A read mark's request checked: exactly one of `ids` (1–[`MAX_READ_IDS`]) and `up_to_id`.
pub fn parse_read_mark(
    ids: Option<Vec<i64>>,
    up_to_id: Option<i64>,
) -> Result<ReadMark, FieldError> {
    match (ids, up_to_id) {
        (Some(_), Some(_)) => Err(FieldError::new(
            "up_to_id",
            "not_allowed",
            "give either ids or up_to_id, not both",
        )),
        (None, None) => Err(FieldError::new(
            "ids",
            "required",
            "give ids (a list of notification ids) or up_to_id",
        )),
        (Some(ids), None) if ids.is_empty() => {
            Err(FieldError::new("ids", "too_short", "at least one id"))
        }
        (Some(ids), None) if ids.len() > MAX_READ_IDS => Err(FieldError::new(
            "ids",
            "too_long",
            format!("at most {MAX_READ_IDS} ids"),
        )),
        (Some(ids), None) => Ok(ReadMark::Ids(ids)),
        (None, Some(up_to)) => Ok(ReadMark::UpTo(up_to)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_patches_name_each_bad_field() {
        let ok = parse_settings_patch(&serde_json::json!({
            "reply": {"in_app": false}, "ban": {"in_app": true, "email": "daily"}, "mention": {}
        }))
        .expect("valid");
        let mut ok = ok;
        ok.sort_by_key(|(kind, _)| kind.as_str());
        let patch = |in_app, email| ChannelPatch { in_app, email };
        assert_eq!(
            ok,
            [
                (
                    NotificationKind::Ban,
                    patch(Some(true), Some(EmailMode::Daily))
                ),
                (NotificationKind::Reply, patch(Some(false), None))
            ]
        );
        let errors = parse_settings_patch(&serde_json::json!({
            "repyl": {"in_app": false},
            "reply": {"in_app": "no", "sms": true},
            "mention": true,
            "ban": {"email": "weekly"},
            "unban": {"email": true}
        }))
        .expect_err("invalid");
        let mut fields: Vec<(&str, &str)> = errors
            .iter()
            .map(|e| (e.field.as_str(), e.code.as_str()))
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                ("ban.email", "invalid_value"),
                ("mention", "invalid_type"),
                ("reply.in_app", "invalid_type"),
                ("reply.sms", "unknown_field"),
                ("repyl", "unknown_kind"),
                ("unban.email", "invalid_value"),
            ]
        );
        assert!(parse_settings_patch(&serde_json::json!([1])).is_err());
    }

    #[test]
    fn a_read_mark_is_ids_or_up_to_id() {
        assert!(matches!(
            parse_read_mark(Some(vec![1, 2]), None),
            Ok(ReadMark::Ids(_))
        ));
        assert!(matches!(
            parse_read_mark(None, Some(9)),
            Ok(ReadMark::UpTo(9))
        ));
        let field = |r: Result<ReadMark, FieldError>| r.expect_err("refused").field;
        assert_eq!(field(parse_read_mark(None, None)), "ids");
        assert_eq!(field(parse_read_mark(Some(vec![1]), Some(2))), "up_to_id");
        assert_eq!(field(parse_read_mark(Some(vec![]), None)), "ids");
        assert_eq!(field(parse_read_mark(Some(vec![1; 501]), None)), "ids");
    }
}
