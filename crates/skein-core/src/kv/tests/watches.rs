//! Watches: ids, acknowledgements, intervals and event types, as in Skein's tests.

use super::*;

#[test]
fn watch_ids_are_global_and_acks_echo_the_id() {
    let mut store = Store::new();
    let (s1, s2) = (store.open_stream(), store.open_stream());
    assert_eq!(watch(&mut store, s1, "", "", EventType::All), 0);
    assert_eq!(watch(&mut store, s2, "", "", EventType::Put), 1);
    assert_eq!(watch(&mut store, s1, "a", "b", EventType::Delete), 2);
    // Cancelling another stream's watch is acknowledged but leaves it in place.
    let ack = store.cancel_watch(s1, 1);
    assert_eq!((ack.kind, ack.watch_id), (WatchResponseKind::Cancel, 1));
    assert_eq!(store.watch_count(), 3);
    store.cancel_watch(s2, 1);
    assert_eq!(store.watch_count(), 2);
    store.close_stream(s1);
    assert_eq!(store.watch_count(), 0);
    assert_eq!(watch(&mut store, s2, "", "", EventType::All), 3);
}

#[test]
fn event_ranges_match_skeins_test_event_ranges() {
    use EventType::All;
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    let stream = store.open_stream();
    let before_d = watch(&mut store, stream, "", "d", All);
    let after_c = watch(&mut store, stream, "c", "", All);
    let b_to_e = watch(&mut store, stream, "b", "e", All);
    let everything = watch(&mut store, stream, "", "", All);
    let mut log = Vec::new();
    for (key, value) in [
        ("a", "1"),
        ("b", "2"),
        ("c", "3"),
        ("d", "4"),
        ("e", "5"),
        ("f", "6"),
    ] {
        log.extend(put(&mut store, &dir, key, value.as_bytes()));
    }
    for (start, end) in [("b", "d"), ("", "d"), ("e", ""), ("d", "d\u{0}")] {
        log.extend(delete(&mut store, start, end, ResultType::None).notifications);
    }
    assert!(store.is_empty());
    let of = |id: WatchId| -> Vec<String> {
        events(&log)
            .into_iter()
            .filter(|(w, _)| *w == id)
            .map(|(_, e)| e)
            .collect()
    };
    assert_eq!(
        of(before_d),
        ["PUT a=1", "PUT b=2", "PUT c=3", "DEL b", "DEL c", "DEL a"]
    );
    assert_eq!(
        of(after_c),
        [
            "PUT c=3", "PUT d=4", "PUT e=5", "PUT f=6", "DEL c", "DEL e", "DEL f", "DEL d"
        ]
    );
    assert_eq!(
        of(b_to_e),
        ["PUT b=2", "PUT c=3", "PUT d=4", "DEL b", "DEL c", "DEL d"]
    );
    assert_eq!(
        of(everything),
        [
            "PUT a=1", "PUT b=2", "PUT c=3", "PUT d=4", "PUT e=5", "PUT f=6", "DEL b", "DEL c",
            "DEL a", "DEL e", "DEL f", "DEL d"
        ]
    );
    // One DELETE response per watch per DeleteRange, listing that watch's keys.
    let first_delete: Vec<_> = log
        .iter()
        .skip_while(|n| n.response.kind == WatchResponseKind::Put)
        .take(4)
        .collect();
    assert_eq!(first_delete.len(), 4);
    assert_eq!(first_delete[0].response.events.len(), 2);
}

#[test]
fn event_types_filter_puts_and_deletes() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    let stream = store.open_stream();
    let puts = watch(&mut store, stream, "b", "e", EventType::Put);
    let dels = watch(&mut store, stream, "b", "e", EventType::Delete);
    let mut log = Vec::new();
    for key in ["a", "b", "c", "d", "e"] {
        log.extend(put(&mut store, &dir, key, b"x"));
    }
    log.extend(delete(&mut store, "", "", ResultType::None).notifications);
    let got = events(&log);
    let expected: Vec<(WatchId, String)> = vec![
        (puts, "PUT b=x".into()),
        (puts, "PUT c=x".into()),
        (puts, "PUT d=x".into()),
        (dels, "DEL b".into()),
        (dels, "DEL c".into()),
        (dels, "DEL d".into()),
    ];
    assert_eq!(got, expected);
    // PUT events carry the full key-value, owner included.
    let dir = FakeDirectory::with(&[("s", 1)]);
    let request = PutKey {
        owner: Some(cid("s", 0)),
        ..put_req("c", b"v")
    };
    let notifications = store
        .put_key(request, &dir)
        .map(|a| a.notifications)
        .unwrap_or_default();
    assert_eq!(notifications[0].response.events[0].owner, Some(cid("s", 0)));
}
