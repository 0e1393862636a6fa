//! `hindsight-bench`: the helpers of the benchmarks under bench/ (bulk comments, scored
//! forecasts, the SQL of a page for pgbench, access tokens for generated users). They live in
//! their own binary so that the serving library and the `hindsight` command carry none of it.

mod forecasts_load;
mod live;
mod load;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hindsight::comments::sort::Sort;
use hindsight::comments::thread::TreeShape;
use hindsight::{db, telemetry, Clock, Settings};

/// Benchmark helpers for hindsight (see bench/ and README's Benchmarks).
#[derive(Parser)]
#[command(name = "hindsight-bench", version, about)]
struct Cli {
    /// Optional TOML file with settings (environment variables win over it).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Bulk-load comments into an article for benchmarks.
    SeedLoad {
        /// Slug of an existing article.
        #[arg(long)]
        article: String,
        /// Number of comments to add.
        #[arg(long)]
        comments: usize,
        /// Number of generated users writing them.
        #[arg(long, default_value_t = 200)]
        users: usize,
        /// Random seed (the same seed gives the same shape).
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Load data for the prediction views benchmark: users, resolved predictions with scored
    /// forecasts, and one open prediction with 1,000 forecasts.
    SeedPredictions {
        /// Generated users.
        #[arg(long, default_value_t = 2000)]
        users: usize,
        /// Resolved predictions.
        #[arg(long, default_value_t = 10000)]
        predictions: usize,
        /// Scored forecasts in all.
        #[arg(long, default_value_t = 200000)]
        forecasts: usize,
        /// Random seed.
        #[arg(long, default_value_t = 3)]
        seed: u64,
    },
    /// Print the SQL of an article's first tree page, parameters filled in (for pgbench).
    BenchSql {
        /// Slug of the article.
        #[arg(long)]
        article: String,
        /// Top-level comments.
        #[arg(long, default_value_t = 20)]
        limit: i64,
        /// Levels.
        #[arg(long, default_value_t = 4)]
        depth: i32,
        /// Replies per comment.
        #[arg(long, default_value_t = 5)]
        replies_limit: i64,
        /// Sort (best, top, new, old, controversial, hot).
        #[arg(long, default_value = "best")]
        sort: String,
    },
    /// The live-thread benchmark's client: streams on one article while comments and votes
    /// are written (bench/live.sh).
    Live(live::LiveArgs),
    /// Print `user_id access_token` for users whose name starts with a prefix (load tests).
    BenchTokens {
        /// Username prefix, e.g. `load_1_`.
        #[arg(long)]
        prefix: String,
        /// At most this many users.
        #[arg(long, default_value_t = 1000)]
        count: i64,
    },
}

fn main() -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => fail(&anyhow::anyhow!("starting the async runtime: {e}")),
    }
}

async fn run() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("hindsight-bench: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let outcome = match cli.command {
        Command::SeedLoad {
            article,
            comments,
            users,
            seed,
        } => seed_load(&settings, &article, comments, users, seed).await,
        Command::Live(args) => live::run(args).await,
        Command::BenchTokens { prefix, count } => bench_tokens(&settings, &prefix, count).await,
        Command::SeedPredictions {
            users,
            predictions,
            forecasts,
            seed,
        } => seed_predictions(&settings, users, predictions, forecasts, seed).await,
        Command::BenchSql {
            article,
            limit,
            depth,
            replies_limit,
            sort,
        } => {
            bench_sql(
                &settings,
                &article,
                TreeShape {
                    limit,
                    depth,
                    replies_limit,
                },
                &sort,
            )
            .await
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

fn fail(error: &anyhow::Error) -> ExitCode {
    eprintln!("hindsight-bench: {error:#}");
    ExitCode::FAILURE
}

async fn seed_load(
    settings: &Settings,
    article: &str,
    comments: usize,
    users: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut conn = db::connect_existing(&settings.database_url).await?;
    let started = std::time::Instant::now();
    let outcome = load::seed_load(
        &mut conn,
        article,
        comments,
        users,
        seed,
        Clock::system().now(),
    )
    .await?;
    println!(
        "added {} comments by {} users to {article} in {:.1} s",
        outcome.comments,
        outcome.users,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn bench_tokens(settings: &Settings, prefix: &str, count: i64) -> anyhow::Result<()> {
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    use hindsight::db::schema::users;
    let mut conn = db::connect_existing(&settings.database_url).await?;
    let now = Clock::system().now();
    let secret = match &settings.jwt_secret {
        Some(secret) => secret.expose().as_bytes().to_vec(),
        None => hindsight::auth::tokens::load_or_create_secret(&mut conn, now).await?,
    };
    let keys = hindsight::auth::tokens::TokenKeys::new(&secret, settings.access_token_ttl)?;
    let rows: Vec<(i64, i32)> = users::table
        .filter(users::username.like(format!("{prefix}%")))
        .filter(users::deleted_at.is_null())
        .order(users::id)
        .limit(count)
        .select((users::id, users::token_version))
        .load(&mut conn)
        .await?;
    for (id, version) in rows {
        let token = keys
            .issue_access(id, version, now)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        println!("{id} {token}");
    }
    Ok(())
}

async fn bench_sql(
    settings: &Settings,
    article: &str,
    shape: TreeShape,
    sort: &str,
) -> anyhow::Result<()> {
    let sort = parse_sort(sort)?;
    let mut conn = db::connect_existing(&settings.database_url).await?;
    let article_id = hindsight::articles::queries::find_live_id(&mut conn, article)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no article with slug {article}"))?
        .id
        .get();
    // The page is two statements: which ids, then their rows.
    let ids =
        hindsight::comments::queries::reads::first_page_ids(&mut conn, article_id, sort, shape)
            .await?;
    println!(
        "{};",
        hindsight::comments::queries::reads::tree_sql_literal(article_id, sort, shape)
    );
    println!(
        "{};",
        hindsight::comments::queries::reads::rows_sql_literal(&ids)
    );
    Ok(())
}

fn parse_sort(raw: &str) -> anyhow::Result<Sort> {
    serde_json::from_value(serde_json::Value::from(raw))
        .map_err(|_| anyhow::anyhow!("unknown sort {raw}"))
}

async fn seed_predictions(
    settings: &Settings,
    users: usize,
    predictions: usize,
    forecasts: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut conn = db::connect_migrated(&settings.database_url).await?;
    let started = std::time::Instant::now();
    let outcome = forecasts_load::seed_forecasts(
        &mut conn,
        users,
        predictions,
        forecasts,
        seed,
        Clock::system().now(),
    )
    .await?;
    println!(
        "scored {} forecasts in {:.1} s; open prediction with 1,000 forecasts: {}",
        outcome.forecasts,
        started.elapsed().as_secs_f64(),
        outcome.open_prediction
    );
    Ok(())
}
