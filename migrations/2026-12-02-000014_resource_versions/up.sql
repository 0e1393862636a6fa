-- Versions that HTTP caching keys on (ETag, the page cache): each write bumps the versions of
-- what it changed in its own transaction (r.bump_versions, called by r.append_events, r.vote
-- and the few writes that append no event), so a reader revalidates with one indexed lookup.
-- kind: 1 article (its page, thread and predictions), 2 user (profile, track record),
-- 3 people (id 0: what every page shows of people: names, track records, scores),
-- 4 log (id 0: every write that appends events; cross-article lists).
-- A version is a value of one sequence, so no version of a key ever repeats.
CREATE SEQUENCE resource_version_seq;

CREATE TABLE resource_versions (
    kind     SMALLINT NOT NULL,
    id       BIGINT   NOT NULL,
    version  BIGINT   NOT NULL,
    PRIMARY KEY (kind, id)
);
