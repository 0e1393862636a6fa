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
    server_secrets (name) {
        name -> Text,
        value -> Bytea,
        created_at -> Timestamptz,
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
diesel::joinable!(refresh_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    articles,
    comment_edits,
    comment_votes,
    comments,
    refresh_tokens,
    server_secrets,
    users,
);
