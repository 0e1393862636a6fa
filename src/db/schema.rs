// @generated automatically by Diesel CLI.

diesel::table! {
    articles (id) {
        id -> Int8,
        slug -> Text,
        title -> Text,
        summary -> Nullable<Text>,
        body -> Text,
        body_html -> Text,
        tags -> Array<Nullable<Text>>,
        author_id -> Int8,
        published_at -> Timestamptz,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        comment_count -> Int8,
        locked -> Bool,
        lock_reason -> Nullable<Text>,
        deleted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    comment_edits (id) {
        id -> Int8,
        comment_id -> Int8,
        article_id -> Int8,
        body -> Text,
        written_at -> Timestamptz,
        replaced_at -> Timestamptz,
        claim -> Nullable<Text>,
        criteria -> Nullable<Text>,
        resolves_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    comment_votes (comment_id, user_id) {
        comment_id -> Int8,
        user_id -> Int8,
        article_id -> Int8,
        value -> Int2,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    comments (id) {
        id -> Int8,
        article_id -> Int8,
        parent_id -> Nullable<Int8>,
        path -> Array<Nullable<Int8>>,
        depth -> Int4,
        author_id -> Int8,
        body -> Text,
        body_html -> Text,
        state -> Text,
        created_at -> Timestamptz,
        edited_at -> Nullable<Timestamptz>,
        reply_count -> Int4,
        descendant_count -> Int4,
        upvotes -> Int4,
        downvotes -> Int4,
        score -> Int4,
        rank_best -> Float8,
        rank_controversial -> Float8,
        rank_hot -> Float8,
        removal_reason -> Nullable<Text>,
        removed_at -> Nullable<Timestamptz>,
        pinned_at -> Nullable<Timestamptz>,
        open_report_count -> Int4,
    }
}

diesel::table! {
    forecast_history (id) {
        id -> Int8,
        prediction_id -> Int8,
        user_id -> Int8,
        article_id -> Int8,
        percent -> Int2,
        community_probability -> Float8,
        forecasters -> Int4,
        made_at -> Timestamptz,
    }
}

diesel::table! {
    forecast_scores (prediction_id, user_id) {
        prediction_id -> Int8,
        user_id -> Int8,
        article_id -> Int8,
        percent -> Int2,
        outcome_yes -> Bool,
        brier -> Float8,
        community_brier -> Float8,
        relative_brier -> Float8,
        scored_at -> Timestamptz,
    }
}

diesel::table! {
    forecasts (prediction_id, user_id) {
        prediction_id -> Int8,
        user_id -> Int8,
        article_id -> Int8,
        percent -> Int2,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    idempotency_keys (scope, key) {
        scope -> Text,
        key -> Text,
        fingerprint -> Bytea,
        status -> Nullable<Int2>,
        content_type -> Nullable<Text>,
        body -> Nullable<Bytea>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    mod_actions (id) {
        id -> Int8,
        moderator_id -> Nullable<Int8>,
        action -> Text,
        article_id -> Nullable<Int8>,
        comment_id -> Nullable<Int8>,
        target_user_id -> Nullable<Int8>,
        prediction_id -> Nullable<Int8>,
        reason -> Nullable<Text>,
        expires_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    predictions (id) {
        id -> Int8,
        comment_id -> Int8,
        article_id -> Int8,
        author_id -> Int8,
        claim -> Text,
        criteria -> Nullable<Text>,
        resolves_at -> Timestamptz,
        created_at -> Timestamptz,
        outcome -> Nullable<Text>,
        closed_at -> Nullable<Timestamptz>,
        resolved_at -> Nullable<Timestamptz>,
        resolved_by -> Nullable<Int8>,
        resolution_note -> Nullable<Text>,
        evidence_url -> Nullable<Text>,
        forecaster_count -> Int4,
        community_probability -> Nullable<Float8>,
        deadline_notified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Int8,
        user_id -> Int8,
        family_id -> Text,
        token_hash -> Bytea,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    report_resolutions (id) {
        id -> Int8,
        comment_id -> Int8,
        article_id -> Int8,
        resolved_by -> Int8,
        action -> Text,
        reason -> Text,
        resolved_at -> Timestamptz,
    }
}

diesel::table! {
    reports (id) {
        id -> Int8,
        comment_id -> Int8,
        article_id -> Int8,
        reporter_id -> Int8,
        reason -> Text,
        created_at -> Timestamptz,
        resolution_id -> Nullable<Int8>,
    }
}

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Bytea,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    user_article_scores (user_id, article_id) {
        user_id -> Int8,
        article_id -> Int8,
        scored_forecasts -> Int4,
        brier_sum -> Float8,
        relative_brier_sum -> Float8,
    }
}

diesel::table! {
    user_calibration (user_id, bucket) {
        user_id -> Int8,
        bucket -> Int2,
        forecasts -> Int4,
        probability_sum -> Float8,
        came_true -> Int4,
    }
}

diesel::table! {
    user_scores (user_id) {
        user_id -> Int8,
        scored_forecasts -> Int4,
        brier_sum -> Float8,
        relative_brier_sum -> Float8,
    }
}

diesel::table! {
    retained_bans (user_id) {
        user_id -> Int8,
        username_key -> Text,
        email_key -> Nullable<Text>,
        banned_until -> Nullable<Timestamptz>,
        ban_reason -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    email_verifications (token_hash) {
        token_hash -> Bytea,
        user_id -> Int8,
        email -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    users (id) {
        id -> Int8,
        username -> Text,
        email -> Nullable<Text>,
        password_hash -> Nullable<Text>,
        role -> Text,
        display_name -> Nullable<Text>,
        bio -> Nullable<Text>,
        karma -> Int8,
        token_version -> Int4,
        deleted_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        banned_at -> Nullable<Timestamptz>,
        banned_until -> Nullable<Timestamptz>,
        ban_reason -> Nullable<Text>,
        email_verified_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    comment_mutes (user_id, comment_id) {
        user_id -> Int8,
        comment_id -> Int8,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    notification_settings (user_id, kind) {
        user_id -> Int8,
        kind -> Text,
        in_app -> Nullable<Bool>,
        email -> Nullable<Text>,
    }
}

diesel::table! {
    notifications (id) {
        id -> Int8,
        user_id -> Int8,
        kind -> Text,
        actor_id -> Nullable<Int8>,
        article_id -> Nullable<Int8>,
        comment_id -> Nullable<Int8>,
        prediction_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        read_at -> Nullable<Timestamptz>,
        mail_pending -> Bool,
    }
}

diesel::table! {
    stream_tickets (token_hash) {
        token_hash -> Bytea,
        user_id -> Int8,
        expires_at -> Timestamptz,
    }
}

diesel::joinable!(articles -> users (author_id));
diesel::joinable!(comment_edits -> articles (article_id));
diesel::joinable!(comment_edits -> comments (comment_id));
diesel::joinable!(comment_votes -> articles (article_id));
diesel::joinable!(comment_votes -> comments (comment_id));
diesel::joinable!(comment_votes -> users (user_id));
diesel::joinable!(comments -> articles (article_id));
diesel::joinable!(comments -> users (author_id));
diesel::joinable!(email_verifications -> users (user_id));
diesel::joinable!(forecast_history -> articles (article_id));
diesel::joinable!(forecast_history -> predictions (prediction_id));
diesel::joinable!(forecast_history -> users (user_id));
diesel::joinable!(forecast_scores -> articles (article_id));
diesel::joinable!(forecast_scores -> predictions (prediction_id));
diesel::joinable!(forecast_scores -> users (user_id));
diesel::joinable!(forecasts -> articles (article_id));
diesel::joinable!(forecasts -> predictions (prediction_id));
diesel::joinable!(forecasts -> users (user_id));
diesel::joinable!(comment_mutes -> comments (comment_id));
diesel::joinable!(comment_mutes -> users (user_id));
diesel::joinable!(notification_settings -> users (user_id));
diesel::joinable!(notifications -> articles (article_id));
diesel::joinable!(notifications -> comments (comment_id));
diesel::joinable!(notifications -> predictions (prediction_id));
diesel::joinable!(stream_tickets -> users (user_id));
diesel::joinable!(mod_actions -> articles (article_id));
diesel::joinable!(mod_actions -> comments (comment_id));
diesel::joinable!(mod_actions -> predictions (prediction_id));
diesel::joinable!(predictions -> articles (article_id));
diesel::joinable!(predictions -> comments (comment_id));
diesel::joinable!(refresh_tokens -> users (user_id));
diesel::joinable!(retained_bans -> users (user_id));
diesel::joinable!(report_resolutions -> articles (article_id));
diesel::joinable!(report_resolutions -> comments (comment_id));
diesel::joinable!(report_resolutions -> users (resolved_by));
diesel::joinable!(reports -> articles (article_id));
diesel::joinable!(reports -> comments (comment_id));
diesel::joinable!(reports -> report_resolutions (resolution_id));
diesel::joinable!(reports -> users (reporter_id));
diesel::joinable!(user_article_scores -> articles (article_id));
diesel::joinable!(user_article_scores -> users (user_id));
diesel::joinable!(user_calibration -> users (user_id));
diesel::joinable!(user_scores -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    articles,
    comment_edits,
    comment_mutes,
    comment_votes,
    comments,
    email_verifications,
    forecast_history,
    forecast_scores,
    forecasts,
    idempotency_keys,
    mod_actions,
    notification_settings,
    notifications,
    predictions,
    refresh_tokens,
    retained_bans,
    report_resolutions,
    reports,
    server_secrets,
    stream_tickets,
    user_article_scores,
    user_calibration,
    user_scores,
    users,
);
