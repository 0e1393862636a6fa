//! `Application::build`: database, migrations, pool, then a bound server (port 0 in tests), so
//! that tests talk to a real server on a real socket.

use std::net::TcpListener;
use std::rc::Rc;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{scope, AppExt};

use crate::auth::password::Passwords;
use crate::auth::tokens::{load_or_create_secret, TokenKeys};
use crate::clock::Clock;
use crate::config::Settings;
use crate::db::{self, DbPool};
use crate::http::cors::{cors, CorsOrigins};
use crate::http::extract::{json_config_error, path_config_error, query_config_error};
use crate::http::fallback::{not_found_or_method_not_allowed, KnownRoutes};
use crate::http::health;
use crate::telemetry::{request_id_and_access_log, HindsightRootSpan};

/// What every handler can reach: pool, settings, clock.
pub struct AppState {
    /// The database pool.
    pub pool: DbPool,
    /// The settings the app was built with.
    pub settings: Settings,
    /// The source of "now".
    pub clock: Clock,
    /// Versions of the embedded migrations, for readiness.
    pub migration_versions: Vec<String>,
    /// JWT keys.
    pub tokens: TokenKeys,
    /// Password hashing, limited to one hash per core at a time.
    pub passwords: Passwords,
    /// Rate-limit buckets.
    pub limiter: crate::http::rate_limit::Limiter,
    /// Prometheus metrics.
    pub metrics: crate::metrics::Metrics,
    /// The live-event hub streams subscribe to.
    pub hub: crate::events::hub::Hub,
    /// Open streams per client IP and per reader.
    pub stream_limits: Arc<crate::events::limits::StreamLimits>,
    /// Anonymous page bodies by ETag (`http/caching`), shared by every worker.
    pub page_cache: crate::http::caching::PageCache,
}

impl AppState {
    /// The client's address, for per-IP limits.
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> String {
        crate::http::rate_limit::client_ip(req, &self.settings.trusted_proxies)
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

/// Every route of the service; used both to serve and to generate the OpenAPI document.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz)
        .service(health::readyz)
        .configure(crate::notifications::routes::unsubscribe::configure)
        .service(scope("/api/v1").configure(api_v1));
}

fn api_v1(cfg: &mut ServiceConfig) {
    cfg.configure(crate::accounts::routes::configure)
        .configure(crate::articles::routes::configure)
        .configure(crate::comments::routes::configure)
        .configure(crate::predictions::routes::configure)
        .configure(crate::moderation::routes::configure)
        .configure(crate::notifications::routes::configure)
        .configure(crate::mail::routes::configure)
        .configure(crate::events::routes::configure)
        .configure(crate::search::routes::configure);
}

/// A built, bound, not yet running service.
pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    passwords: Passwords,
    /// Background tasks (hot ranks, vote events, notification jobs, the hub's listener and
    /// heartbeat), aborted when the server stops.
    background: Vec<tokio::task::JoinHandle<()>>,
    hub: crate::events::hub::Hub,
    stop: Stopper,
}

/// Asks a running [`Application`] for the graceful shutdown SIGTERM starts (tests, embedding).
#[derive(Clone)]
pub struct Stopper(Arc<tokio::sync::Notify>);

impl Stopper {
    /// Starts the graceful shutdown: streams end, in-flight requests finish.
    pub fn stop(&self) {
        self.0.notify_one();
    }
}

/// How a shutdown was asked for.
enum StopRequest {
    /// SIGTERM or [`Stopper::stop`]: in-flight requests get the shutdown timeout.
    Graceful,
    /// SIGINT or SIGQUIT: connections are dropped at once (what actix does on them).
    Forced,
}

/// Waits for SIGTERM, SIGINT, SIGQUIT or the stopper. Signals are handled here rather than by
/// actix so that live streams are ended when a shutdown starts: a stream never finishes by
/// itself and would hold a graceful shutdown open for its whole timeout.
async fn stop_requested(stopper: Stopper) -> StopRequest {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut term), Ok(mut int), Ok(mut quit)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
        signal(SignalKind::quit()),
    ) else {
        stopper.0.notified().await;
        return StopRequest::Graceful;
    };
    tokio::select! {
        _ = term.recv() => StopRequest::Graceful,
        () = stopper.0.notified() => StopRequest::Graceful,
        _ = int.recv() => StopRequest::Forced,
        _ = quit.recv() => StopRequest::Forced,
    }
}

/// Recomputes the hot rank of recent comments every `interval` (none when zero).
fn spawn_hot_refresh(
    pool: DbPool,
    interval: std::time::Duration,
    clock: Clock,
) -> Option<tokio::task::JoinHandle<()>> {
    if interval.is_zero() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut ticker = tokio::time::interval(interval);
        ticker.tick().await;
        loop {
            ticker.tick().await;
            let Ok(mut conn) = pool.get().await else {
                continue;
            };
            match crate::comments::votes::refresh_hot(&mut conn, clock.now()).await {
                Ok(updated) => tracing::debug!(updated, "hot ranks refreshed"),
                Err(error) => tracing::warn!(%error, "refreshing hot ranks failed"),
            }
        }
    }))
}

