//! The ranking formulas, in Rust for unit tests and for ranks computed outside a vote (new
//! comments, bulk loads). The vote itself uses the same formulas as SQL functions
//! (`r.wilson`, `r.controversy`, `r.hot` in src/db/replaceable.sql); a
//! test checks both give the same numbers.

use chrono::{DateTime, Utc};

/// z for an 80 % confidence interval, as Reddit's "best".
pub const WILSON_Z: f64 = 1.281551565545;

/// Lower bound of the Wilson score interval for the fraction of upvotes; 0 without votes.
pub fn wilson_lower_bound(up: i64, down: i64) -> f64 {
    let n = (up + down) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let p = up as f64 / n;
    let z2 = WILSON_Z * WILSON_Z;
    (p + z2 / (2.0 * n) - WILSON_Z * ((p * (1.0 - p) + z2 / (4.0 * n)) / n).sqrt()) / (1.0 + z2 / n)
}

/// `(up + down) ^ (min / max)` when both are positive, else 0.
pub fn controversy(up: i64, down: i64) -> f64 {
    if up <= 0 || down <= 0 {
        return 0.0;
    }
    let (low, high) = (up.min(down) as f64, up.max(down) as f64);
    ((up + down) as f64).powf(low / high)
}

/// `log10(max(1, 3 + score)) / (hours since creation + 2) ^ 1.8`.
pub fn hot(score: i64, created_at: DateTime<Utc>, now: DateTime<Utc>) -> f64 {
    let hours = ((now - created_at).num_microseconds().unwrap_or(0) as f64 / 3.6e9).max(0.0);
    ((3 + score).max(1) as f64).log10() / (hours + 2.0).powf(1.8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn wilson_matches_hand_computed_values() {
        assert_eq!(wilson_lower_bound(0, 0), 0.0);
        // n = 1, p = 1: (1 + z²/2 − z·sqrt(z²/4)) / (1 + z²) = 1 / (1 + z²).
        let z2 = WILSON_Z * WILSON_Z;
        assert!(close(wilson_lower_bound(1, 0), 1.0 / (1.0 + z2)));
        // Only downvotes: p = 0 gives (z²/2n − z·sqrt(z²/4n²)) / (1 + z²/n) = 0.
        assert!(close(wilson_lower_bound(0, 5), 0.0));
        // 10 up, 0 down: 1 / (1 + z²/10) = 0.858931…
        assert!(close(wilson_lower_bound(10, 0), 1.0 / (1.0 + z2 / 10.0)));
        assert!((wilson_lower_bound(10, 0) - 0.858_931).abs() < 1e-6);
        // 6 up, 4 down: p = 0.6, n = 10, worked by hand: 0.401352…
        assert!((wilson_lower_bound(6, 4) - 0.401_352).abs() < 1e-6);
        // More evidence at the same ratio ranks higher.
        assert!(wilson_lower_bound(60, 40) > wilson_lower_bound(6, 4));
    }

    #[test]
    fn controversy_needs_both_kinds_of_votes() {
        assert_eq!(controversy(0, 0), 0.0);
        assert_eq!(controversy(5, 0), 0.0);
        assert_eq!(controversy(0, 5), 0.0);
        assert!(close(controversy(5, 5), 10.0));
        // 9 up, 3 down: 12 ^ (1/3) = 2.289428…
        assert!((controversy(9, 3) - 2.289_428).abs() < 1e-6);
        assert!(close(controversy(3, 9), controversy(9, 3)));
    }

    #[test]
    fn hot_decays_with_age() {
        let created = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        // Score 0, brand new: log10(3) / 2^1.8.
        assert!(close(
            hot(0, created, created),
            3f64.log10() / 2f64.powf(1.8)
        ));
        // Score 7, 8 hours old: log10(10) / 10^1.8 = 1 / 63.0957…
        let later = created + chrono::Duration::hours(8);
        assert!(close(hot(7, created, later), 1.0 / 10f64.powf(1.8)));
        // Very negative scores floor at log10(1) = 0.
        assert_eq!(hot(-10, created, later), 0.0);
        assert!(hot(5, created, later) < hot(5, created, created));
    }
}
