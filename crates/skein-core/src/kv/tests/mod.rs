//! Unit tests of the store, written as the stories Skein's own test-suite tells.

use std::collections::HashMap;

use super::*;

/// A container table: service name -> per instance, whether it has completed.
#[derive(Debug, Clone, Default)]
pub(super) struct FakeDirectory {
    pub(super) services: HashMap<String, Vec<bool>>,
}

impl FakeDirectory {
    pub(super) fn with(services: &[(&str, usize)]) -> Self {
        let services = services
            .iter()
            .map(|(name, n)| (name.to_string(), vec![false; *n]))
            .collect();
        FakeDirectory { services }
    }

    pub(super) fn complete(&mut self, owner: &ContainerInstance) {
        if let Some(slot) = self.services.get_mut(&owner.service_name).and_then(|v| {
            usize::try_from(owner.instance)
                .ok()
                .and_then(|i| v.get_mut(i))
        }) {
            *slot = true;
        }
    }
}

impl ContainerDirectory for FakeDirectory {
    fn owner_state(&self, owner: &ContainerInstance) -> OwnerState {
        let Some(instances) = self.services.get(&owner.service_name) else {
            return OwnerState::UnknownService;
        };
        match usize::try_from(owner.instance)
            .ok()
            .and_then(|i| instances.get(i))
        {
            None => OwnerState::UnknownInstance,
            Some(true) => OwnerState::Completed,
            Some(false) => OwnerState::Active,
        }
    }
}

pub(super) fn cid(service: &str, instance: i32) -> ContainerInstance {
    ContainerInstance {
        service_name: service.into(),
        instance,
    }
}

fn put_req(key: &str, value: &[u8]) -> PutKey {
    PutKey {
        key: key.into(),
        value: value.to_vec(),
        ..Default::default()
    }
}

fn put(store: &mut Store, dir: &FakeDirectory, key: &str, value: &[u8]) -> Vec<Notification> {
    match store.put_key(put_req(key, value), dir) {
        Ok(applied) => applied.notifications,
        Err(e) => panic!("put {key}: {e}"),
    }
}

fn put_owned(
    store: &mut Store,
    dir: &FakeDirectory,
    key: &str,
    value: &[u8],
    owner: ContainerInstance,
) {
    let request = PutKey {
        owner: Some(owner),
        ..put_req(key, value)
    };
    if let Err(e) = store.put_key(request, dir) {
        panic!("put {key}: {e}");
    }
}

fn range(start: &str, end: &str, result_type: ResultType) -> Range {
    Range {
        start: start.into(),
        end: end.into(),
        result_type,
    }
}

fn get(store: &Store, start: &str, end: &str, t: ResultType) -> RangeResult {
    store.get_range(&range(start, end, t))
}

fn keys(store: &Store, start: &str, end: &str) -> Vec<String> {
    let response = get(store, start, end, ResultType::Keys);
    response.result.into_iter().map(|kv| kv.key).collect()
}

fn delete(store: &mut Store, start: &str, end: &str, t: ResultType) -> Applied<RangeResult> {
    store
        .delete_range(&range(start, end, t))
        .expect("a delete whose reply fits")
}

fn watch(store: &mut Store, stream: StreamId, start: &str, end: &str, t: EventType) -> WatchId {
    let request = WatchCreate {
        start: start.into(),
        end: end.into(),
        event_type: t,
    };
    let response = store.create_watch(stream, &request);
    assert_eq!(response.kind, WatchResponseKind::Create);
    response.watch_id
}

/// (watch id, "PUT k=v" / "DEL k") lines, the way the Python client unpacks responses.
fn events(notifications: &[Notification]) -> Vec<(WatchId, String)> {
    let mut out = Vec::new();
    for n in notifications {
        for kv in &n.response.events {
            let line = if n.response.kind == WatchResponseKind::Put {
                format!("PUT {}={}", kv.key, String::from_utf8_lossy(&kv.value))
            } else {
                format!("DEL {}", kv.key)
            };
            out.push((n.response.watch_id, line));
        }
    }
    out
}

