//! Liveness and readiness probes.

use std::sync::atomic::{AtomicBool, Ordering};

use poem::http::StatusCode;
use poem::web::Data;
use poem::{IntoResponse, Response, handler};

use super::state::AppState;
use crate::search::SearchIndex;

/// 200 while the process is up.
#[handler]
pub fn healthz() -> &'static str {
    "ok"
}

/// Whether this node has caught up enough to be sent traffic.
pub struct Readiness {
    /// The change feed's head when the node started: its search index must
    /// have applied at least this much, or a load balancer would send
    /// searches to a node that does not know the site yet.
    search_floor: i64,
    caught_up: AtomicBool,
}

impl Readiness {
    pub fn new(search_floor: i64) -> Readiness {
        Readiness {
            search_floor,
            caught_up: AtomicBool::new(false),
        }
    }

    /// True once the index reached the floor; stays true (a node that falls
    /// behind later is still serving correct content, only staler search).
    pub fn search_caught_up(&self, search: &SearchIndex) -> bool {
        if self.caught_up.load(Ordering::Relaxed) {
            return true;
        }
        let reached = search
            .applied_seq()
            .is_ok_and(|seq| seq >= self.search_floor);
        if reached {
            self.caught_up.store(true, Ordering::Relaxed);
        }
        reached
    }
}

/// 200 when the database answers and the search index has caught up with
/// the change feed as it stood at start; 503 otherwise.
#[handler]
pub async fn readyz(state: Data<&AppState>) -> Response {
    if let Err(e) = state.db.ping().await {
        tracing::warn!(error = %e, "readiness check failed");
        return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response();
    }
    if !state.readiness.search_caught_up(&state.search) {
        return (StatusCode::SERVICE_UNAVAILABLE, "search index catching up").into_response();
    }
    "ready".into_response()
}
