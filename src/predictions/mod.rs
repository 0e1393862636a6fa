//! Predictions: a checkable claim with a probability and a deadline on a comment, forecasts by
//! readers, resolution by moderators, Brier scores and track records.
//!
//! Layers: `routes` (HTTP only) → `service` (transactions, using the rules of `domain` and
//! `paging`) → `queries` (every SQL statement). `error` is the feature's error enum, `state` its
//! codes as enums, `model` and `views` its wire types, `scoring` and `charts` pure computation.

pub mod charts;
pub mod domain;
pub mod error;
pub mod model;
pub mod paging;
pub mod queries;
pub mod routes;
pub mod scoring;
pub mod service;
pub mod state;
pub mod views;
