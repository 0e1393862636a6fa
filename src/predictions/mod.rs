//! Predictions: a checkable claim with a probability and a deadline on a comment, forecasts by
//! readers, resolution by moderators, Brier scores and track records.

pub mod charts;
pub mod domain;
pub mod model;
pub mod queries;
pub mod routes;
pub mod scoring;
pub mod views;
