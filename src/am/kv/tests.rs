//! Unit tests of the store, written as the stories Skein's own test-suite tells.

use std::collections::HashMap;

use super::*;
use crate::proto::{watch_create_request, watch_response};

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

fn put_req(key: &str, value: &[u8]) -> PutKeyRequest {
    PutKeyRequest {
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
    let request = PutKeyRequest {
        owner: Some(owner),
        ..put_req(key, value)
    };
    if let Err(e) = store.put_key(request, dir) {
        panic!("put {key}: {e}");
    }
}

fn get(
    store: &Store,
    start: &str,
    end: &str,
    t: get_range_request::ResultType,
) -> GetRangeResponse {
    let request = GetRangeRequest {
        start: start.into(),
        end: end.into(),
        result_type: t as i32,
    };
    match store.get_range(&request) {
        Ok(response) => response,
        Err(e) => panic!("get_range: {e}"),
    }
}

fn keys(store: &Store, start: &str, end: &str) -> Vec<String> {
    let response = get(store, start, end, get_range_request::ResultType::Keys);
    response.result.into_iter().map(|kv| kv.key).collect()
}

fn delete(
    store: &mut Store,
    start: &str,
    end: &str,
    t: delete_range_request::ResultType,
) -> Applied<DeleteRangeResponse> {
    let request = DeleteRangeRequest {
        start: start.into(),
        end: end.into(),
        result_type: t as i32,
    };
    match store.delete_range(&request) {
        Ok(applied) => applied,
        Err(e) => panic!("delete_range: {e}"),
    }
}

fn watch(
    store: &mut Store,
    stream: StreamId,
    start: &str,
    end: &str,
    t: watch_create_request::Type,
) -> WatchId {
    let request = WatchCreateRequest {
        start: start.into(),
        end: end.into(),
        event_type: t as i32,
    };
    match store.create_watch(stream, &request) {
        Ok(response) => response.watch_id,
        Err(e) => panic!("create_watch: {e}"),
    }
}

/// (watch id, "PUT k=v" / "DEL k") lines, the way the Python client unpacks responses.
fn events(notifications: &[Notification]) -> Vec<(WatchId, String)> {
    let mut out = Vec::new();
    for n in notifications {
        for kv in &n.response.event {
            let line = if n.response.r#type == watch_response::Type::Put as i32 {
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

    let items = get(&store, "a", "b", get_range_request::ResultType::Items);
    assert_eq!(
        (items.count, items.result_type),
        (2, get_range_request::ResultType::Items as i32)
    );
    assert_eq!(
        items.result[0],
        KeyValue {
            key: "a".into(),
            value: b"a".to_vec(),
            owner: None
        }
    );
    let owned = get(&store, "c", "c\u{0}", get_range_request::ResultType::Items);
    assert_eq!(owned.result[0].owner, Some(cid("sleeper", 0)));

    let none = get(&store, "", "", get_range_request::ResultType::None);
    assert_eq!((none.count, none.result.len()), (6, 0));
    let key_only = get(&store, "aa", "", get_range_request::ResultType::Keys);
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
    assert_eq!(
        get(&store, "d", "b", get_range_request::ResultType::None).count,
        0
    );
}

#[test]
fn put_errors_carry_skeins_messages_and_change_nothing() {
    let mut dir = FakeDirectory::with(&[("sleeper", 2)]);
    let mut store = Store::new();
    put_owned(&mut store, &dir, "a", b"a", cid("sleeper", 0));
    dir.complete(&cid("sleeper", 1));
    let cases = [
        (
            PutKeyRequest {
                ignore_value: true,
                ignore_owner: true,
                ..put_req("a", b"")
            },
            "ignore_value & ignore_owner can't both be true",
        ),
        (
            PutKeyRequest {
                ignore_value: true,
                owner: Some(cid("sleeper", 0)),
                ..put_req("missing", b"")
            },
            "ignore_value=True & key isn't already set",
        ),
        (
            PutKeyRequest {
                owner: Some(cid("unknown", 0)),
                ..put_req("bar", b"x")
            },
            "Unknown service 'unknown'",
        ),
        (
            PutKeyRequest {
                owner: Some(cid("sleeper", 100)),
                ..put_req("bar", b"x")
            },
            "Service 'sleeper' has no container instance 100",
        ),
        (
            PutKeyRequest {
                owner: Some(cid("sleeper", 1)),
                ..put_req("bar", b"x")
            },
            "Container 'sleeper_1' has already completed",
        ),
        (
            PutKeyRequest {
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
    let ignored = PutKeyRequest {
        ignore_owner: true,
        owner: Some(cid("unknown", 0)),
        ..put_req("a", b"b")
    };
    assert!(store.put_key(ignored, &dir).is_ok());
}

#[test]
fn swap_keeps_or_replaces_value_and_owner_and_returns_the_previous_pair() {
    let (mut store, dir) = (Store::new(), FakeDirectory::with(&[("sleeper", 1)]));
    let c = cid("sleeper", 0);
    let swap = |store: &mut Store, request: PutKeyRequest| -> PutKeyResponse {
        let request = PutKeyRequest {
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
        PutKeyRequest {
            ignore_owner: true,
            ..put_req("foo", b"a")
        },
    );
    assert!(r.return_previous && r.previous.is_none());
    // Set the owner only (Python: value=no_change -> ignore_value).
    let r = swap(
        &mut store,
        PutKeyRequest {
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
        PutKeyRequest {
            ignore_owner: true,
            ..put_req("foo", b"c")
        },
    );
    let now = get(
        &store,
        "foo",
        "foo\u{0}",
        get_range_request::ResultType::Items,
    )
    .result;
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
        PutKeyRequest {
            ignore_value: true,
            ..put_req("foo", b"")
        },
    );
    assert_eq!(r.previous.and_then(|p| p.owner), Some(c));
    let now = get(
        &store,
        "foo",
        "foo\u{0}",
        get_range_request::ResultType::Items,
    )
    .result;
    assert_eq!(now[0].owner, None);
    // Without return_previous nothing comes back, and the flag is echoed as false.
    let plain = store
        .put_key(put_req("foo", b"d"), &dir)
        .map(|a| a.response);
    assert_eq!(
        plain,
        Ok(PutKeyResponse {
            return_previous: false,
            previous: None
        })
    );
}

#[test]
fn delete_range_uses_its_own_result_type_numbering() {
    use delete_range_request::ResultType;
    // NONE=0, ITEMS=1, KEYS=2 (GetRange has ITEMS=0, KEYS=1, NONE=2).
    assert_eq!(
        (
            ResultType::None as i32,
            ResultType::Items as i32,
            ResultType::Keys as i32
        ),
        (0, 1, 2)
    );
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    for key in ["a", "b", "c", "d", "e"] {
        put(&mut store, &dir, key, key.as_bytes());
    }
    let none = delete(&mut store, "a", "b", ResultType::None).response;
    assert_eq!((none.count, none.result.len(), none.result_type), (1, 0, 0));
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
    let to_c2 = PutKeyRequest {
        ignore_value: true,
        owner: Some(c2),
        ..put_req("c1_2", b"")
    };
    assert!(store.put_key(to_c2, &dir).is_ok());
    let cleared = PutKeyRequest {
        ignore_value: true,
        ..put_req("c1_3", b"")
    };
    assert!(store.put_key(cleared, &dir).is_ok());
    delete(
        &mut store,
        "c1_4",
        "c1_4\u{0}",
        delete_range_request::ResultType::None,
    );
    put(&mut store, &dir, "c1_4", b"again");

    let stream = store.open_stream();
    let all = watch(&mut store, stream, "", "", watch_create_request::Type::All);
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
    let w = watch(
        &mut store,
        stream,
        "a",
        "b",
        watch_create_request::Type::Delete,
    );
    let notifications = store.container_completed(&cid("sleeper", 0));
    assert_eq!(notifications.len(), 2);
    assert!(
        notifications
            .iter()
            .all(|n| n.stream == stream && n.response.event.len() == 1)
    );
    assert_eq!(
        events(&notifications),
        [(w, "DEL a1".to_string()), (w, "DEL a2".to_string())]
    );
}

fn value_cond(key: &str, op: condition::Operator, rhs: Option<&[u8]>) -> Condition {
    Condition {
        key: key.into(),
        operator: op as i32,
        field: condition::Field::Value as i32,
        rhs: rhs.map(|v| condition::Rhs::Value(v.to_vec())),
    }
}

fn owner_cond(key: &str, op: condition::Operator, rhs: Option<ContainerInstance>) -> Condition {
    Condition {
        key: key.into(),
        operator: op as i32,
        field: condition::Field::Owner as i32,
        rhs: rhs.map(condition::Rhs::Owner),
    }
}

fn succeeds(store: &mut Store, dir: &FakeDirectory, conditions: Vec<Condition>) -> bool {
    let request = TransactionRequest {
        condition: conditions,
        ..Default::default()
    };
    match store.transaction(request, dir) {
        Ok(applied) => applied.response.succeeded,
        Err(e) => panic!("transaction: {e}"),
    }
}

#[test]
fn conditions_compare_values_and_owners_with_null_only_equal_to_null() {
    use condition::Operator::*;
    let dir = FakeDirectory::with(&[("sleeper", 3)]);
    let mut store = Store::new();
    put_owned(&mut store, &dir, "owner", b"bcd", cid("sleeper", 1));
    put(&mut store, &dir, "no_owner", b"bcd");
    let (val, larger, smaller): (&[u8], &[u8], &[u8]) = (b"bcd", b"bce", b"bcc");
    // (operator, [vs larger, vs equal, vs smaller, missing key vs val])
    let table = [
        (Equal, [false, true, false, false]),
        (NotEqual, [true, false, true, true]),
        (Less, [true, false, false, false]),
        (LessEqual, [true, true, false, false]),
        (Greater, [false, false, true, false]),
        (GreaterEqual, [false, true, true, false]),
    ];
    for (op, expected) in table {
        let got = [
            succeeds(
                &mut store,
                &dir,
                vec![value_cond("owner", op, Some(larger))],
            ),
            succeeds(&mut store, &dir, vec![value_cond("owner", op, Some(val))]),
            succeeds(
                &mut store,
                &dir,
                vec![value_cond("owner", op, Some(smaller))],
            ),
            succeeds(&mut store, &dir, vec![value_cond("missing", op, Some(val))]),
        ];
        assert_eq!(got, expected, "value {op:?}");
        let got = [
            succeeds(
                &mut store,
                &dir,
                vec![owner_cond("owner", op, Some(cid("sleeper", 2)))],
            ),
            succeeds(
                &mut store,
                &dir,
                vec![owner_cond("owner", op, Some(cid("sleeper", 1)))],
            ),
            succeeds(
                &mut store,
                &dir,
                vec![owner_cond("owner", op, Some(cid("sleeper", 0)))],
            ),
            succeeds(
                &mut store,
                &dir,
                vec![owner_cond("no_owner", op, Some(cid("sleeper", 1)))],
            ),
        ];
        assert_eq!(got, expected, "owner {op:?}");
    }
    // exists / missing are value != null / value == null.
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond("owner", NotEqual, None)]
    ));
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond("missing", Equal, None)]
    ));
    assert!(!succeeds(
        &mut store,
        &dir,
        vec![value_cond("missing", LessEqual, None)]
    ));
    assert!(succeeds(
        &mut store,
        &dir,
        vec![owner_cond("no_owner", Equal, None)]
    ));
    assert!(!succeeds(
        &mut store,
        &dir,
        vec![owner_cond("owner", Equal, None)]
    ));
    // Owners order by service name first.
    assert!(succeeds(
        &mut store,
        &dir,
        vec![owner_cond("owner", Less, Some(cid("t", 0)))]
    ));
    // AND, short-circuit, empty = true.
    assert!(succeeds(&mut store, &dir, vec![]));
    let (t1, t2) = (
        value_cond("owner", NotEqual, None),
        value_cond("no_owner", NotEqual, None),
    );
    let f = value_cond("missing", NotEqual, None);
    assert!(succeeds(&mut store, &dir, vec![t1.clone(), t2.clone()]));
    assert!(!succeeds(&mut store, &dir, vec![t1, f, t2]));
}

#[test]
fn values_compare_as_unsigned_bytes() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    put(&mut store, &dir, "k", &[0x01]);
    // Unsigned (the rule); Skein's Java AM would say 0x01 > 0x80 (signed bytes).
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond("k", condition::Operator::Less, Some(&[0x80]))]
    ));
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond(
            "k",
            condition::Operator::Greater,
            Some(&[0x00, 0xff])
        )]
    ));
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond(
            "k",
            condition::Operator::Less,
            Some(&[0x01, 0x00])
        )]
    ));
}

