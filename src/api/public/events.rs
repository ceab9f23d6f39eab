//! `GET /api/events`: Server-Sent Events of public changes, resumable with
//! `Last-Event-ID`, for pages that refresh live.

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use poem::web::Data;
use poem::web::sse::{Event, SSE};
use poem::{IntoResponse, Request, Response, handler};
use tokio::sync::broadcast::error::RecvError;

use super::{access, entry_type};
use crate::api::codes::Code;
use crate::api::problem::ApiError;
use crate::api::query_pairs;
use crate::api::state::AppState;
use crate::content::events::{PublicEvent, since};
use crate::model::FieldError;

/// A comment line this often keeps proxies from closing a quiet stream.
const HEARTBEAT: Duration = Duration::from_secs(15);
/// Most changes a resumed stream reads back; a client further behind
/// should sync (`/api/sync`) instead.
const MAX_REPLAY: i64 = 10_000;

fn sse(event: &PublicEvent) -> Event {
    Event::message(event.data())
        .event_type(event.kind)
        .id(event.seq.to_string())
}

fn parse(
    req: &Request,
    state: &AppState,
) -> Result<(Option<String>, Option<i64>), Vec<FieldError>> {
    let mut only = None;
    let mut errors = Vec::new();
    for (k, v) in query_pairs(req) {
        match k.as_str() {
            "type" => match entry_type(state, &v) {
                Ok(t) => only = Some(t),
                Err(e) => errors.push(e),
            },
            _ => errors.push(FieldError::new(
                k.clone(),
                "unknown_parameter",
                format!("`{k}` is not a query parameter here; use type"),
            )),
        }
    }
    let last = match req.headers().get("last-event-id").map(|h| h.to_str()) {
        None => None,
        Some(Ok(text)) if text.trim().parse::<i64>().is_ok_and(|n| n >= 0) => {
            text.trim().parse().ok()
        }
        Some(_) => {
            errors.push(FieldError::new(
                "Last-Event-ID",
                "integer",
                "`Last-Event-ID` must be the `id` of an event this server sent",
            ));
            None
        }
    };
    if errors.is_empty() {
        Ok((only, last))
    } else {
        Err(errors)
    }
}

/// `GET /api/events`. A content type named `events` keeps its list route
/// here (types may have that name); the stream is then at
/// `/api/sync/events`, which no type can shadow.
#[handler]
pub async fn events(req: &Request, state: Data<&AppState>) -> Response {
    if entry_type(&state, "events").is_ok() {
        return super::list_of(req, "events".into(), &state).await;
    }
    stream_or_problem(req, &state).await
}

/// `GET /api/sync/events`: the same stream.
#[handler]
pub async fn sync_events(req: &Request, state: Data<&AppState>) -> Response {
    stream_or_problem(req, &state).await
}

async fn stream_or_problem(req: &Request, state: &AppState) -> Response {
    match open(req, state).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn open(req: &Request, state: &AppState) -> Result<Response, ApiError> {
    access(req, state).await?;
    let (only, last) = parse(req, state).map_err(ApiError::invalid_query)?;
    let Ok(permit) = state.events.slots.clone().try_acquire_owned() else {
        let mut e = ApiError::new(
            Code::Unavailable,
            "as many event streams are open as the server allows (QUIRE_EVENTS_MAX_STREAMS); try again later",
        );
        e.retry_after = Some(5);
        return Err(e);
    };
    // Subscribed before reading back, so nothing falls between the two.
    let rx = state.events.subscribe();
    let (missed, upto) = match last {
        Some(seq) => since(&state.db, seq, MAX_REPLAY).await?,
        None => (Vec::new(), 0),
    };
    let wanted = move |e: &PublicEvent| only.as_ref().is_none_or(|t| *t == e.content_type);
    let first: Vec<Event> = missed.iter().filter(|e| wanted(e)).map(sse).collect();
    let closing = state.events.closing.clone();
    let live = stream::unfold((rx, permit), move |(mut rx, permit)| {
        let closing = closing.clone();
        let wanted = wanted.clone();
        async move {
            loop {
                let next = tokio::select! {
                    _ = closing.cancelled() => return None,
                    next = rx.recv() => next,
                };
                match next {
                    Ok(e) if e.seq > upto && wanted(&e) => return Some((sse(&e), (rx, permit))),
                    Ok(_) => continue,
                    // Too far behind, or shutting down: the client resumes.
                    Err(RecvError::Lagged(_) | RecvError::Closed) => return None,
                }
            }
        }
    });
    let stream = stream::iter(first).chain(live);
    Ok(SSE::new(stream).keep_alive(HEARTBEAT).into_response())
}
