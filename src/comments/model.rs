//! Comment rows (as the read queries return them) and wire types.

use chrono::{DateTime, Utc};
use diesel::sql_types::{BigInt, Bool, Double, Integer, Nullable, SmallInt, Text, Timestamptz};
use diesel::QueryableByName;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::comments::state::CommentState;
use crate::predictions::model::{
    AuthorTrackRecord, NewPredictionRequest, PredictionCols, PredictionEditRequest, PredictionView,
};

/// One comment as read from the database.
#[derive(Debug, Clone, QueryableByName)]
pub struct CommentRow {
    /// Id.
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// Article id.
    #[diesel(sql_type = BigInt)]
    pub article_id: i64,
    /// Article slug.
    #[diesel(sql_type = Text)]
    pub article_slug: String,
    /// Article title.
    #[diesel(sql_type = Text)]
    pub article_title: String,
    /// Parent comment.
    #[diesel(sql_type = Nullable<BigInt>)]
    pub parent_id: Option<i64>,
    /// 0 for top level.
    #[diesel(sql_type = Integer)]
    pub depth: i32,
    /// Author id.
    #[diesel(sql_type = BigInt)]
    pub author_id: i64,
    /// Author username.
    #[diesel(sql_type = Text)]
    pub author_username: String,
    /// Author display name.
    #[diesel(sql_type = Nullable<Text>)]
    pub author_display_name: Option<String>,
    /// Markdown.
    #[diesel(sql_type = Text)]
    pub body: String,
    /// Rendered HTML.
    #[diesel(sql_type = Text)]
    pub body_html: String,
    /// Live, deleted or removed.
    #[diesel(sql_type = Text)]
    pub state: CommentState,
    /// Creation time.
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    /// Last edit.
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub edited_at: Option<DateTime<Utc>>,
    /// Live direct children.
    #[diesel(sql_type = Integer)]
    pub reply_count: i32,
    /// Live descendants.
    #[diesel(sql_type = Integer)]
    pub descendant_count: i32,
    /// Direct children that are placeholders (not live, with live descendants).
    #[diesel(sql_type = BigInt)]
    pub placeholder_children: i64,
    /// Upvotes.
    #[diesel(sql_type = Integer)]
    pub upvotes: i32,
    /// Downvotes.
    #[diesel(sql_type = Integer)]
    pub downvotes: i32,
    /// upvotes − downvotes.
    #[diesel(sql_type = Integer)]
    pub score: i32,
    /// Stored Wilson lower bound.
    #[diesel(sql_type = Double)]
    pub rank_best: f64,
    /// Stored controversy.
    #[diesel(sql_type = Double)]
    pub rank_controversial: f64,
    /// Stored hot rank.
    #[diesel(sql_type = Double)]
    pub rank_hot: f64,
    /// The reader's vote (0 when none or anonymous).
    #[diesel(sql_type = SmallInt)]
    pub my_vote: i16,
    /// The author's scored forecasts.
    #[diesel(sql_type = Nullable<Integer>)]
    pub author_scored_forecasts: Option<i32>,
    /// The author's summed Brier scores.
    #[diesel(sql_type = Nullable<Double>)]
    pub author_brier_sum: Option<f64>,
    /// Why a moderator removed it.
    #[diesel(sql_type = Nullable<Text>)]
    pub removal_reason: Option<String>,
    /// When it was pinned (top-level only).
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub pinned_at: Option<DateTime<Utc>>,
    /// Whether its article is not soft-deleted.
    #[diesel(sql_type = Bool)]
    pub article_live: bool,
    /// The comment's prediction, if any.
    #[diesel(embed)]
    pub prediction: PredictionCols,
}

impl CommentRow {
    /// Children that a listing would show.
    pub fn listed_children(&self) -> i64 {
        i64::from(self.reply_count) + self.placeholder_children
    }

    /// Neither deleted nor removed.
    pub fn is_live(&self) -> bool {
        self.state.is_live()
    }
}

