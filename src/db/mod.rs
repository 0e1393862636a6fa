//! The database layer: the deadpool pool (with timeouts, so an exhausted pool answers 503
//! instead of hanging), creating the database when it is missing, and embedded migrations run
//! under an advisory lock so that several instances starting at once do not race.

use std::time::Duration;

use anyhow::Context;
use diesel::migration::MigrationSource;
use diesel::sql_types::{Array, BigInt, Text};
use diesel::QueryableByName;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl, SimpleAsyncConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Settings;

/// The schema Diesel knows about (what `diesel print-schema` writes).
#[rustfmt::skip]
pub mod schema;

/// What a database error means (lost connection, timeout, constraint, retryable), in one place.
pub mod failure;
pub mod versions;

/// Statements and checkouts counted for `/metrics`.
pub mod counters;

/// Every migration under `migrations/`, compiled into the binary.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// The replaceable schema `r`: every SQL function, dropped and created again by each migrate
/// run, so that changing a function is an edit of that file rather than a new migration.
pub const REPLACEABLE_SCHEMA: &str = include_str!("replaceable.sql");

/// Key of the advisory lock held while migrating ("hindsig" in ASCII).
const MIGRATION_LOCK_KEY: i64 = 0x68_69_6e_64_73_69_67;

/// The connection pool shared by all workers.
pub type DbPool = diesel_async::pooled_connection::deadpool::Pool<AsyncPgConnection>;

/// A pooled connection.
pub type DbConn = diesel_async::pooled_connection::deadpool::Object<AsyncPgConnection>;

/// Why a connection could not be handed out (timeout, or the database refused).
pub type PoolError = diesel_async::pooled_connection::deadpool::PoolError;

/// Builds the pool; connections are opened lazily, each with `statement_timeout` and
/// `application_name` set once, and with prepared statements always on their generic plan
/// (planned once per connection; PostgreSQL's default re-plans statements whose generic plan
/// looks costlier, ~2–5 ms per request for the thread queries) and JIT off (it compiled those
/// generic plans on every execution). Recycling is `Fast` (no ping per checkout): broken connections
/// are still detected and dropped, and a request that meets a dead one answers 503.
/// Every statement and checkout is counted in `counters`.
pub fn build_pool(
    settings: &Settings,
    counters: &std::sync::Arc<counters::DbCounters>,
) -> anyhow::Result<DbPool> {
    let statement_timeout_ms = settings.statement_timeout.as_millis();
    let for_connections = counters.clone();
    let mut config = ManagerConfig::<AsyncPgConnection>::default();
    config.recycling_method = RecyclingMethod::Fast;
    config.custom_setup = Box::new(move |url| {
        let counter = counters::StatementCounter(for_connections.clone());
        Box::pin(async move {
            let mut conn = AsyncPgConnection::establish(url).await?;
            conn.set_instrumentation(counter);
            conn.batch_execute(&format!(
                "SET statement_timeout = {statement_timeout_ms}; SET application_name = 'hindsight'; \
                 SET plan_cache_mode = force_generic_plan; SET jit = off"
            ))
            .await
            .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        })
    });
    let manager = AsyncDieselConnectionManager::new_with_config(&settings.database_url, config);
    let timeout = Some(settings.pool_timeout);
    let (created, recycled) = (counters.clone(), counters.clone());
    diesel_async::pooled_connection::deadpool::Pool::builder(manager)
        .post_create(deadpool::managed::Hook::sync_fn(move |_, _| {
            created.count_checkout();
            Ok(())
        }))
        .post_recycle(deadpool::managed::Hook::sync_fn(move |_, _| {
            recycled.count_checkout();
            Ok(())
        }))
        .max_size(settings.pool_size)
        .wait_timeout(timeout)
        .create_timeout(timeout)
        .recycle_timeout(timeout)
        .runtime(deadpool::Runtime::Tokio1)
        .build()
        .context("building the database pool")
}

/// The URL with its password hidden, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Splits a URL into (everything before the database name, the name, the query suffix).
fn split_database(url: &str) -> Option<(&str, &str, &str)> {
    let authority_start = url.find("://")? + 3;
    let slash = authority_start + url[authority_start..].find('/')?;
    let rest = &url[slash + 1..];
    let (name, query) = match rest.find('?') {
        Some(q) => (&rest[..q], &rest[q..]),
        None => (rest, ""),
    };
    Some((&url[..slash], name, query))
}