fn op_put(request: PutKeyRequest) -> OpRequest {
    OpRequest {
        request: Some(op_request::Request::PutKey(request)),
    }
}

fn op_delete(start: &str, end: &str) -> OpRequest {
    let request = DeleteRangeRequest {
        start: start.into(),
        end: end.into(),
        result_type: 2,
    };
    OpRequest {
        request: Some(op_request::Request::DeleteRange(request)),
    }
}

fn op_get(start: &str, end: &str) -> OpRequest {
    let request = GetRangeRequest {
        start: start.into(),
        end: end.into(),
        result_type: 0,
    };
    OpRequest {
        request: Some(op_request::Request::GetRange(request)),
    }
}

#[test]
fn transactions_run_the_chosen_branch_in_order() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    for key in ["a", "aa", "aaa", "b"] {
        put(&mut store, &dir, key, key.as_bytes());
    }
    let exists_a = value_cond("a", condition::Operator::NotEqual, None);
    let request = TransactionRequest {
        condition: vec![exists_a],
        on_success: vec![
            op_get("a", "b"),
            op_delete("a", "b"),
            op_put(put_req("a", b"later")),
        ],
        on_failure: vec![op_put(put_req("dont_put_me", b"bad"))],
    };
    let applied = match store.transaction(request, &dir) {
        Ok(applied) => applied,
        Err(e) => panic!("{e}"),
    };
    assert!(applied.response.succeeded);
    let results: Vec<_> = applied
        .response
        .result
        .into_iter()
        .filter_map(|r| r.response)
        .collect();
    match results.as_slice() {
        [
            op_response::Response::GetRange(g),
            op_response::Response::DeleteRange(d),
            op_response::Response::PutKey(p),
        ] => {
            assert_eq!(g.count, 3);
            assert_eq!(
                d.result
                    .iter()
                    .map(|kv| kv.key.as_str())
                    .collect::<Vec<_>>(),
                ["a", "aa", "aaa"]
            );
            assert_eq!(p, &PutKeyResponse::default());
        }
        other => panic!("unexpected results {other:?}"),
    }
    assert_eq!(keys(&store, "", ""), ["a", "b"]);
    // Failure branch, and the empty transaction.
    let failing = TransactionRequest {
        condition: vec![value_cond("zzz", condition::Operator::NotEqual, None)],
        on_success: vec![op_put(put_req("dont_put_me", b"bad"))],
        on_failure: vec![],
    };
    let response = store.transaction(failing, &dir).map(|a| a.response);
    assert_eq!(
        response,
        Ok(TransactionResponse {
            succeeded: false,
            result: vec![]
        })
    );
    assert!(succeeds(&mut store, &dir, vec![]));
    assert_eq!(keys(&store, "", ""), ["a", "b"]);
}

