//! The watch registry: which watch (on which `Watch` stream) sees which key events.
//!
//! Skein keeps watches in an interval tree; the number of watches per application is small
//! (one per distinct client filter), so a scan in watch-id order is simpler and gives a
//! deterministic event order across watches. Each event names its stream so the async layer
//! can route it; per watch, events come out in operation order because every mutation emits
//! its events before it returns.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::key::WatchInterval;
use super::types::{EventType, KeyValue, WatchCreate, WatchResponse, WatchResponseKind};

/// Identifies one open `Watch` RPC stream.
pub type StreamId = u64;

/// Identifies one watch; global across streams, allocated from 0 like Skein's.
pub type WatchId = i32;

/// A watch response to deliver on one stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    /// The `Watch` stream that must receive `response`.
    pub stream: StreamId,
    /// The PUT or DELETE response, already carrying its `watch_id`.
    pub response: WatchResponse,
}

#[derive(Debug, Clone)]
struct Watch {
    stream: StreamId,
    interval: WatchInterval,
    puts: bool,
    deletes: bool,
}

/// All watches of all streams.
#[derive(Debug, Default)]
pub(super) struct Watches {
    next_stream: StreamId,
    next_watch: WatchId,
    by_id: BTreeMap<WatchId, Watch>,
    by_stream: HashMap<StreamId, BTreeSet<WatchId>>,
}

impl Watches {
    pub(super) fn open_stream(&mut self) -> StreamId {
        let stream = self.next_stream;
        self.next_stream += 1;
        stream
    }

    pub(super) fn create(&mut self, stream: StreamId, request: &WatchCreate) -> WatchResponse {
        let (puts, deletes) = match request.event_type {
            EventType::All => (true, true),
            EventType::Put => (true, false),
            EventType::Delete => (false, true),
        };
        let id = self.next_watch;
        // Two billion watches in one AM is not a realistic workload; wrapping beats panicking.
        self.next_watch = self.next_watch.wrapping_add(1);
        let interval = WatchInterval::new(&request.start, &request.end);
        self.by_id.insert(
            id,
            Watch {
                stream,
                interval,
                puts,
                deletes,
            },
        );
        self.by_stream.entry(stream).or_default().insert(id);
        WatchResponse {
            kind: WatchResponseKind::Create,
            watch_id: id,
            events: Vec::new(),
        }
    }

    /// Removes the watch if this stream owns it; acknowledged either way, like Skein.
    pub(super) fn cancel(&mut self, stream: StreamId, id: WatchId) -> WatchResponse {
        if let Some(ids) = self.by_stream.get_mut(&stream)
            && ids.remove(&id)
        {
            self.by_id.remove(&id);
        }
        WatchResponse {
            kind: WatchResponseKind::Cancel,
            watch_id: id,
            events: Vec::new(),
        }
    }

    pub(super) fn close_stream(&mut self, stream: StreamId) {
        for id in self.by_stream.remove(&stream).unwrap_or_default() {
            self.by_id.remove(&id);
        }
    }

    pub(super) fn len(&self) -> usize {
        self.by_id.len()
    }

    /// One PUT response, with the full new key-value, per PUT-watch containing the key.
    pub(super) fn notify_put(&self, kv: &KeyValue, out: &mut Vec<Notification>) {
        if self.by_id.is_empty() {
            return;
        }
        for (&id, watch) in &self.by_id {
            if watch.puts && watch.interval.contains(&kv.key) {
                out.push(Notification {
                    stream: watch.stream,
                    response: WatchResponse {
                        kind: WatchResponseKind::Put,
                        watch_id: id,
                        events: vec![kv.clone()],
                    },
                });
            }
        }
    }

    /// One DELETE response per DELETE-watch, listing the deleted keys (sorted) inside its
    /// interval; watches that contain none of them get nothing.
    ///
    /// Skein also sends an empty DELETE response to watches whose interval merely overlaps
    /// `[first, last]` deleted key; clients iterate over `event`, so omitting it is invisible.
    pub(super) fn notify_delete<'k>(
        &self,
        keys: impl Iterator<Item = &'k str> + Clone,
        out: &mut Vec<Notification>,
    ) {
        for (&id, watch) in &self.by_id {
            if !watch.deletes {
                continue;
            }
            let event: Vec<KeyValue> = keys
                .clone()
                .filter(|key| watch.interval.contains(key))
                .map(|key| KeyValue {
                    key: key.to_owned(),
                    value: Vec::new(),
                    owner: None,
                })
                .collect();
            if !event.is_empty() {
                out.push(Notification {
                    stream: watch.stream,
                    response: WatchResponse {
                        kind: WatchResponseKind::Delete,
                        watch_id: id,
                        events: event,
                    },
                });
            }
        }
    }
}