/// The name of the database a URL points at.
pub fn database_name(url: &str) -> Option<String> {
    split_database(url)
        .map(|(_, name, _)| name.to_owned())
        .filter(|n| !n.is_empty())
}

/// The same server and credentials, another database.
pub fn with_database(url: &str, database: &str) -> Option<String> {
    split_database(url).map(|(base, _, query)| format!("{base}/{database}{query}"))
}

/// Quotes an SQL identifier (database names in `CREATE DATABASE`).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    exists: bool,
}

/// Why the database of a URL could not be opened: it is missing (`Missing`, with the
/// maintenance connection that found out), or it exists and refused us.
enum Unreachable {
    Missing {
        name: String,
        maintenance: Box<AsyncPgConnection>,
    },
    Refused(anyhow::Error),
}

/// Tries the database of `url`; when that fails, asks the server's `postgres` database
/// whether it exists. Errors name what was tried and how to fix it, in one line.
async fn open_or_diagnose(url: &str) -> anyhow::Result<Option<Unreachable>> {
    let first_error = match AsyncPgConnection::establish(url).await {
        Ok(_) => return Ok(None),
        Err(e) => e,
    };
    let name = database_name(url).context("DATABASE_URL names no database")?;
    let maintenance_url = with_database(url, "postgres").context("DATABASE_URL is malformed")?;
    let mut conn = AsyncPgConnection::establish(&maintenance_url)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "cannot connect to PostgreSQL at {} ({}): start PostgreSQL (e.g. `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`) or set DATABASE_URL",
                redact_url(url),
                e.to_string().trim()
            )
        })?;
    let exists =
        diesel::sql_query("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS exists")
            .bind::<Text, _>(&name)
            .get_result::<Exists>(&mut conn)
            .await?
            .exists;
    Ok(Some(if exists {
        Unreachable::Refused(anyhow::anyhow!(
            "cannot connect to database {name} at {}: {}",
            redact_url(url),
            first_error.to_string().trim()
        ))
    } else {
        Unreachable::Missing {
            name,
            maintenance: Box::new(conn),
        }
    }))
}

/// Makes sure the database of `url` exists, creating it through the server's `postgres`
/// database when it does not. Fails with one line saying what was tried and how to fix it.
pub async fn ensure_database(url: &str) -> anyhow::Result<()> {
    let (name, mut conn) = match open_or_diagnose(url).await? {
        None => return Ok(()),
        Some(Unreachable::Refused(error)) => return Err(error),
        Some(Unreachable::Missing { name, maintenance }) => (name, maintenance),
    };
    tracing::info!(database = %name, "creating the missing database");
    match conn
        .batch_execute(&format!("CREATE DATABASE {}", quote_ident(&name)))
        .await
    {
        Ok(()) => Ok(()),
        // Another instance created it between our check and our CREATE.
        Err(e) if e.to_string().contains("already exists") => Ok(()),
        Err(e) => Err(e).with_context(|| format!("creating database {name}")),
    }
}

/// Refuses, with one line saying what to do, when the database `url` names does not exist:
/// commands that work on existing data (`set-role`, `seed-load`, the bench helpers) must not
/// create and migrate an empty database and then report that nothing was found.
pub async fn require_database(url: &str) -> anyhow::Result<()> {
    match open_or_diagnose(url).await? {
        None => Ok(()),
        Some(Unreachable::Refused(error)) => Err(error),
        Some(Unreachable::Missing { name, .. }) => anyhow::bail!(
            "database {name} does not exist at {}: check DATABASE_URL, or create it with `hindsight migrate` (or by starting the service)",
            redact_url(url)
        ),
    }
}

/// Applies pending migrations and then the replaceable schema on a blocking thread, holding
/// the migration advisory lock.
pub async fn run_migrations(url: &str) -> anyhow::Result<()> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || migrate_blocking(&url))
        .await
        .context("the migration task panicked")?
}

fn migrate_blocking(url: &str) -> anyhow::Result<()> {
    use diesel::connection::SimpleConnection;
    let mut conn =
        <AsyncConnectionWrapper<AsyncPgConnection> as diesel::Connection>::establish(url)
            .with_context(|| format!("connecting to {} to migrate", redact_url(url)))?;
    SimpleConnection::batch_execute(
        &mut conn,
        &format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"),
    )?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.len())
        .map_err(|e| anyhow::anyhow!("applying migrations: {e}"))
        .and_then(|applied| {
            apply_replaceable_schema(&mut conn)?;
            Ok(applied)
        });
    SimpleConnection::batch_execute(
        &mut conn,
        &format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"),
    )?;
    let applied = applied?;
    if applied > 0 {
        tracing::info!(applied, "migrations applied");
    }
    Ok(())
}

