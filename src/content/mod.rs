//! Getting content in: Markdown articles with front matter (`import-article`) and the demo a
//! new user sees first (`seed-demo`). Bulk data for benchmarks is not here: it belongs to the
//! `hindsight-bench` binary (src/bin/hindsight-bench/), outside the serving library.

pub mod demo;
pub mod import;