#[test]
fn keys_come_back_sorted_in_java_order_with_owner_absent_when_unowned() {
    let (mut store, dir) = (Store::new(), FakeDirectory::with(&[("sleeper", 1)]));
    for key in ["b", "\u{E000}", "a", "\u{10000}", "aa"] {
        put(&mut store, &dir, key, key.as_bytes());
    }
    put_owned(&mut store, &dir, "c", b"3", cid("sleeper", 0));
    assert_eq!(
        keys(&store, "", ""),
        ["a", "aa", "b", "c", "\u{10000}", "\u{E000}"]
    );

    let items = get(&store, "a", "b", ResultType::Items);
    assert_eq!((items.count, items.result_type), (2, ResultType::Items));
    assert_eq!(
        items.result[0],
        KeyValue {
            key: "a".into(),
            value: b"a".to_vec(),
            owner: None
        }
    );
    let owned = get(&store, "c", "c\u{0}", ResultType::Items);
    assert_eq!(owned.result[0].owner, Some(cid("sleeper", 0)));

    let none = get(&store, "", "", ResultType::None);
    assert_eq!((none.count, none.result.len()), (6, 0));
    let key_only = get(&store, "aa", "", ResultType::Keys);
    assert!(
        key_only
            .result
            .iter()
            .all(|kv| kv.value.is_empty() && kv.owner.is_none())
    );
    assert_eq!(key_only.count, 5);
}

#[test]
fn ranges_treat_empty_and_nul_bounds_as_open_and_reversed_bounds_as_empty() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    for key in ["a", "b", "c", "d"] {
        put(&mut store, &dir, key, b"x");
    }
    assert_eq!(keys(&store, "", "c"), ["a", "b"]);
    assert_eq!(keys(&store, "\u{0}", "c"), ["a", "b"]);
    assert_eq!(keys(&store, "c", ""), ["c", "d"]);
    assert_eq!(keys(&store, "b", "d"), ["b", "c"]);
    assert!(keys(&store, "d", "b").is_empty());
    assert!(keys(&store, "b", "b").is_empty());
    assert_eq!(get(&store, "d", "b", ResultType::None).count, 0);
}

#[test]
fn put_errors_carry_skeins_messages_and_change_nothing() {
    let mut dir = FakeDirectory::with(&[("sleeper", 2)]);
    let mut store = Store::new();
    put_owned(&mut store, &dir, "a", b"a", cid("sleeper", 0));
    dir.complete(&cid("sleeper", 1));
    let cases = [
        (
            PutKey {
                ignore_value: true,
                ignore_owner: true,
                ..put_req("a", b"")
            },
            "ignore_value & ignore_owner can't both be true",
        ),
        (
            PutKey {
                ignore_value: true,
                owner: Some(cid("sleeper", 0)),
                ..put_req("missing", b"")
            },
            "ignore_value=True & key isn't already set",
        ),
        (
            PutKey {
                owner: Some(cid("unknown", 0)),
                ..put_req("bar", b"x")
            },
            "Unknown service 'unknown'",
        ),
        (
            PutKey {
                owner: Some(cid("sleeper", 100)),
                ..put_req("bar", b"x")
            },
            "Service 'sleeper' has no container instance 100",
        ),
        (
            PutKey {
                owner: Some(cid("sleeper", 1)),
                ..put_req("bar", b"x")
            },
            "Container 'sleeper_1' has already completed",
        ),
        (
            PutKey {
                owner: Some(cid("sleeper", -1)),
                ..put_req("bar", b"x")
            },
            "Service 'sleeper' has no container instance -1",
        ),
    ];
    let before = store.items();
    for (request, message) in cases {
        let error = store.put_key(request, &dir).err();
        assert_eq!(error.map(|e| e.to_string()).as_deref(), Some(message));
    }
    assert_eq!(store.items(), before);
    // An ignored owner is not validated, like Skein.
    let ignored = PutKey {
        ignore_owner: true,
        owner: Some(cid("unknown", 0)),
        ..put_req("a", b"b")
    };
    assert!(store.put_key(ignored, &dir).is_ok());
}

