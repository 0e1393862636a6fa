//! The `hindsight` command: serve (default), migrate, openapi, and the content and role
//! commands an operator needs. Benchmark seeding lives in the `hindsight-bench` binary.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hindsight::auth::Role;
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
    Serve {
        /// Seed the demo data first (idempotent, as `seed-demo`), so that `/demo/` shows the
        /// demo article with its thread right away.
        #[arg(long)]
        demo: bool,
    },
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
    /// Set a user's role (how the first admin is made).
    SetRole {
        /// The username (any case).
        username: String,
        /// reader, moderator or admin.
        role: Role,
    },
    /// Print a one-time password-reset link for a user (valid for an hour; works without SMTP).
    ResetPassword {
        /// The username (any case).
        username: String,
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
    let command = cli.command.unwrap_or(Command::Serve { demo: false });
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
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => migrate(&settings).await,
        Command::Openapi => Ok(()),
        Command::SetRole { username, role } => set_role(&settings, &username, role).await,
        Command::ImportArticle { file, author } => {
            import_article(&settings, &file, author.as_deref()).await
        }
        Command::SeedDemo => seed_demo(&settings).await,
        Command::ResetPassword { username } => reset_password(&settings, &username).await,
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

async fn serve(settings: Settings, demo: bool) -> anyhow::Result<()> {
    if demo {
        seed_demo(&settings).await?;
    }
    let bind = settings.bind.clone();
    let app = Application::build(settings, Clock::system()).await?;
    tracing::info!(%bind, port = app.port(), "serving");
    if demo {
        println!("the demo page: http://{bind}/demo/");
    }
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn migrate(settings: &Settings) -> anyhow::Result<()> {
    db::ensure_database(&settings.database_url).await?;
    db::run_migrations(&settings.database_url).await?;
    println!("migrations applied");
    Ok(())
}

async fn set_role(settings: &Settings, username: &str, role: Role) -> anyhow::Result<()> {
    let mut conn = db::connect_existing(&settings.database_url).await?;
    let now = Clock::system().now();
    let user = hindsight::accounts::roles::change_role(
        &mut conn,
        hindsight::accounts::roles::RoleChanger::CommandLine,
        username,
        role,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", hindsight::error::ApiError::from(e).detail()))?;
    println!("{} is now {role}", user.username);
    Ok(())
}

async fn reset_password(settings: &Settings, username: &str) -> anyhow::Result<()> {
    let mut conn = db::connect_existing(&settings.database_url).await?;
    let now = Clock::system().now();
    let link = hindsight::accounts::service::reset::link_for_username(
        &mut conn,
        &settings.mail.public_url,
        username,
        now,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{}", hindsight::error::ApiError::from(e).detail()))?
    .ok_or_else(|| anyhow::anyhow!("no live account is named {username}"))?;
    println!("{link}");
    Ok(())
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
    let mut conn = db::connect_migrated(&settings.database_url).await?;
    let now = Clock::system().now();
    let author_id = content::import::author_id(&mut conn, author, now).await?;
    let slug = content::import::upsert_article(&mut conn, input, author_id, now).await?;
    println!("{slug}");
    Ok(())
}

async fn seed_demo(settings: &Settings) -> anyhow::Result<()> {
    let mut conn = db::connect_migrated(&settings.database_url).await?;
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
