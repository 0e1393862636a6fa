-- Full-text search (issue 21). Each searchable row keeps a stored tsvector, written by a
-- trigger in the statement that writes the text, in the language of `search_settings`
-- (`HINDSIGHT_SEARCH_LANGUAGE`; the service re-indexes every row when it changes). GIN indexes
-- cover only what a search can return (visible comments, live articles).
CREATE TABLE search_settings (
    singleton BOOLEAN PRIMARY KEY DEFAULT true CONSTRAINT search_settings_singleton CHECK (singleton),
    language  regconfig NOT NULL DEFAULT 'english'
);
INSERT INTO search_settings DEFAULT VALUES;

ALTER TABLE comments ADD COLUMN search tsvector;
ALTER TABLE articles ADD COLUMN search tsvector;
ALTER TABLE predictions ADD COLUMN search tsvector;

-- The vectors: a comment's text; an article's title (weight A), summary (B) and body (C); a
-- prediction's claim (A) and criteria (B).
CREATE FUNCTION search_comment_vector() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.search := to_tsvector((SELECT language FROM search_settings), NEW.body);
    RETURN NEW;
END $$;

CREATE FUNCTION search_article_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lang regconfig := (SELECT language FROM search_settings);
BEGIN
    NEW.search := setweight(to_tsvector(lang, NEW.title), 'A')
        || setweight(to_tsvector(lang, coalesce(NEW.summary, '')), 'B')
        || setweight(to_tsvector(lang, NEW.body), 'C');
    RETURN NEW;
END $$;

CREATE FUNCTION search_prediction_vector() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    lang regconfig := (SELECT language FROM search_settings);
BEGIN
    NEW.search := setweight(to_tsvector(lang, NEW.claim), 'A')
        || setweight(to_tsvector(lang, coalesce(NEW.criteria, '')), 'B');
    RETURN NEW;
END $$;

CREATE TRIGGER comments_search BEFORE INSERT OR UPDATE OF body ON comments
    FOR EACH ROW EXECUTE FUNCTION search_comment_vector();
CREATE TRIGGER articles_search BEFORE INSERT OR UPDATE OF title, summary, body ON articles
    FOR EACH ROW EXECUTE FUNCTION search_article_vector();
CREATE TRIGGER predictions_search BEFORE INSERT OR UPDATE OF claim, criteria ON predictions
    FOR EACH ROW EXECUTE FUNCTION search_prediction_vector();

-- Existing rows (the triggers fire on these updates).
UPDATE comments SET body = body;
UPDATE articles SET body = body;
UPDATE predictions SET claim = claim;

CREATE INDEX comments_search_idx ON comments USING GIN (search) WHERE state = 'visible';
CREATE INDEX articles_search_idx ON articles USING GIN (search) WHERE deleted_at IS NULL;
CREATE INDEX predictions_search_idx ON predictions USING GIN (search);
