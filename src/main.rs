//! The `hindsight` command: serve (default), migrate, openapi.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use hindsight::auth::Role;
use hindsight::comments::sort::Sort;
use hindsight::comments::thread::TreeShape;
use hindsight::content;
use hindsight::{db, openapi, telemetry, Application, Clock, Settings};

/// REST backend for news comment sections with scored predictions.
#[derive(Parser)]
#[command(name = "hindsight", version, about)]
struct Cli {
    /// Optional TOML file with settings (environment variables win over it).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply pending migrations, then serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document (YAML) that openapi.yaml must equal.
    Openapi,
    /// Create or update an article from a Markdown file with YAML front matter.
    ImportArticle {
        /// The Markdown file (front matter: title, slug, summary, tags, published_at).
        file: PathBuf,
        /// Username credited as author (default: the hindsight-newsroom account).
        #[arg(long)]
        author: Option<String>,
    },
    /// Create the demo article, users and thread (idempotent).
    SeedDemo,
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
    /// Print `user_id access_token` for users whose name starts with a prefix (load tests).
    BenchTokens {
        /// Username prefix, e.g. `load_1_`.
        #[arg(long)]
        prefix: String,
        /// At most this many users.
        #[arg(long, default_value_t = 1000)]
        count: i64,
    },
    /// Set a user's role (how the first admin is made).
    SetRole {
        /// The username (any case).
        username: String,
        /// reader, moderator or admin.
        role: Role,
    },
}

fn main() -> ExitCode {
    // Before the runtime starts its threads: mallopt is not meant to race with allocations.
    hindsight::memory::tune_allocator();
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
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        return match openapi::yaml() {
            Ok(yaml) => {
                print!("{yaml}");
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e),
        };
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("hindsight: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format);
    let outcome = match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => migrate(&settings).await,
        Command::Openapi => Ok(()),
        Command::SetRole { username, role } => set_role(&settings, &username, role).await,
        Command::ImportArticle { file, author } => {
            import_article(&settings, &file, author.as_deref()).await
        }
        Command::SeedDemo => seed_demo(&settings).await,
        Command::SeedLoad {
            article,
            comments,
            users,
            seed,
        } => seed_load(&settings, &article, comments, users, seed).await,
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
    eprintln!("hindsight: {error:#}");
    ExitCode::FAILURE
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bind = settings.bind.clone();
    let app = Application::build(settings, Clock::system()).await?;
    tracing::info!(%bind, port = app.port(), "serving");
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    migrate_quietly(settings).await?;
    println!("migrations applied");
    Ok(())
}

async fn set_role(settings: &Settings, username: &str, role: Role) -> anyhow::Result<()> {
    let mut conn = connect_existing(settings).await?;
    let now = Clock::system().now();
    let user = hindsight::accounts::roles::change_role(
        &mut conn,
        hindsight::accounts::roles::RoleChanger::CommandLine,
        username,
        role,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    println!("{} is now {role}", user.username);
    Ok(())
}

async fn migrate_quietly(settings: &Settings) -> anyhow::Result<()> {
    db::ensure_database(&settings.database_url).await?;
    db::run_migrations(&settings.database_url).await
}

async fn connect(settings: &Settings) -> anyhow::Result<AsyncPgConnection> {
    migrate_quietly(settings).await?;
    Ok(AsyncPgConnection::establish(&settings.database_url).await?)
}

/// A connection for commands that work on data that must already exist: a missing database
/// is an error, never created (migrations still run, so an older schema is brought up).
async fn connect_existing(settings: &Settings) -> anyhow::Result<AsyncPgConnection> {
    db::require_database(&settings.database_url).await?;
    db::run_migrations(&settings.database_url).await?;
    Ok(AsyncPgConnection::establish(&settings.database_url).await?)
}

async fn import_article(
    settings: &Settings,
    file: &std::path::Path,
    author: Option<&str>,
) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
    let (front, body) = content::import::parse_article_file(&text)?;
    let input = content::import::validate(front, body)?;
    let mut conn = connect(settings).await?;
    let now = Clock::system().now();
    let author_id = content::import::author_id(&mut conn, author, now).await?;
    let slug = content::import::upsert_article(&mut conn, input, author_id, now).await?;
    println!("{slug}");
    Ok(())
}

async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = connect(settings).await?;
    let outcome = content::demo::seed_demo(&mut conn, Clock::system().now()).await?;
    if outcome.created_thread {
        println!(
            "created the demo article /api/v1/articles/{} and its thread",
            content::demo::DEMO_SLUG
        );
    } else {
        println!(
            "the demo article {} exists already; nothing to add",
            content::demo::DEMO_SLUG
        );
    }
    println!("demo accounts (username / password / role):");
    for user in content::demo::DEMO_USERS {
        println!(
            "  {:<16} {:<28} {}",
            user.username, user.password, user.role
        );
    }
    Ok(())
}

async fn seed_load(
    settings: &Settings,
    article: &str,
    comments: usize,
    users: usize,
    seed: u64,
) -> anyhow::Result<()> {
    let mut conn = connect_existing(settings).await?;
    let started = std::time::Instant::now();
    let outcome = content::load::seed_load(
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
    let mut conn = connect_existing(settings).await?;
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
    let mut conn = connect_existing(settings).await?;
    let article_id = hindsight::articles::queries::find_live_id(&mut conn, article)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no article with slug {article}"))?
        .id;
    // The page is two statements: which ids, then their rows.
    let ids =
        hindsight::comments::thread::first_page_ids(&mut conn, article_id, sort, shape).await?;
    println!(
        "{};",
        hindsight::comments::thread::tree_sql_literal(article_id, sort, shape)
    );
    println!("{};", hindsight::comments::thread::rows_sql_literal(&ids));
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
    let mut conn = connect(settings).await?;
    let started = std::time::Instant::now();
    let outcome = content::forecasts_load::seed_forecasts(
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
