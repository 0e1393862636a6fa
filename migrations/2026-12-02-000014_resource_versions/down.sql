DROP TABLE resource_versions;
DROP SEQUENCE resource_version_seq;
