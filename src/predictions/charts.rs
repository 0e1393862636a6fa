//! SVG pictures served by the API itself, so every frontend can embed them: a prediction's
//! community median over time and a user's calibration plot.
//!
//! Written by hand rather than with plotters: plotters lays text out through a font backend
//! (system fonts or a bundled TTF), which adds native dependencies for two small charts; this
//! writer emits the same elements (axes, ticks, labels, lines, marks) as plain, testable markup
//! and leaves fonts to the browser.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::predictions::scoring::CalibrationBucket;
use crate::predictions::state::Outcome;

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 48.0;

/// Escapes text for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Plot-area coordinates for a value in [0, 1] on each axis.
fn xy(fx: f64, fy: f64) -> (f64, f64) {
    let x = LEFT + fx.clamp(0.0, 1.0) * (WIDTH - LEFT - RIGHT);
    let y = HEIGHT - BOTTOM - fy.clamp(0.0, 1.0) * (HEIGHT - TOP - BOTTOM);
    (x, y)
}

fn open(svg: &mut String, title: &str) {
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12"><title>{t}</title><rect width="100%" height="100%" fill="white"/><text class="caption" x="{cx}" y="22" text-anchor="middle" font-size="14">{t}</text>"#,
        t = escape(title),
        cx = WIDTH / 2.0,
    );
}

/// The 0–100 % axis with gridlines every 25 %.
fn probability_axis(svg: &mut String, vertical_label: &str) {
    for step in 0..=4 {
        let f = f64::from(step) / 4.0;
        let (x0, y) = xy(0.0, f);
        let (x1, _) = xy(1.0, f);
        let _ = write!(
            svg,
            r##"<line class="grid" x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#ddd"/><text class="y-tick" x="{tx}" y="{ty}" text-anchor="end">{p}%</text>"##,
            tx = x0 - 6.0,
            ty = y + 4.0,
            p = step * 25,
        );
    }
    let (_, y_mid) = xy(0.0, 0.5);
    let _ = write!(
        svg,
        r#"<text class="y-label" x="14" y="{y_mid}" transform="rotate(-90 14 {y_mid})" text-anchor="middle">{}</text>"#,
        escape(vertical_label)
    );
}

/// One history point: when, the community median then (0–1).
#[derive(Debug, Clone, Copy)]
pub struct ChartPoint {
    /// When.
    pub at: DateTime<Utc>,
    /// Community median (0–1).
    pub probability: f64,
}

/// The marks a history chart carries besides the line.
#[derive(Debug, Clone)]
pub struct HistoryMarks {
    /// The claim, as the chart's title (None while hidden).
    pub claim: Option<String>,
    /// The author's current probability.
    pub author_probability: Option<f64>,
    /// The outcome once resolved.
    pub outcome: Option<Outcome>,
    /// The time axis ends here (the deadline, or now if later).
    pub until: DateTime<Utc>,
}

