//! `bench/markdown.sh`: times `markdown::render` on pathological 10,000-character comment
//! bodies and prints, per input, whether it rendered or was refused, with the median and the
//! slowest of 7 runs (release build).
//! The bound is "every body renders or is refused in under 20 ms".

use std::time::{Duration, Instant};

use hindsight::articles::markdown::render;

const LENGTH: usize = 10_000;

fn repeat_to(unit: &str, tail: &str) -> String {
    let mut body = unit.repeat((LENGTH - tail.len()) / unit.len());
    body.push_str(tail);
    body
}

fn inputs() -> Vec<(&'static str, String)> {
    let table = |columns: usize, rows: &str| {
        let header = format!("{}\n{}\n", "|a".repeat(columns), "|-".repeat(columns));
        let mut body = header.clone();
        while body.len() + rows.len() <= LENGTH {
            body.push_str(rows);
        }
        body
    };
    vec![
        ("nested lists `- - - a`", repeat_to("- ", "a")),
        ("nested ordered lists `1. 1. a`", repeat_to("1. ", "a")),
        ("nested quotes `>>>`", repeat_to(">", "a")),
        ("quotes and lists `> - `", repeat_to("> - ", "a")),
        ("list-item run `- a\\n`", repeat_to("- a\n", "")),
        ("empty items `- \\n`", repeat_to("- \n", "")),
        (
            "16 list levels, repeated",
            repeat_to(&format!("{}a\n", "- ".repeat(16)), ""),
        ),
        ("emphasis run `*a`", repeat_to("*a", "")),
        ("strong run `**a`", repeat_to("**a", "")),
        ("mixed emphasis `_*`", repeat_to("_*", "a")),
        ("bracket run `[`", repeat_to("[", "a")),
        ("link openers `[a](`", repeat_to("[a](", "")),
        ("image openers `![`", repeat_to("![", "a")),
        ("backtick run", repeat_to("`", "a")),
        ("wide table + one-word rows", table(100, "a\n")),
        ("long two-column table", table(2, "|x|y|\n")),
        ("raw `<div>` run", repeat_to("<div>", "")),
        ("raw `<b><i>` run", repeat_to("<b><i>", "x")),
        ("entity run `&amp;`", repeat_to("&amp;", "")),
        (
            "plain prose",
            repeat_to("The summit ended with a statement. ", ""),
        ),
    ]
}

/// Median and slowest of 7 timed runs after one untimed warm-up (the first render of a
/// process pays for page faults and the sanitiser's setup).
fn timings(body: &str) -> (Duration, Duration, &'static str) {
    let outcome = if render(body).is_ok() {
        "rendered"
    } else {
        "refused"
    };
    let mut times: Vec<Duration> = (0..7)
        .map(|_| {
            let started = Instant::now();
            let _ = render(body);
            started.elapsed()
        })
        .collect();
    times.sort();
    (times[3], times[6], outcome)
}

fn main() {
    println!("| input (10,000 characters) | outcome | median ms | slowest of 7 ms |");
    println!("| --- | --- | ---: | ---: |");
    let mut overall = Duration::ZERO;
    for (name, body) in inputs() {
        let (median, slowest, outcome) = timings(&body);
        overall = overall.max(slowest);
        println!(
            "| {name} | {outcome} | {:.2} | {:.2} |",
            median.as_secs_f64() * 1e3,
            slowest.as_secs_f64() * 1e3
        );
    }
    println!("\nslowest overall: {:.2} ms", overall.as_secs_f64() * 1e3);
}
