DROP INDEX comments_recent_idx;
DROP INDEX comments_roots_top_idx, comments_children_top_idx, comments_article_top_idx;
DROP INDEX comments_roots_best_idx, comments_children_best_idx, comments_article_best_idx;
DROP INDEX comments_roots_controversial_idx, comments_children_controversial_idx, comments_article_controversial_idx;
DROP INDEX comments_roots_hot_idx, comments_children_hot_idx, comments_article_hot_idx;
DROP FUNCTION hindsight_vote(BIGINT, BIGINT, SMALLINT, TIMESTAMPTZ);
DROP FUNCTION hindsight_hot(INTEGER, TIMESTAMPTZ, TIMESTAMPTZ);
DROP FUNCTION hindsight_controversy(INTEGER, INTEGER);
DROP FUNCTION hindsight_wilson(INTEGER, INTEGER);
DROP TABLE comment_votes;
ALTER TABLE comments
    DROP COLUMN upvotes, DROP COLUMN downvotes, DROP COLUMN score,
    DROP COLUMN rank_best, DROP COLUMN rank_controversial, DROP COLUMN rank_hot;