/// A slot of a tree page: a comment plus where it sits in the page.
#[derive(Debug)]
pub struct TreeRow {
    /// The comment (None for the look-ahead row).
    pub comment: Option<CommentRow>,
    /// 1 for the page's top level.
    pub level: i32,
    /// The look-ahead top-level row that only tells whether a next page exists.
    pub extra: bool,
}

/// Who reads, and when: what the view of a row depends on besides the row.
#[derive(Debug, Clone, Copy)]
pub struct ViewContext {
    /// The reader, when logged in (my_vote is null otherwise).
    pub viewer: Option<crate::ids::UserId>,
    /// Whether the reader is a moderator or admin (sees removed text and reasons).
    pub moderator: bool,
    /// The service's clock, for a prediction's status.
    pub now: DateTime<Utc>,
}

impl ViewContext {
    /// The context of an optional reader.
    pub fn of(reader: Option<&crate::auth::AuthUser>, now: DateTime<Utc>) -> Self {
        Self {
            viewer: reader.map(|u| u.id),
            moderator: reader.is_some_and(|u| u.role.is_moderator()),
            now,
        }
    }
}

/// How an author appears beside a comment.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CommentAuthor {
    /// Id.
    pub id: i64,
    /// Username (`deleted-<id>` for a deleted account).
    pub username: String,
    /// Display name, if set.
    pub display_name: Option<String>,
    /// Scored forecasts and mean Brier; null below 5 scored forecasts.
    pub track_record: Option<AuthorTrackRecord>,
}

/// Scored forecasts an author needs before the thread shows their track record.
pub const TRACK_RECORD_MINIMUM: i32 = 5;

/// A comment on the wire. Every field is always present.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    /// Id.
    pub id: i64,
    /// The article's slug.
    pub article_slug: String,
    /// Parent comment; null at the top level.
    pub parent_id: Option<i64>,
    /// Author; null on a deleted comment.
    pub author: Option<CommentAuthor>,
    /// Markdown as written (NFC); null on a deleted comment.
    pub body: Option<String>,
    /// Sanitised HTML; null on a deleted comment.
    pub body_html: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last edit; null if never edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// 0 for a top-level comment.
    pub depth: i32,
    /// Live direct replies.
    pub reply_count: i32,
    /// Live replies at any depth.
    pub descendant_count: i32,
    /// Deleted by its author (a placeholder).
    pub deleted: bool,
    /// Removed by a moderator (a placeholder).
    pub removed: bool,
    /// Nested replies in tree responses; `[]` when none or cut off.
    #[schema(no_recursion)]
    pub replies: Vec<CommentView>,
    /// Listed replies not included here (cut by replies_limit, depth or the page cap).
    pub more_replies: i64,
    /// Upvotes.
    pub upvotes: i32,
    /// Downvotes.
    pub downvotes: i32,
    /// upvotes − downvotes.
    pub score: i32,
    /// The reader's vote: -1, 0 or 1; null when anonymous.
    pub my_vote: Option<i16>,
    /// The prediction this comment carries; null when none.
    pub prediction: Option<PredictionView>,
    /// Pinned by a moderator (top-level comments, shown first on a thread's first page).
    pub pinned: bool,
    /// Why a moderator removed it; shown to moderators and the author only.
    pub removal_reason: Option<String>,
}

