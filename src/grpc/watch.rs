//! `SyncService.WatchEvents`: the event bus as a server stream, in publication order,
//! optionally filtered by kind; it ends when the service stops.
use super::convert;
use super::pb;
use crate::events::{EventBus, SyncEvent};
use futures::{Stream, StreamExt};
use std::collections::HashSet;
use std::pin::Pin;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use tonic::Status;

pub type EventStream = Pin<Box<dyn Stream<Item = Result<pb::Event, Status>> + Send + 'static>>;

/// Checks the kinds asked for; an empty list means every kind.
pub fn parse_kinds(kinds: &[String]) -> Result<Arc<HashSet<String>>, Status> {
    for k in kinds {
        if !SyncEvent::KINDS.contains(&k.as_str()) {
            return Err(Status::invalid_argument(format!(
                "unknown event kind {k:?}; use any of: {}",
                SyncEvent::KINDS.join(", ")
            )));
        }
    }
    Ok(Arc::new(kinds.iter().cloned().collect()))
}

/// Subscribes now (so nothing published after the call is missed) and streams from there.
pub fn stream(bus: &EventBus, kinds: Arc<HashSet<String>>, stop: CancellationToken) -> EventStream {
    let rx = bus.subscribe();
    let events = futures::stream::unfold(Some(rx), move |rx| {
        let kinds = kinds.clone();
        async move {
            let mut rx = rx?;
            loop {
                match rx.recv().await {
                    Ok(e) if kinds.is_empty() || kinds.contains(e.event.kind()) => {
                        return Some((Ok(convert::event(e)), Some(rx)));
                    }
                    Ok(_) => continue,
                    Err(RecvError::Lagged(n)) => {
                        let msg = format!("this watcher fell {n} events behind and was disconnected; reconnect");
                        return Some((Err(Status::resource_exhausted(msg)), None));
                    }
                    Err(RecvError::Closed) => return None,
                }
            }
        }
    });
    Box::pin(events.take_until(stop.cancelled_owned()))
}