#[test]
fn a_failing_put_anywhere_in_the_branch_rejects_the_whole_transaction() {
    let mut dir = FakeDirectory::with(&[("sleeper", 1)]);
    let mut store = Store::new();
    put_owned(&mut store, &dir, "a", b"a", cid("sleeper", 0));
    dir.complete(&cid("sleeper", 0));
    let owner_only = |key: &str, owner| PutKeyRequest {
        ignore_value: true,
        owner: Some(owner),
        ..put_req(key, b"")
    };
    let cases = [
        (
            owner_only("missing", cid("sleeper", 0)),
            "ignore_value=True & key isn't already set",
        ),
        (
            owner_only("a", cid("unknown", 0)),
            "Unknown service 'unknown'",
        ),
        (
            owner_only("a", cid("sleeper", 99)),
            "Service 'sleeper' has no container instance 99",
        ),
        (
            owner_only("a", cid("sleeper", 0)),
            "Container 'sleeper_0' has already completed",
        ),
    ];
    let stream = store.open_stream();
    watch(&mut store, stream, "", "", watch_create_request::Type::All);
    for (op, message) in cases {
        for succeeded in [true, false] {
            let exists_a = value_cond("a", condition::Operator::NotEqual, None);
            let missing_a = value_cond("a", condition::Operator::Equal, None);
            let branch = vec![
                op_put(put_req("b", b"b")),
                op_delete("c", "d"),
                op_put(op.clone()),
            ];
            let request = if succeeded {
                TransactionRequest {
                    condition: vec![exists_a],
                    on_success: branch,
                    on_failure: vec![op_put(put_req("c", b"c"))],
                }
            } else {
                TransactionRequest {
                    condition: vec![missing_a],
                    on_success: vec![op_put(put_req("c", b"c"))],
                    on_failure: branch,
                }
            };
            let error = store.transaction(request, &dir).err();
            assert_eq!(error.map(|e| e.to_string()).as_deref(), Some(message));
            assert_eq!(keys(&store, "", ""), ["a"]);
        }
    }
}

