//! The one place where each feature's error enum becomes a problem type: handlers return
//! their feature's error and `?` converts it here, so the feature code never chooses a status
//! or a `/problems/*` slug itself.
