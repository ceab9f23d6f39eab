//! Builds the Poem app (routes, middleware, shared state) and runs it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use poem::endpoint::BoxEndpoint;
use poem::http::{Method, header};
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::middleware::{Cors, SetHeader};
use poem::{EndpointExt, Route, Server, get};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api::body_limit::BodyLimit;
use crate::api::nul_guard::RefuseNul;
use crate::api::observe::Observe;
use crate::api::state::AppState;
use crate::api::{admin, admin_ui, health, media, problem, public};
use crate::bootstrap;
use crate::config::{Config, CorsOrigins};
use crate::search::SearchIndex;
use crate::store::Db;
use crate::store::wake::Follower;

/// How often a node looks at the change feed for writes made elsewhere.
const FOLLOW_INTERVAL: Duration = Duration::from_secs(1);

/// Browsers may call the public API from the configured origins; it takes
/// no cookies, so this exposes nothing a server-side fetch could not read.
fn cors(origins: &CorsOrigins) -> Cors {
    let cors = Cors::new()
        .allow_methods([Method::GET, Method::HEAD, Method::OPTIONS])
        .allow_headers(["authorization", "if-none-match", "range"])
        .expose_headers(["etag", "content-range", "accept-ranges"])
        .max_age(86400);
    match origins {
        CorsOrigins::Any => cors,
        CorsOrigins::List(list) => cors.allow_origins(list.iter().map(String::as_str)),
    }
}

/// Admin responses are never cached by browsers or proxies, framed, or
/// sniffed into another type.
fn admin_headers() -> SetHeader {
    SetHeader::new()
        .overriding(header::CACHE_CONTROL, "no-store")
        .overriding(header::X_FRAME_OPTIONS, "DENY")
        .overriding(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        )
}

/// Every error that reaches the edge of a surface becomes a problem document
/// there, inside that surface's own headers (CORS, no-store).
async fn problem_response(err: poem::Error) -> poem::Response {
    problem::from_poem_error(err)
}

/// All routes of the three surfaces.
pub fn routes(state: AppState) -> BoxEndpoint<'static> {
    let admin_api = admin::service();
    let spec_json = admin::spec_json_for(&state.config.locales);
    let spec = {
        let body = spec_json.clone();
        poem::endpoint::make_sync(move |_| {
            poem::Response::builder()
                .content_type("application/json; charset=utf-8")
                .body(body.clone())
        })
    };
    let docs = {
        let page = public::docs::swagger_page(&spec_json);
        poem::endpoint::make_sync(move |_| poem::web::Html(page.clone()))
    };
    let max_body = state.config.max_body_bytes;
    let public_api = Route::new()
        .at("/search", get(public::search))
        .at("/sync", get(public::sync::sync))
        .at("/events", get(public::events::events))
        .at("/sync/events", get(public::events::sync_events))
        .at("/openapi.json", get(public::docs::openapi))
        .at("/types.ts", get(public::docs::types_ts))
        .at("/docs", get(public::docs::page))
        .at("/:content_type", get(public::list))
        .at("/:content_type/:id", get(public::get))
        .catch_all_error(problem_response)
        .with(cors(&state.config.cors_origins));
    let media = Route::new()
        .at("/:id/:filename", get(media::serve).head(media::serve))
        .catch_all_error(problem_response)
        .with(cors(&state.config.cors_origins));
    Route::new()
        .at("/healthz", get(health::healthz))
        .at("/readyz", get(health::readyz))
        .nest("/api", public_api)
        .nest("/media", media)
        .at(
            "/admin",
            get(poem::endpoint::make_sync(|_| {
                poem::web::Redirect::permanent("/admin/")
            })),
        )
        .at("/admin/", get(admin_ui::app))
        .at("/admin/*path", get(admin_ui::app))
        .at("/admin/api/openapi.json", spec.with(admin_headers()))
        .at(
            "/admin/api/docs",
            docs.with(SetHeader::new().overriding(header::X_FRAME_OPTIONS, "DENY")),
        )
        .nest(
            "/admin/api",
            admin_api
                .with(admin::strict_query::StrictQuery::from_spec(&spec_json))
                .with(BodyLimit(max_body))
                .catch_all_error(problem_response)
                .with(admin_headers()),
        )
        .with(RefuseNul)
        .catch_all_error(problem_response)
        .with(
            SetHeader::new()
                .overriding(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
                .overriding(header::REFERRER_POLICY, "no-referrer"),
        )
        .with(public::hits::CacheHits(state.clone()))
        .with(Observe(state.metrics.clone()))
        .data(state)
        .boxed()
}

/// `GET /metrics` for Prometheus, on its own listener.
fn metrics_routes(state: AppState) -> BoxEndpoint<'static> {
    Route::new()
        .at(
            "/metrics",
            get(poem::endpoint::make(|req: poem::Request| async move {
                let Some(state) = req.data::<AppState>() else {
                    return poem::Response::builder()
                        .status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
                        .finish();
                };
                let text = state.metrics.render(state.metrics_snapshot().await);
                poem::Response::builder()
                    .content_type(crate::metrics::CONTENT_TYPE)
                    .body(text)
            })),
        )
        .data(state)
        .boxed()
}

