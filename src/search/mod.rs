//! Full-text search over comments, articles and predictions (`GET /api/v1/search`).
//!
//! Each searchable row keeps a stored `tsvector` written by a trigger in the statement that
//! writes its text (migration `000015_search`), in the language of `search_settings`, which the
//! service sets from `HINDSIGHT_SEARCH_LANGUAGE` at startup ([`apply_language`]: a change
//! re-indexes every row in one transaction). A query is parsed by `websearch_to_tsquery`
//! (quotes, `or`, `-word`), matched through partial GIN indexes that hold only what a search
//! may return, ranked by `ts_rank_cd`, and paged by a (rank, id) keyset. Deleted and removed
//! comments, and everything of a deleted article, never match. The snippet is PostgreSQL's
//! `ts_headline` of the source text, escaped and given `<mark>` tags in Rust (`domain.rs`), so
//! no markup of the text survives.

pub mod domain;
pub mod error;
pub mod model;
pub mod queries;
pub mod routes;
pub mod service;

use anyhow::Context;
use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Sets the search language (a PostgreSQL text search configuration such as `english`,
/// `german` or `simple`) and, when it changed, re-indexes every comment, article and
/// prediction in one transaction. Every instance of a deployment must use the same one.
pub async fn apply_language(conn: &mut AsyncPgConnection, language: &str) -> anyhow::Result<()> {
    let known: Known =
        diesel::sql_query("SELECT count(*) AS configs FROM pg_ts_config WHERE cfgname = $1")
            .bind::<Text, _>(language)
            .get_result(conn)
            .await
            .context("reading the text search configurations")?;
    if known.configs == 0 {
        anyhow::bail!(
            "search_language: `{language}` is not a text search configuration of this \
             PostgreSQL (psql: \\dF lists them)"
        );
    }
    conn.transaction(async |conn| {
        let changed = diesel::sql_query(
            "UPDATE search_settings SET language = $1::regconfig WHERE language <> $1::regconfig",
        )
        .bind::<Text, _>(language)
        .execute(conn)
        .await?;
        if changed > 0 {
            tracing::info!(language, "re-indexing search");
            for statement in [
                "UPDATE comments SET body = body",
                "UPDATE articles SET body = body",
                "UPDATE predictions SET claim = claim",
            ] {
                diesel::sql_query(statement).execute(conn).await?;
            }
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await
    .context("setting the search language")
}

/// How many text search configurations carry the name asked for.
#[derive(diesel::QueryableByName)]
struct Known {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    configs: i64,
}