#[test]
fn an_entry_no_client_could_read_back_is_refused_naming_key_size_and_limit() {
    let dir = FakeDirectory::with(&[("sleeper", 1)]);
    let mut store = Store::new();
    let too_big = vec![b'x'; MAX_ENTRY_BYTES - 2];
    let err = store
        .put_key(put_req("big", &too_big), &dir)
        .expect_err("key and value above the limit");
    assert_eq!(
        err.to_string(),
        format!(
            "The value of key 'big' is {} bytes (the key 3): the key-value store takes a key \
             and its value of at most {MAX_ENTRY_BYTES} bytes together (gRPC's 4 MiB message \
             limit, less room for the reply), so that every client can read them back; store \
             large data on HDFS and put its path in the key-value store",
            too_big.len()
        )
    );
    assert!(keys(&store, "", "").is_empty());
    // In a transaction, before anything of the branch is applied.
    let branch = Transaction {
        conditions: vec![],
        on_success: vec![
            Op::PutKey(put_req("small", b"1")),
            Op::PutKey(put_req("big", &too_big)),
        ],
        on_failure: vec![],
    };
    assert!(matches!(
        store.transaction(branch, &dir),
        Err(KvError::EntryTooLarge { .. })
    ));
    assert!(keys(&store, "", "").is_empty());
    // At the limit it is stored; keeping the value checks the key alone.
    put(&mut store, &dir, "big", &too_big[1..]);
    let keep = PutKey {
        ignore_value: true,
        ..put_req("big", &too_big)
    };
    assert!(store.put_key(keep, &dir).is_ok());
    // A long key is shortened in the message.
    let long_key = "k".repeat(MAX_ENTRY_BYTES + 1);
    let err = store
        .put_key(put_req(&long_key, b""), &dir)
        .expect_err("a key above the limit");
    assert!(
        err.to_string().starts_with(&format!(
            "The value of key '{}...' is 0 bytes",
            "k".repeat(100)
        )),
        "{err}"
    );
}

#[test]
fn swap_keeps_or_replaces_value_and_owner_and_returns_the_previous_pair() {
    let (mut store, dir) = (Store::new(), FakeDirectory::with(&[("sleeper", 1)]));
    let c = cid("sleeper", 0);
    let swap = |store: &mut Store, request: PutKey| -> PutResult {
        let request = PutKey {
            return_previous: true,
            ..request
        };
        match store.put_key(request, &dir) {
            Ok(applied) => applied.response,
            Err(e) => panic!("{e}"),
        }
    };
    // New key: previous absent, flag echoed.
    let r = swap(
        &mut store,
        PutKey {
            ignore_owner: true,
            ..put_req("foo", b"a")
        },
    );
    assert!(r.return_previous && r.previous.is_none());
    // Set the owner only (Python: value=no_change -> ignore_value).
    let r = swap(
        &mut store,
        PutKey {
            ignore_value: true,
            owner: Some(c.clone()),
            ..put_req("foo", b"")
        },
    );
    assert_eq!(
        r.previous,
        Some(KeyValue {
            key: "foo".into(),
            value: b"a".to_vec(),
            owner: None
        })
    );
    // Set the value only (owner=no_change -> ignore_owner): owner stays.
    swap(
        &mut store,
        PutKey {
            ignore_owner: true,
            ..put_req("foo", b"c")
        },
    );
    let now = get(&store, "foo", "foo\u{0}", ResultType::Items).result;
    assert_eq!(
        now[0],
        KeyValue {
            key: "foo".into(),
            value: b"c".to_vec(),
            owner: Some(c.clone())
        }
    );
    // Owner absent and not ignored clears it.
    let r = swap(
        &mut store,
        PutKey {
            ignore_value: true,
            ..put_req("foo", b"")
        },
    );
    assert_eq!(r.previous.and_then(|p| p.owner), Some(c));
    let now = get(&store, "foo", "foo\u{0}", ResultType::Items).result;
    assert_eq!(now[0].owner, None);
    // Without return_previous nothing comes back, and the flag is echoed as false.
    let plain = store
        .put_key(put_req("foo", b"d"), &dir)
        .map(|a| a.response);
    assert_eq!(
        plain,
        Ok(PutResult {
            return_previous: false,
            previous: None
        })
    );
}

