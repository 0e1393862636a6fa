//! Pure scoring: probabilities as whole percent, Brier scores, medians and calibration buckets
//! (the status of a prediction at a given time is in `state`).

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::FieldError;
use crate::predictions::queries::CalibrationTotals;

/// Reads a probability in steps of 0.01 from 0.01 to 0.99 as whole percent. Clients send
/// 0.57 as 0.5700000000000001, so a value within 1e-9 of a whole percent is accepted.
pub fn parse_probability(value: f64, field: &str) -> Result<i16, FieldError> {
    if !value.is_finite() {
        return Err(FieldError::new(
            field,
            "invalid_type",
            "a number from 0.01 to 0.99",
        ));
    }
    let scaled = value * 100.0;
    let rounded = scaled.round();
    if (scaled - rounded).abs() >= 1e-9 {
        return Err(FieldError::new(field, "invalid_format", "in steps of 0.01"));
    }
    if !(1.0..=99.0).contains(&rounded) {
        return Err(FieldError::new(field, "out_of_range", "from 0.01 to 0.99"));
    }
    Ok(rounded as i16)
}

/// A whole percent on the 0–1 scale.
pub fn probability(percent: i16) -> f64 {
    f64::from(percent) / 100.0
}

/// `(p − o)²` with o = 1 for yes and 0 for no.
pub fn brier(probability: f64, came_true: bool) -> f64 {
    let outcome = if came_true { 1.0 } else { 0.0 };
    (probability - outcome).powi(2)
}

/// The median (mean of the middle two for an even count), on the 0–1 scale.
pub fn median(percents: &[i16]) -> Option<f64> {
    if percents.is_empty() {
        return None;
    }
    let mut sorted = percents.to_vec();
    sorted.sort_unstable();
    let mid = sorted.len() / 2;
    let value = if sorted.len() % 2 == 1 {
        f64::from(sorted[mid])
    } else {
        (f64::from(sorted[mid - 1]) + f64::from(sorted[mid])) / 2.0
    };
    Some(value / 100.0)
}

/// Calibration bucket of a percent: bucket i holds [i/10, (i+1)/10), so 70 % is bucket 7.
pub fn bucket(percent: i16) -> usize {
    usize::try_from(percent / 10).unwrap_or(0).min(9)
}

/// One calibration bucket of a track record.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CalibrationBucket {
    /// Lower edge (inclusive).
    pub from: f64,
    /// Upper edge (exclusive, 1.0 for the last bucket).
    pub to: f64,
    /// Scored forecasts in the bucket.
    pub forecasts: i64,
    /// Their mean probability; null when empty.
    pub mean_probability: Option<f64>,
    /// How often they came true; null when empty.
    pub observed_frequency: Option<f64>,
}

/// Ten buckets from the stored per-bucket totals (buckets without a row are empty).
pub fn calibration(totals: &[CalibrationTotals]) -> Vec<CalibrationBucket> {
    (0..10)
        .map(|i| {
            let found = totals
                .iter()
                .find(|t| usize::try_from(t.bucket).ok() == Some(i));
            let (forecasts, sum, came_true) = found.map_or((0, 0.0, 0), |t| {
                (
                    i64::from(t.forecasts),
                    t.probability_sum,
                    i64::from(t.came_true),
                )
            });
            CalibrationBucket {
                from: i as f64 / 10.0,
                to: (i + 1) as f64 / 10.0,
                forecasts,
                mean_probability: (forecasts > 0).then(|| sum / forecasts as f64),
                observed_frequency: (forecasts > 0).then(|| came_true as f64 / forecasts as f64),
            }
        })
        .collect()
}

/// Stored totals of one bucket, for tests that build calibrations by hand.
#[cfg(test)]
pub(crate) fn totals(bucket: i16, forecasts: i32, sum: f64, came_true: i32) -> CalibrationTotals {
    CalibrationTotals {
        bucket,
        forecasts,
        probability_sum: sum,
        came_true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probabilities_are_whole_percent_with_float_noise_tolerated() {
        assert_eq!(parse_probability(0.57, "p").expect("ok"), 57);
        assert_eq!(
            parse_probability(0.570_000_000_000_000_1, "p").expect("ok"),
            57
        );
        assert_eq!(parse_probability(0.07, "p").expect("ok"), 7);
        assert_eq!(parse_probability(0.29, "p").expect("ok"), 29);
        assert_eq!(
            parse_probability(0.575, "p").expect_err("half").code,
            "invalid_format"
        );
        assert_eq!(
            parse_probability(0.0, "p").expect_err("zero").code,
            "out_of_range"
        );
        assert_eq!(
            parse_probability(1.0, "p").expect_err("one").code,
            "out_of_range"
        );
        assert!(parse_probability(0.01, "p").is_ok() && parse_probability(0.99, "p").is_ok());
    }

    #[test]
    fn brier_scores_match_hand_computed_values() {
        assert!((brier(0.7, true) - 0.09).abs() < 1e-12);
        assert!((brier(0.7, false) - 0.49).abs() < 1e-12);
        assert!((brier(0.5, true) - 0.25).abs() < 1e-12);
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[70, 10, 40]), Some(0.4));
        assert_eq!(median(&[10, 40, 70, 90]), Some(0.55));
    }

    #[test]
    fn buckets_are_half_open() {
        assert_eq!(bucket(70), 7);
        assert_eq!(bucket(69), 6);
        assert_eq!(bucket(99), 9);
        assert_eq!(bucket(1), 0);
    }

    #[test]
    fn calibration_fills_ten_buckets() {
        // A user whose 0.7 forecasts came true 7 times out of 10.
        let buckets = calibration(&[totals(7, 10, 7.0, 7)]);
        assert_eq!(buckets.len(), 10);
        assert_eq!(buckets[7].forecasts, 10);
        assert!((buckets[7].observed_frequency.expect("filled") - 0.7).abs() < 1e-12);
        assert!((buckets[7].mean_probability.expect("filled") - 0.7).abs() < 1e-12);
        assert_eq!(buckets[3].observed_frequency, None);
        assert!((buckets[7].from - 0.7).abs() < 1e-12 && (buckets[7].to - 0.8).abs() < 1e-12);
    }
}
