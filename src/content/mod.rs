//! Getting content in: Markdown articles with front matter (`import-article`), the demo a new
//! user sees first (`seed-demo`), and bulk load data for benchmarks (`seed-load`).

pub mod demo;
pub mod forecasts_load;
pub mod import;
pub mod load;