#[test]
fn delete_range_returns_the_count_and_per_result_type_items_or_keys() {
    // (Its wire numbering, NONE=0, ITEMS=1, KEYS=2, is the AM edge's: `am/kv_wire.rs`.)
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    for key in ["a", "b", "c", "d", "e"] {
        put(&mut store, &dir, key, key.as_bytes());
    }
    let none = delete(&mut store, "a", "b", ResultType::None).response;
    assert_eq!(
        (none.count, none.result.len(), none.result_type),
        (1, 0, ResultType::None)
    );
    let items = delete(&mut store, "b", "c", ResultType::Items).response;
    assert_eq!(
        items.result,
        [KeyValue {
            key: "b".into(),
            value: b"b".to_vec(),
            owner: None
        }]
    );
    let keys_only = delete(&mut store, "c", "", ResultType::Keys).response;
    assert_eq!(keys_only.count, 3);
    assert_eq!(
        keys_only
            .result
            .iter()
            .map(|kv| kv.key.as_str())
            .collect::<Vec<_>>(),
        ["c", "d", "e"]
    );
    assert!(store.is_empty());
    assert_eq!(
        delete(&mut store, "", "", ResultType::Keys).response.count,
        0
    );
}

#[test]
fn completing_a_container_deletes_exactly_the_keys_it_still_owns() {
    let mut dir = FakeDirectory::with(&[("sleeper", 2)]);
    let mut store = Store::new();
    let (c1, c2) = (cid("sleeper", 0), cid("sleeper", 1));
    put_owned(&mut store, &dir, "c1_1", b"a", c1.clone());
    put_owned(&mut store, &dir, "c1_2", b"b", c1.clone());
    put_owned(&mut store, &dir, "c1_3", b"c", c1.clone());
    put_owned(&mut store, &dir, "c1_4", b"d", c1.clone());
    // Change owner, clear owner, delete and recreate unowned: none of these stays c1's.
    let to_c2 = PutKey {
        ignore_value: true,
        owner: Some(c2),
        ..put_req("c1_2", b"")
    };
    assert!(store.put_key(to_c2, &dir).is_ok());
    let cleared = PutKey {
        ignore_value: true,
        ..put_req("c1_3", b"")
    };
    assert!(store.put_key(cleared, &dir).is_ok());
    delete(&mut store, "c1_4", "c1_4\u{0}", ResultType::None);
    put(&mut store, &dir, "c1_4", b"again");

    let stream = store.open_stream();
    let all = watch(&mut store, stream, "", "", EventType::All);
    dir.complete(&c1);
    let notifications = store.container_completed(&c1);
    assert_eq!(events(&notifications), [(all, "DEL c1_1".to_string())]);
    assert_eq!(keys(&store, "", ""), ["c1_2", "c1_3", "c1_4"]);
    // A second completion report is harmless.
    assert!(store.container_completed(&c1).is_empty());
}

#[test]
fn completion_sends_one_delete_response_per_key() {
    let dir = FakeDirectory::with(&[("sleeper", 1)]);
    let mut store = Store::new();
    put_owned(&mut store, &dir, "a2", b"2", cid("sleeper", 0));
    put_owned(&mut store, &dir, "a1", b"1", cid("sleeper", 0));
    let stream = store.open_stream();
    let w = watch(&mut store, stream, "a", "b", EventType::Delete);
    let notifications = store.container_completed(&cid("sleeper", 0));
    assert_eq!(notifications.len(), 2);
    assert!(
        notifications
            .iter()
            .all(|n| n.stream == stream && n.response.events.len() == 1)
    );
    assert_eq!(
        events(&notifications),
        [(w, "DEL a1".to_string()), (w, "DEL a2".to_string())]
    );
}

mod reply_bounds;
mod transactions;
mod watches;
