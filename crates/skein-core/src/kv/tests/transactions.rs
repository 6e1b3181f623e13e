//! Transactions: conditions, branches, atomic pre-checks, and malformed requests.

use super::*;

fn value_cond(key: &str, operator: Operator, rhs: Option<&[u8]>) -> Condition {
    Condition {
        key: key.into(),
        operator,
        operand: Operand::Value(rhs.map(<[u8]>::to_vec)),
    }
}

fn owner_cond(key: &str, operator: Operator, rhs: Option<ContainerInstance>) -> Condition {
    Condition {
        key: key.into(),
        operator,
        operand: Operand::Owner(rhs),
    }
}

fn succeeds(store: &mut Store, dir: &FakeDirectory, conditions: Vec<Condition>) -> bool {
    let request = Transaction {
        conditions,
        ..Default::default()
    };
    match store.transaction(request, dir) {
        Ok(applied) => applied.response.succeeded,
        Err(e) => panic!("transaction: {e}"),
    }
}

#[test]
fn conditions_compare_values_and_owners_with_null_only_equal_to_null() {
    use Operator::*;
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
        vec![value_cond("k", Operator::Less, Some(&[0x80]))]
    ));
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond("k", Operator::Greater, Some(&[0x00, 0xff]))]
    ));
    assert!(succeeds(
        &mut store,
        &dir,
        vec![value_cond("k", Operator::Less, Some(&[0x01, 0x00]))]
    ));
}

fn op_put(request: PutKey) -> Op {
    Op::PutKey(request)
}

fn op_delete(start: &str, end: &str) -> Op {
    Op::DeleteRange(range(start, end, ResultType::Keys))
}

fn op_get(start: &str, end: &str) -> Op {
    Op::GetRange(range(start, end, ResultType::Items))
}

#[test]
fn transactions_run_the_chosen_branch_in_order() {
    let (mut store, dir) = (Store::new(), FakeDirectory::default());
    for key in ["a", "aa", "aaa", "b"] {
        put(&mut store, &dir, key, key.as_bytes());
    }
    let exists_a = value_cond("a", Operator::NotEqual, None);
    let request = Transaction {
        conditions: vec![exists_a],
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
    match applied.response.results.as_slice() {
        [
            OpResult::GetRange(g),
            OpResult::DeleteRange(d),
            OpResult::PutKey(p),
        ] => {
            assert_eq!(g.count, 3);
            assert_eq!(
                d.result
                    .iter()
                    .map(|kv| kv.key.as_str())
                    .collect::<Vec<_>>(),
                ["a", "aa", "aaa"]
            );
            assert_eq!(
                p,
                &PutResult {
                    return_previous: false,
                    previous: None
                }
            );
        }
        other => panic!("unexpected results {other:?}"),
    }
    assert_eq!(keys(&store, "", ""), ["a", "b"]);
    // Failure branch, and the empty transaction.
    let failing = Transaction {
        conditions: vec![value_cond("zzz", Operator::NotEqual, None)],
        on_success: vec![op_put(put_req("dont_put_me", b"bad"))],
        on_failure: vec![],
    };
    let response = store.transaction(failing, &dir).map(|a| a.response);
    assert_eq!(
        response,
        Ok(TransactionResult {
            succeeded: false,
            results: vec![]
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
    let owner_only = |key: &str, owner| PutKey {
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
    watch(&mut store, stream, "", "", EventType::All);
    for (op, message) in cases {
        for succeeded in [true, false] {
            let exists_a = value_cond("a", Operator::NotEqual, None);
            let missing_a = value_cond("a", Operator::Equal, None);
            let branch = vec![
                op_put(put_req("b", b"b")),
                op_delete("c", "d"),
                op_put(op.clone()),
            ];
            let request = if succeeded {
                Transaction {
                    conditions: vec![exists_a],
                    on_success: branch,
                    on_failure: vec![op_put(put_req("c", b"c"))],
                }
            } else {
                Transaction {
                    conditions: vec![missing_a],
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
    let keep_value = |key: &str| PutKey {
        ignore_value: true,
        owner: Some(cid("s", 0)),
        ..put_req(key, b"")
    };
    // Deleted earlier in the branch: rejected up front (Skein would crash half-applied).
    let request = Transaction {
        on_success: vec![op_delete("k", ""), op_put(keep_value("k"))],
        ..Default::default()
    };
    assert_eq!(
        store.transaction(request, &dir).err(),
        Some(KvError::IgnoreValueOnMissingKey)
    );
    assert_eq!(keys(&store, "", ""), ["k"]);
    // Created earlier in the branch but missing before it: rejected, as Skein's pre-check does.
    let request = Transaction {
        on_success: vec![op_put(put_req("n", b"1")), op_put(keep_value("n"))],
        ..Default::default()
    };
    assert_eq!(
        store.transaction(request, &dir).err(),
        Some(KvError::IgnoreValueOnMissingKey)
    );
    // Existing and untouched before it: fine.
    let request = Transaction {
        on_success: vec![op_delete("a", "b"), op_put(keep_value("k"))],
        ..Default::default()
    };
    assert!(store.transaction(request, &dir).is_ok());
}