/// A running server: where it listens, and how to stop it.
pub struct Running {
    pub addr: SocketAddr,
    /// Where `/metrics` is served, when `QUIRE_METRICS_BIND` asks for it.
    pub metrics_addr: Option<SocketAddr>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.await.unwrap_or(Ok(()))
    }

    /// Waits until the server stops by itself (on SIGINT or SIGTERM when
    /// started with [`serve`]).
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.unwrap_or(Ok(()))
    }
}

/// Opens the database, migrates, applies `content-types/`, creates the
/// first admin when asked, and starts serving. Returns once listening.
pub async fn start(config: Config) -> anyhow::Result<Running> {
    start_with_signal(config, std::future::pending::<()>()).await
}

/// Like [`start`], but also stops on SIGINT or SIGTERM.
pub async fn serve(config: Config) -> anyhow::Result<Running> {
    start_with_signal(config, shutdown_signal()).await
}

/// How long in-flight requests get to finish once a stop is asked for.
const DRAIN_WAIT: Duration = Duration::from_secs(10);
/// How often public change events are read from the feed.
const EVENTS_INTERVAL: Duration = Duration::from_millis(200);

/// The least time between two rounds of a woken follower: a stream of
/// writes is followed in batches, not one round per write, on every node.
const WAKE_GAP: Duration = Duration::from_millis(25);
/// The same for the search indexer, whose every round is an index commit.
const INDEX_WAKE_GAP: Duration = Duration::from_millis(40);

/// How long the search index gets to take in the last changes at a stop.
const SEARCH_FLUSH_WAIT: Duration = Duration::from_secs(5);

async fn start_with_signal(
    config: Config,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<Running> {
    let db = prepare(&config).await?;
    let media = crate::media::backend::open(&config.media_url)?;
    if let Some(root) = &config.search_dir {
        // A new node starts from the shared snapshot, when there is one,
        // and replays only the changes after it.
        match crate::search::snapshot::restore(root, media.as_ref()).await {
            Ok(Some(seq)) => tracing::info!(seq, "search: restored the index snapshot"),
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "search: cannot restore the index snapshot; indexing from the change feed")
            }
        }
    }
    let search_dir = config.search_dir.clone();
    let search =
        tokio::task::spawn_blocking(move || SearchIndex::open(search_dir.as_deref())).await??;
    let search = Arc::new(search);
    catch_up_before_listening(&db, &search).await;
    let state = AppState::new(db.clone(), config.clone(), search.clone(), media).await?;
    let acceptor = crate::connections::Bounded::new(
        TcpListener::bind(config.bind).into_acceptor().await?,
        config.max_connections,
        Duration::from_secs(config.idle_timeout_secs),
    );
    let addr = acceptor
        .local_addr()
        .first()
        .and_then(|a| a.as_socket_addr().copied())
        .unwrap_or(config.bind);
    tracing::info!(%addr, database = ?config.database_kind, "quire is listening");
    let wake = state.wake.clone();
    let listener = tokio::spawn(crate::store::wake::listen(db.clone(), wake.clone()));
    let follower = tokio::spawn(follow_changes(state.clone()));
    let events = state.events.clone();
    let event_follower = tokio::spawn(
        events
            .clone()
            .follow(db.clone(), wake.follower(EVENTS_INTERVAL, WAKE_GAP)),
    );
    // An attempt cut off at shutdown is retried once its claim expires.
    // Not woken: each round writes (the outbox position, the claims), and
    // a receiver is served well enough within a poll.
    let webhooks = tokio::spawn(
        state
            .webhooks
            .clone()
            .run(Follower::polling(config.webhooks.poll)),
    );
    let scheduler = tokio::spawn(state.content.clone().run_schedule(config.schedule_poll));
    let indexer = tokio::spawn(crate::search::indexer::follow(
        db.clone(),
        search.clone(),
        wake.follower(
            Duration::from_millis(config.search_interval_ms),
            INDEX_WAKE_GAP,
        ),
    ));
    let metrics = match config.metrics_bind {
        Some(bind) => {
            let acceptor = TcpListener::bind(bind).into_acceptor().await?;
            let addr = acceptor
                .local_addr()
                .first()
                .and_then(|a| a.as_socket_addr().copied())
                .unwrap_or(bind);
            tracing::info!(%addr, "metrics at /metrics");
            let server = Server::new_with_acceptor(acceptor).run(metrics_routes(state.clone()));
            Some((addr, tokio::spawn(server)))
        }
        None => None,
    };
    let metrics_addr = metrics.as_ref().map(|(addr, _)| *addr);
    let app = routes(state);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let until = async move {
            tokio::select! {
                _ = stopped => {}
                _ = signal => {}
            }
            // Open event streams end, so the drain does not wait on them.
            events.closing.cancel();
        };
        let result = crate::serve::serve(acceptor, app, until, DRAIN_WAIT).await;
        listener.abort();
        follower.abort();
        event_follower.abort();
        webhooks.abort();
        scheduler.abort();
        indexer.abort();
        // What was written last reaches the index now, not at the next start.
        let flushed = tokio::time::timeout(
            SEARCH_FLUSH_WAIT,
            crate::search::indexer::catch_up(&db, &search),
        )
        .await;
        match flushed {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "search: last changes not indexed; the next start applies them")
            }
            Err(_) => tracing::warn!(
                "search: indexing at shutdown took too long; the next start finishes it"
            ),
        }
        if let Some((_, server)) = metrics {
            server.abort();
        }
        db.close().await;
        result
    });
    Ok(Running {
        addr,
        metrics_addr,
        stop: Some(stop),
        task,
    })
}