impl Application {
    /// Creates the database if missing, migrates it, opens the pool and binds the listener.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        db::ensure_database(&settings.database_url).await?;
        db::run_migrations(&settings.database_url).await?;
        let metrics = crate::metrics::Metrics::default();
        let pool = db::build_pool(&settings, metrics.db_counters())?;
        {
            let mut conn = pool.get().await.context("connecting to set up search")?;
            crate::search::apply_language(&mut conn, &settings.search_language).await?;
        }
        let listener = TcpListener::bind(&settings.bind)
            .with_context(|| format!("binding {}", settings.bind))?;
        let port = listener.local_addr()?.port();
        let secret = match &settings.jwt_secret {
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => {
                let mut conn = pool
                    .get()
                    .await
                    .context("connecting to read the JWT secret")?;
                load_or_create_secret(&mut conn, clock.now()).await?
            }
        };
        let passwords = Passwords::new(cores());
        crate::auth::password::warm_up().await;
        let hub = crate::events::hub::Hub::new(settings.streams.buffer);
        let hub_tasks = crate::events::hub::listener::start(
            crate::events::hub::listener::ListenerConfig {
                database_url: settings.database_url.clone(),
                statement_timeout: settings.statement_timeout,
                poll: settings.streams.poll,
                heartbeat: settings.streams.heartbeat,
            },
            hub.clone(),
            clock.clone(),
        )
        .await
        .context("starting the live-event listener")?;
        let state = web::Data::new(AppState {
            pool: pool.clone(),
            migration_versions: db::embedded_migration_versions()?,
            tokens: TokenKeys::new(&secret, settings.access_token_ttl)?,
            passwords: passwords.clone(),
            limiter: crate::http::rate_limit::Limiter::new(
                settings.rate_limits.clone(),
                clock.clone(),
            ),
            metrics,
            hub: hub.clone(),
            stream_limits: crate::events::limits::StreamLimits::new(
                settings.streams.per_ip,
                settings.streams.per_user,
            ),
            page_cache: crate::http::caching::PageCache::new(settings.caching.cache_bytes),
            settings: settings.clone(),
            clock,
        });
        let document = crate::openapi::document();
        let known_routes = web::Data::new(KnownRoutes::from_openapi(&document));
        let yaml = web::Data::new(crate::openapi::OpenApiYaml(
            document
                .to_yaml()
                .map_err(|e| anyhow::anyhow!("rendering the OpenAPI document: {e}"))?,
        ));
        let origins = Arc::new(settings.cors_origins.clone());
        let metrics_on = settings.metrics;
        let mut background = Vec::new();
        background.extend(spawn_hot_refresh(
            pool.clone(),
            settings.hot_refresh,
            state.clock.clone(),
        ));
        background.push(crate::events::jobs::spawn_vote_events(pool.clone()));
        background.extend(hub_tasks);
        background.extend(crate::notifications::jobs::spawn(
            &pool,
            &settings,
            &state.clock,
        ));
        background.extend(crate::notifications::mail::spawn(&state));
        background.extend(crate::mail::worker::spawn(
            &pool,
            &settings.mail,
            &state.clock,
        ));
        let server = HttpServer::new(move || {
            let origins = CorsOrigins(Rc::new(origins.as_ref().clone()));
            App::new()
                .app_data(state.clone())
                .app_data(known_routes.clone())
                .app_data(web::JsonConfig::default().error_handler(json_config_error))
                .app_data(web::QueryConfig::default().error_handler(query_config_error))
                .app_data(web::PathConfig::default().error_handler(path_config_error))
                .wrap(TracingLogger::<HindsightRootSpan>::new())
                .wrap(from_fn(crate::http::security::security_headers))
                .wrap(from_fn(move |req, next| cors(origins.clone(), req, next)))
                .wrap(from_fn(request_id_and_access_log))
                .app_data(yaml.clone())
                .service(
                    utoipa_swagger_ui::SwaggerUi::new("/docs/{_:.*}")
                        .url("/api/v1/openapi.json", document.clone()),
                )
                .service(crate::openapi::serve_yaml)
                .configure(|cfg| {
                    if metrics_on {
                        cfg.service(crate::metrics::metrics);
                    }
                })
                .service(crate::openapi::docs_redirect)
                .configure(crate::widget::configure)
                .into_utoipa_app()
                .configure(routes)
                .default_service(web::to(not_found_or_method_not_allowed))
                .into_app()
        })
        .workers(settings.workers)
        .disable_signals()
        // A client that closed its side is gone: end its response (an open stream would
        // otherwise hold its slot and memory until a heartbeat's write failed).
        .h1_allow_half_closed(false)
        .shutdown_timeout(settings.shutdown_timeout.as_secs())
        .listen(listener)?
        .run();
        Ok(Self {
            port,
            server,
            pool,
            passwords,
            background,
            hub,
            stop: Stopper(Arc::new(tokio::sync::Notify::new())),
        })
    }

    /// A handle that starts the graceful shutdown, as SIGTERM does.
    pub fn stopper(&self) -> Stopper {
        self.stop.clone()
    }

    /// The bound port (useful when binding port 0).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool, so tests can exhaust it or inspect the database.
    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    /// The password service, so tests can see that unknown logins still cost a hash.
    pub fn passwords(&self) -> &Passwords {
        &self.passwords
    }

    /// Serves until SIGTERM or [`Stopper::stop`] (in-flight requests get the shutdown
    /// timeout; live streams end at once so their clients reconnect elsewhere) or SIGINT /
    /// SIGQUIT (connections dropped), then closes the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Self {
            server,
            pool,
            background,
            hub,
            stop,
            ..
        } = self;
        let handle = server.handle();
        let mut server = server;
        let result = tokio::select! {
            result = &mut server => result,
            request = stop_requested(stop) => {
                let graceful = matches!(request, StopRequest::Graceful);
                tracing::info!(graceful, "shutting down");
                // The command is queued at once; the server future carries it out below.
                drop(handle.stop(graceful));
                hub.close();
                server.await
            }
        };
        hub.close();
        for task in background {
            task.abort();
        }
        pool.close();
        result
    }
}