/// The community median over time, with the author's and the final community probability
/// marked and the outcome shown once resolved.
pub fn history_svg(points: &[ChartPoint], marks: &HistoryMarks) -> String {
    let mut svg = String::with_capacity(4096);
    let title = marks
        .claim
        .clone()
        .unwrap_or_else(|| "Prediction".to_owned());
    open(&mut svg, &title);
    probability_axis(&mut svg, "Community probability");
    let start = points.first().map_or(marks.until, |p| p.at);
    let end = marks.until.max(points.last().map_or(start, |p| p.at));
    let span = (end - start).num_seconds().max(1) as f64;
    let fx = |t: DateTime<Utc>| (t - start).num_seconds() as f64 / span;
    for step in 0..=4 {
        let t = start + chrono::Duration::seconds((span * f64::from(step) / 4.0) as i64);
        let (x, y) = xy(f64::from(step) / 4.0, 0.0);
        let _ = write!(
            svg,
            r#"<text class="x-tick" x="{x}" y="{ty}" text-anchor="middle">{d}</text>"#,
            ty = y + 18.0,
            d = t.format("%Y-%m-%d"),
        );
    }
    if !points.is_empty() {
        // A step line: the median holds until the next change.
        let mut path = String::new();
        for (i, p) in points.iter().enumerate() {
            let (x, y) = xy(fx(p.at), p.probability);
            if i == 0 {
                let _ = write!(path, "M{x:.1},{y:.1}");
            } else {
                let _ = write!(path, " H{x:.1} V{y:.1}");
            }
        }
        let (x_end, _) = xy(1.0, 0.0);
        let _ = write!(path, " H{x_end:.1}");
        let _ = write!(
            svg,
            r##"<path class="community" d="{path}" fill="none" stroke="#1f6feb" stroke-width="2"/>"##
        );
    }
    if let Some(last) = points.last() {
        let (x, y) = xy(1.0, last.probability);
        let _ = write!(
            svg,
            r##"<circle class="final-community" cx="{x}" cy="{y}" r="5" fill="#1f6feb"><title>Community {p:.0}%</title></circle>"##,
            p = last.probability * 100.0
        );
    }
    if let Some(author) = marks.author_probability {
        let (x0, y) = xy(0.0, author);
        let (x1, _) = xy(1.0, author);
        let _ = write!(
            svg,
            r##"<line class="author" x1="{x0}" y1="{y}" x2="{x1}" y2="{y}" stroke="#d73a49" stroke-dasharray="6 4"/><text class="author-label" x="{tx}" y="{ty}" fill="#d73a49">Author {p:.0}%</text>"##,
            tx = x0 + 6.0,
            ty = y - 6.0,
            p = author * 100.0
        );
    }
    if let Some(outcome) = marks.outcome {
        let (x, y) = xy(1.0, if outcome == Outcome::Yes { 1.0 } else { 0.0 });
        let label = match outcome {
            Outcome::Yes => "Resolved: yes",
            Outcome::No => "Resolved: no",
            Outcome::Void => "Resolved: void",
        };
        let _ = write!(
            svg,
            r##"<rect class="outcome" x="{rx}" y="{ry}" width="10" height="10" fill="#2da44e"/><text class="outcome-label" x="{tx}" y="{ty}" text-anchor="end" fill="#2da44e">{label}</text>"##,
            rx = x - 5.0,
            ry = y - 5.0,
            tx = x - 10.0,
            ty = TOP - 4.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The calibration plot: the diagonal of perfect calibration, one point per non-empty bucket
/// (sized by its count), the mean Brier in the caption.
pub fn calibration_svg(
    username: &str,
    buckets: &[CalibrationBucket],
    mean_brier: Option<f64>,
) -> String {
    let mut svg = String::with_capacity(4096);
    let caption = match mean_brier {
        Some(b) => format!("Calibration of {username} (mean Brier {b:.3})"),
        None => format!("Calibration of {username} (nothing scored yet)"),
    };
    open(&mut svg, &caption);
    probability_axis(&mut svg, "Observed frequency");
    for step in 0..=4 {
        let (x, y) = xy(f64::from(step) / 4.0, 0.0);
        let _ = write!(
            svg,
            r#"<text class="x-tick" x="{x}" y="{ty}" text-anchor="middle">{p}%</text>"#,
            ty = y + 18.0,
            p = step * 25
        );
    }
    let (x0, y0) = xy(0.0, 0.0);
    let (x1, y1) = xy(1.0, 1.0);
    let _ = write!(
        svg,
        r##"<line class="diagonal" x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="#888" stroke-dasharray="4 4"/><text class="x-label" x="{cx}" y="{ly}" text-anchor="middle">Forecast probability</text>"##,
        cx = (x0 + x1) / 2.0,
        ly = HEIGHT - 8.0,
    );
    let largest = buckets
        .iter()
        .map(|b| b.forecasts)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    for bucket in buckets.iter().filter(|b| b.forecasts > 0) {
        let (Some(mean), Some(observed)) = (bucket.mean_probability, bucket.observed_frequency)
        else {
            continue;
        };
        let (x, y) = xy(mean, observed);
        let r = 4.0 + 10.0 * (bucket.forecasts as f64 / largest).sqrt();
        let _ = write!(
            svg,
            r##"<circle class="bucket" cx="{x:.1}" cy="{y:.1}" r="{r:.1}" fill="#1f6feb" fill-opacity="0.6"><title>{n} forecasts, {o:.0}% came true</title></circle>"##,
            n = bucket.forecasts,
            o = observed * 100.0
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::predictions::scoring::{calibration, totals};

    #[test]
    fn calibration_has_one_point_per_non_empty_bucket() {
        let buckets = calibration(&[totals(7, 10, 7.0, 7), totals(2, 3, 0.6, 1)]);
        let svg = calibration_svg("min<ji", &buckets, Some(0.21));
        assert_eq!(svg.matches(r#"class="bucket""#).count(), 2);
        assert!(svg.contains("mean Brier 0.210"));
        assert!(svg.contains("min&lt;ji"), "escaped");
        assert!(svg.contains(r#"class="diagonal""#));
    }

    #[test]
    fn history_marks_author_final_and_outcome() {
        let t0 = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .expect("valid")
            .with_timezone(&Utc);
        let points = [
            ChartPoint {
                at: t0,
                probability: 0.3,
            },
            ChartPoint {
                at: t0 + chrono::Duration::days(2),
                probability: 0.6,
            },
        ];
        let marks = HistoryMarks {
            claim: Some("A & B".into()),
            author_probability: Some(0.3),
            outcome: Some(Outcome::Yes),
            until: t0 + chrono::Duration::days(4),
        };
        let svg = history_svg(&points, &marks);
        assert!(svg.contains(r#"class="community""#));
        assert!(svg.contains(r#"class="final-community""#));
        assert!(svg.contains("Author 30%"));
        assert!(svg.contains("Resolved: yes"));
        assert!(svg.contains("2026-01-01") && svg.contains("100%"));
        assert!(svg.contains("A &amp; B"));
    }
}
