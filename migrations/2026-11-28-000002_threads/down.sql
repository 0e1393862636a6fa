DROP TABLE comment_edits;
DROP TABLE comments;
DROP TABLE articles;