/// Re-creates schema `r` in one transaction: concurrent callers see either the old functions
/// or the new ones, never none.
fn apply_replaceable_schema(
    conn: &mut AsyncConnectionWrapper<AsyncPgConnection>,
) -> anyhow::Result<()> {
    use diesel::connection::SimpleConnection;
    SimpleConnection::batch_execute(conn, &format!("BEGIN;\n{REPLACEABLE_SCHEMA}\nCOMMIT;"))
        .context("applying the replaceable schema (src/db/replaceable.sql)")
}

/// A connection for commands that create what they need: the database is created when
/// missing and migrated first.
pub async fn connect_migrated(url: &str) -> anyhow::Result<AsyncPgConnection> {
    ensure_database(url).await?;
    run_migrations(url).await?;
    Ok(AsyncPgConnection::establish(url).await?)
}

/// A connection for commands that work on data that must already exist: a missing database
/// is an error, never created (migrations still run, so an older schema is brought up).
pub async fn connect_existing(url: &str) -> anyhow::Result<AsyncPgConnection> {
    require_database(url).await?;
    run_migrations(url).await?;
    Ok(AsyncPgConnection::establish(url).await?)
}

/// The versions of every embedded migration, for the readiness check.
pub fn embedded_migration_versions() -> anyhow::Result<Vec<String>> {
    let migrations = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS)
        .map_err(|e| anyhow::anyhow!("reading embedded migrations: {e}"))?;
    Ok(migrations
        .iter()
        .map(|m| m.name().version().to_string())
        .collect())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// True when every embedded migration has been applied to the database behind `conn`.
pub async fn migrations_current(
    conn: &mut AsyncPgConnection,
    versions: &[String],
) -> diesel::QueryResult<bool> {
    let applied = diesel::sql_query(
        "SELECT count(*) AS count FROM __diesel_schema_migrations WHERE version = ANY($1)",
    )
    .bind::<Array<Text>, _>(versions)
    .get_result::<Count>(conn)
    .await?
    .count;
    Ok(usize::try_from(applied).unwrap_or(0) == versions.len())
}

/// Raw SQL that is safe to keep as a prepared statement: its text comes from a fixed set of
/// fragments and every value is a bind parameter. Diesel never caches `sql_query` (it cannot
/// know that), which costs a parse, a plan and an extra round trip on every request; the
/// thread queries plan in ~2 ms, more than they take to run.
pub struct Cached<Q>(Q);

/// Wraps a raw query so its prepared statement is cached per connection.
pub fn cached<Q>(query: Q) -> Cached<Q> {
    Cached(query)
}

impl<Q: diesel::query_builder::QueryFragment<diesel::pg::Pg>>
    diesel::query_builder::QueryFragment<diesel::pg::Pg> for Cached<Q>
{
    fn walk_ast<'b>(
        &'b self,
        pass: diesel::query_builder::AstPass<'_, 'b, diesel::pg::Pg>,
    ) -> diesel::QueryResult<()> {
        self.0.walk_ast(pass)
    }

    fn is_safe_to_cache_prepared(&self, _: &diesel::pg::Pg) -> diesel::QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> diesel::query_builder::QueryId for Cached<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: diesel::query_builder::Query> diesel::query_builder::Query for Cached<Q> {
    type SqlType = Q::SqlType;
}

/// Waits at most `limit` for a pooled connection (used by readiness, which must answer fast).
pub async fn get_conn(pool: &DbPool, limit: Duration) -> Result<DbConn, PoolError> {
    let timeouts = deadpool::managed::Timeouts {
        wait: Some(limit),
        create: Some(limit),
        recycle: Some(limit),
    };
    pool.timeout_get(&timeouts).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_around_the_database_name() {
        let url = "postgres://u:pw@host:5432/app?sslmode=disable";
        assert_eq!(database_name(url).as_deref(), Some("app"));
        assert_eq!(
            with_database(url, "postgres").as_deref(),
            Some("postgres://u:pw@host:5432/postgres?sslmode=disable")
        );
        assert_eq!(
            redact_url(url),
            "postgres://u:***@host:5432/app?sslmode=disable"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
