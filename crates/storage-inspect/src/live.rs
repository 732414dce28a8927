//! Live updates: a server-sent event stream that tells the page the store changed.
//!
//! The stream polls [`storage_api::Mpstore::changes`] (a counter every successful write bumps,
//! one atomic add in the write path) every [`POLL`], and sends a `change` event carrying the
//! new count whenever it moved; the page then reads again what it shows. However fast a program
//! writes, the page reads at most once per [`POLL`], never once per write, and the store's writes
//! never wait for a watcher.

use crate::api::State;
use axum::extract::State as With;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

/// How often a stream looks at the counter: the most a change waits before the page hears of it.
pub const POLL: Duration = Duration::from_millis(200);

/// `GET /api/events`: a `change` event at once (the count when the page connected), then one
/// each time the count has moved.
pub(crate) async fn events(
    With(state): With<Arc<State>>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let changes = stream::unfold((state, None::<u64>), |(state, last)| async move {
        loop {
            let now = state.store.changes();
            if last != Some(now) {
                let event = Event::default().event("change").data(now.to_string());
                return Some((Ok(event), (state, Some(now))));
            }
            tokio::time::sleep(POLL).await;
        }
    });
    Sse::new(changes).keep_alive(KeepAlive::default())
}
