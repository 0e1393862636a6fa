//! The `hindsight` command: serve (default), migrate, openapi.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hindsight::auth::Role;
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
    /// Set a user's role (how the first admin is made).
    SetRole {
        /// The username (any case).
        username: String,
        /// reader, moderator or admin.
        role: Role,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
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
    migrate_quietly(settings).await?;
    let pool = db::build_pool(settings)?;
    let mut conn = pool.get().await?;
    let user = hindsight::accounts::queries::set_role(&mut conn, username, role.as_str())
        .await?
        .ok_or_else(|| anyhow::anyhow!("no user named {username}"))?;
    println!("{} is now {role}", user.username);
    Ok(())
}

async fn migrate_quietly(settings: &Settings) -> anyhow::Result<()> {
    db::ensure_database(&settings.database_url).await?;
    db::run_migrations(&settings.database_url).await
}