#[test]
fn ignore_value_puts_see_earlier_deletes_and_puts_of_their_branch() {
    let (mut store, dir) = (Store::new(), FakeDirectory::with(&[("s", 1)]));
    put(&mut store, &dir, "k", b"v");
    let keep_value = |key: &str| PutKeyRequest {
        ignore_value: true,
        owner: Some(cid("s", 0)),
        ..put_req(key, b"")
    };
    // Deleted earlier in the branch: rejected up front (Skein would crash half-applied).
    let request = TransactionRequest {
        on_success: vec![op_delete("k", ""), op_put(keep_value("k"))],
        ..Default::default()
    };
    assert_eq!(
        store.transaction(request, &dir).err(),
        Some(KvError::IgnoreValueOnMissingKey)
    );
    assert_eq!(keys(&store, "", ""), ["k"]);
    // Created earlier in the branch but missing before it: rejected, as Skein's pre-check does.
    let request = TransactionRequest {
        on_success: vec![op_put(put_req("n", b"1")), op_put(keep_value("n"))],
        ..Default::default()
    };
    assert_eq!(
        store.transaction(request, &dir).err(),
        Some(KvError::IgnoreValueOnMissingKey)
    );
    // Existing and untouched before it: fine.
    let request = TransactionRequest {
        on_success: vec![op_delete("a", "b"), op_put(keep_value("k"))],
        ..Default::default()
    };
    assert!(store.transaction(request, &dir).is_ok());
}

