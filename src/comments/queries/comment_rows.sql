-- Every column a comment read shows, over `comments c`, `articles a`, `users u`. The braced
-- names are filled by reads.rs: the viewer's placeholder (the reader's id, 0 when anonymous,
-- so my_vote and the reader's own forecast cost a join, not a query per comment), extra
-- columns and joins of a listing, and the clause that selects and orders the comments.
SELECT
    c.id, c.article_id, a.slug AS article_slug, a.title AS article_title, c.parent_id, c.depth,
    c.author_id, u.username AS author_username, u.display_name AS author_display_name,
    c.body, c.body_html, c.state, c.created_at, c.edited_at, c.reply_count, c.descendant_count,
    (SELECT count(*) FROM comments p
      WHERE p.parent_id = c.id AND p.state <> 'visible'
        AND (p.state = 'removed' OR p.descendant_count > 0)) AS placeholder_children,
    c.upvotes, c.downvotes, c.score, c.rank_best, c.rank_controversial, c.rank_hot,
    coalesce(v.value, 0)::smallint AS my_vote,
    us.scored_forecasts AS author_scored_forecasts, us.brier_sum AS author_brier_sum,
    c.removal_reason, c.pinned_at, (a.deleted_at IS NULL) AS article_live,
    p.id AS prediction_id, p.claim AS prediction_claim, p.criteria AS prediction_criteria,
    p.resolves_at AS prediction_resolves_at, p.outcome AS prediction_outcome,
    p.resolved_at AS prediction_resolved_at, p.resolution_note AS prediction_note,
    p.evidence_url AS prediction_evidence_url, p.forecaster_count AS prediction_forecasters,
    p.community_probability AS prediction_community, af.percent AS prediction_author_percent,
    mf.percent AS prediction_my_percent
    {extra_columns}
FROM comments c
JOIN articles a ON a.id = c.article_id
JOIN users u ON u.id = c.author_id
LEFT JOIN comment_votes v ON v.comment_id = c.id AND v.user_id = {viewer}
LEFT JOIN user_scores us ON us.user_id = c.author_id
LEFT JOIN predictions p ON p.comment_id = c.id
LEFT JOIN forecasts af ON af.prediction_id = p.id AND af.user_id = p.author_id
LEFT JOIN forecasts mf ON mf.prediction_id = p.id AND mf.user_id = {viewer}
{extra_joins}
{where}