/// At most this many changes behind, a node's index takes them in before
/// the node listens (a restart, normally a few changes): it is ready as soon
/// as it answers. Further behind (a new node), it listens at once and
/// `/readyz` answers 503 until the indexer has caught up.
const CATCH_UP_BEFORE_LISTENING: i64 = 1000;

async fn catch_up_before_listening(db: &Db, search: &Arc<SearchIndex>) {
    let behind = match (
        crate::store::changes::last_seq(db).await,
        search.applied_seq(),
    ) {
        (Ok(head), Ok(applied)) => head - applied,
        _ => return,
    };
    if (1..=CATCH_UP_BEFORE_LISTENING).contains(&behind)
        && let Err(e) = crate::search::indexer::catch_up(db, search).await
    {
        tracing::warn!(error = %e, "search: cannot index the last changes; the indexer retries");
    }
}

/// Everything `serve` does before it listens; also what `quire migrate` runs
/// (without the content types and first admin).
pub async fn prepare(config: &Config) -> anyhow::Result<Db> {
    std::fs::create_dir_all(&config.data_dir).map_err(|e| {
        anyhow::anyhow!(
            "cannot create the data dir {}: {e}",
            config.data_dir.display()
        )
    })?;
    let db = Db::connect(config).await?;
    let lock = db.start_lock().await?;
    db.migrate().await?;
    if let Some(dir) = &config.content_types {
        bootstrap::apply_content_types(&db, dir).await?;
    }
    bootstrap::first_admin(&db, config).await?;
    bootstrap::field_indexes(&db).await?;
    lock.release().await?;
    Ok(db)
}

/// Media objects without a record are removed once they are this old: an
/// upload still writing its record is never that slow.
pub const ORPHAN_MIN_AGE: Duration = Duration::from_secs(3600);

/// How often this node tries for the clean-up lease.
const CLEANUP_EVERY: Duration = Duration::from_secs(3600);
/// How long a clean-up lease lasts: past the next try, so the holder
/// renews it and keeps the job; a holder that died frees it by then.
const CLEANUP_LEASE: Duration = Duration::from_secs(5400);

async fn follow_changes(state: AppState) {
    let mut rounds = state.wake.follower(FOLLOW_INTERVAL, WAKE_GAP);
    let node = uuid::Uuid::now_v7().to_string();
    let mut next_cleanup = std::time::Instant::now();
    loop {
        rounds.next_round().await;
        if let Err(e) = state.follow_changes().await {
            tracing::warn!(error = %e, "cannot read the change feed");
        }
        if std::time::Instant::now() >= next_cleanup {
            next_cleanup += CLEANUP_EVERY;
            let now = crate::clock::now();
            let until = now + i64::try_from(CLEANUP_LEASE.as_micros()).unwrap_or(i64::MAX);
            match crate::store::leases::claim(&state.db, "cleanup", &node, now, until).await {
                Ok(true) => clean_up(&state).await,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "cannot claim the clean-up lease"),
            }
        }
    }
}

/// Expired sessions and preview links, and media objects no record names:
/// one node at a time does it, the one holding the lease.
async fn clean_up(state: &AppState) {
    if let Err(e) = crate::store::users::purge_expired_sessions(&state.db).await {
        tracing::warn!(error = %e, "cannot purge expired sessions");
    }
    if let Err(e) = crate::store::tokens::purge_expired_links(&state.db).await {
        tracing::warn!(error = %e, "cannot purge expired preview links");
    }
    // Listing a bucket can take a while; the feed must not wait on it.
    let (media, db) = (state.media.clone(), state.db.clone());
    let folder = crate::media::backend::folder_of(&state.config.media_url);
    tokio::spawn(async move {
        let swept = crate::media::sweep::orphans(media.as_ref(), &db, ORPHAN_MIN_AGE, folder).await;
        if let Err(e) = swept {
            tracing::warn!(error = %e, "cannot sweep orphaned media");
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
    tracing::info!("shutting down");
}