impl CommentView {
    /// The wire form of a row, without replies; hides what a placeholder must not show.
    pub fn from_row(row: CommentRow, ctx: &ViewContext) -> Self {
        let removed = row.state == CommentState::Removed;
        // Removed text stays readable by moderators and by its author; deleted text by nobody.
        let privileged = ctx.moderator || ctx.viewer == Some(crate::ids::UserId(row.author_id));
        let live = row.is_live() || (removed && privileged);
        let more_replies = row.listed_children();
        let track_record = match (row.author_scored_forecasts, row.author_brier_sum) {
            (Some(n), Some(sum)) if n >= TRACK_RECORD_MINIMUM => Some(AuthorTrackRecord {
                scored_forecasts: i64::from(n),
                mean_brier: sum / f64::from(n),
            }),
            _ => None,
        };
        // A removal hides the claim from readers, also after the author deleted the comment
        // (the removal reason stays on the erased row until a restore clears it).
        let claim_hidden = (removed || row.removal_reason.is_some()) && !privileged;
        let prediction = PredictionView::from_cols(row.prediction, ctx.now, claim_hidden);
        Self {
            id: row.id,
            article_slug: row.article_slug,
            parent_id: row.parent_id,
            author: live.then_some(CommentAuthor {
                id: row.author_id,
                username: row.author_username,
                display_name: row.author_display_name,
                track_record,
            }),
            body: live.then_some(row.body),
            body_html: live.then_some(row.body_html),
            created_at: row.created_at,
            edited_at: row.edited_at,
            depth: row.depth,
            reply_count: row.reply_count,
            descendant_count: row.descendant_count,
            deleted: row.state == CommentState::Deleted,
            removed,
            replies: Vec::new(),
            more_replies,
            upvotes: row.upvotes,
            downvotes: row.downvotes,
            score: row.score,
            my_vote: ctx.viewer.is_some().then_some(row.my_vote),
            prediction,
            pinned: row.pinned_at.is_some(),
            removal_reason: row.removal_reason.filter(|_| removed && privileged),
        }
    }
}

/// A comment in a user's history, with its article.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserCommentView {
    /// The comment (without replies).
    #[serde(flatten)]
    pub comment: CommentView,
    /// Where it was written.
    pub article: ArticleRef,
}

/// A link to an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleRef {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
}

/// `POST /articles/{slug}/comments`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"body": "I expect the trade talks to restart but drag on.", "parent_id": null, "prediction": {"claim": "China and South Korea sign an upgraded FTA before 2028", "probability": 0.35, "resolves_at": "2027-12-31T23:59:59Z"}}))]
pub struct CreateCommentRequest {
    /// Markdown, 1–10,000 characters after trimming.
    pub body: String,
    /// The comment replied to (same article); null or absent for a top-level comment.
    pub parent_id: Option<i64>,
    /// A prediction this comment makes.
    pub prediction: Option<NewPredictionRequest>,
}

/// `POST /preview`: a comment body to render without posting it.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"body": "The **investment** figure is eye-catching."}))]
pub struct PreviewRequest {
    /// Markdown, 1–10,000 characters after trimming (as a comment's body).
    pub body: String,
}

/// The body as a posted comment would show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PreviewResult {
    /// Sanitised HTML, rendered exactly as `body_html` of a comment with this body.
    pub body_html: String,
}

/// `PUT /comments/{id}/vote`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"value": 1}))]
pub struct VoteRequest {
    /// 1 (up), -1 (down) or 0 (clear).
    pub value: i64,
}

/// The comment's counters after a vote.
#[derive(Debug, Serialize, ToSchema)]
pub struct VoteResult {
    /// The comment.
    pub comment_id: i64,
    /// Upvotes.
    pub upvotes: i32,
    /// Downvotes.
    pub downvotes: i32,
    /// upvotes − downvotes.
    pub score: i32,
    /// The vote just stored.
    pub my_vote: i16,
}

/// `PATCH /comments/{id}`: at least one field.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateCommentRequest {
    /// New Markdown body.
    pub body: Option<String>,
    /// Changes to the comment's prediction (only while nobody else has forecast).
    pub prediction: Option<PredictionEditRequest>,
}

/// One earlier version of a comment.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentEdit {
    /// The text before the edit.
    pub body: String,
    /// The prediction's claim before the edit (null when the comment has none).
    pub claim: Option<String>,
    /// The prediction's criteria before the edit.
    pub criteria: Option<String>,
    /// The prediction's deadline before the edit.
    pub resolves_at: Option<DateTime<Utc>>,
    /// When that text was written.
    pub written_at: DateTime<Utc>,
    /// When it was replaced.
    pub replaced_at: DateTime<Utc>,
}

/// `GET /comments/{id}/edits`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommentEdits {
    /// Earlier versions, oldest first.
    pub items: Vec<CommentEdit>,
}

/// Maximum characters of a comment body.
pub const COMMENT_MAX: usize = 10_000;
