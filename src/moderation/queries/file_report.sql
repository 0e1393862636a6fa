-- Files a report in one statement (issue 19; it was a transaction of five round trips): the
-- comment of a live article ($1), the report when the comment is visible (reporter $2, reason
-- $3, time $4), and the comment's open-report count moved with it. A second open report by the
-- same user fails on `reports_open_key`, rolling the whole statement back. Returns the
-- comment's state (NULL: no such comment) and the new report's id (NULL: not filed).
WITH target AS (
    SELECT c.id, c.article_id, c.state
    FROM comments c JOIN articles a ON a.id = c.article_id
    WHERE c.id = $1 AND a.deleted_at IS NULL
), filed AS (
    INSERT INTO reports (comment_id, article_id, reporter_id, reason, created_at)
    SELECT t.id, t.article_id, $2, $3, $4 FROM target t WHERE t.state = 'visible'
    RETURNING id
), counted AS (
    UPDATE comments SET open_report_count = open_report_count + 1
    WHERE id = $1 AND EXISTS (SELECT 1 FROM filed)
)
SELECT (SELECT state FROM target) AS state, (SELECT id FROM filed) AS report_id