#[test]
fn watch_ids_are_global_and_acks_echo_the_id() {
    let mut store = Store::new();
    let (s1, s2) = (store.open_stream(), store.open_stream());
    assert_eq!(
        watch(&mut store, s1, "", "", watch_create_request::Type::All),
        0
    );
    assert_eq!(
        watch(&mut store, s2, "", "", watch_create_request::Type::Put),
        1
    );
    assert_eq!(
        watch(&mut store, s1, "a", "b", watch_create_request::Type::Delete),
        2
    );
    // Cancelling another stream's watch is acknowledged but leaves it in place.
    let ack = store.cancel_watch(s1, &WatchCancelRequest { watch_id: 1 });
    assert_eq!(
        (ack.r#type, ack.watch_id),
        (watch_response::Type::Cancel as i32, 1)
    );
    assert_eq!(store.watch_count(), 3);
    store.cancel_watch(s2, &WatchCancelRequest { watch_id: 1 });
    assert_eq!(store.watch_count(), 2);
    store.close_stream(s1);
    assert_eq!(store.watch_count(), 0);
    assert_eq!(
        watch(&mut store, s2, "", "", watch_create_request::Type::All),
        3
    );
    let bad = WatchCreateRequest {
        event_type: 9,
        ..Default::default()
    };
    assert!(matches!(
        store.create_watch(s2, &bad),
        Err(KvError::UnknownEnumValue { value: 9, .. })
    ));
}

#[test]
fn event_ranges_match_skeins_test_event_ranges() {
    use watch_create_request::Type::All;
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
        log.extend(
            delete(
                &mut store,
                start,
                end,
                delete_range_request::ResultType::None,
            )
            .notifications,
        );
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
        .skip_while(|n| n.response.r#type == watch_response::Type::Put as i32)
        .take(4)
        .collect();
    assert_eq!(first_delete.len(), 4);
    assert_eq!(first_delete[0].response.event.len(), 2);
}

#[test]
fn event_types_filter_puts_and_deletes() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    let stream = store.open_stream();
    let puts = watch(
        &mut store,
        stream,
        "b",
        "e",
        watch_create_request::Type::Put,
    );
    let dels = watch(
        &mut store,
        stream,
        "b",
        "e",
        watch_create_request::Type::Delete,
    );
    let mut log = Vec::new();
    for key in ["a", "b", "c", "d", "e"] {
        log.extend(put(&mut store, &dir, key, b"x"));
    }
    log.extend(delete(&mut store, "", "", delete_range_request::ResultType::None).notifications);
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
    let request = PutKeyRequest {
        owner: Some(cid("s", 0)),
        ..put_req("c", b"v")
    };
    let notifications = store
        .put_key(request, &dir)
        .map(|a| a.notifications)
        .unwrap_or_default();
    assert_eq!(notifications[0].response.event[0].owner, Some(cid("s", 0)));
}

#[test]
fn unknown_enum_numbers_are_invalid_arguments() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    let get = GetRangeRequest {
        result_type: 3,
        ..Default::default()
    };
    assert_eq!(
        store.get_range(&get).map_err(|e| e.code()).err(),
        Some(tonic::Code::InvalidArgument)
    );
    let delete = DeleteRangeRequest {
        result_type: -1,
        ..Default::default()
    };
    assert!(store.delete_range(&delete).is_err());
    let condition = Condition {
        operator: 6,
        ..Default::default()
    };
    let request = TransactionRequest {
        condition: vec![condition],
        ..Default::default()
    };
    assert!(store.transaction(request, &dir).is_err());
    let in_branch = TransactionRequest {
        on_success: vec![
            op_put(put_req("a", b"")),
            OpRequest {
                request: Some(op_request::Request::GetRange(get)),
            },
        ],
        ..Default::default()
    };
    assert!(store.transaction(in_branch, &dir).is_err());
    assert!(store.is_empty());
}
