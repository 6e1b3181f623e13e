//! Mutations whose reply could not be sent back are refused before they change anything.

use super::*;

const MIB: usize = 1024 * 1024;

/// Five keys of 1 MiB each under `big/`, and one small key outside.
fn big_store() -> (Store, FakeDirectory) {
    let dir = FakeDirectory::with(&[("svc", 1)]);
    let mut store = Store::new();
    for i in 0..5 {
        put(&mut store, &dir, &format!("big/{i}"), &vec![b'x'; MIB]);
    }
    put(&mut store, &dir, "small", b"1");
    (store, dir)
}

#[test]
fn a_delete_returning_more_than_the_message_limit_is_refused_and_deletes_nothing() {
    let (mut store, _) = big_store();
    let error = store
        .delete_range(&range("big/", "big0", ResultType::Items))
        .expect_err("5 MiB of deleted items");
    let KvError::ReplyTooLarge { items, bytes, .. } = &error else {
        panic!("{error:?}");
    };
    assert_eq!(*items, 5);
    assert!(*bytes > 5 * MIB, "{bytes}");
    let message = error.to_string();
    assert!(
        message.contains("DeleteRange would hold 5 keys")
            && message.contains("nothing was changed")
            && message.contains("result type NONE"),
        "{message}"
    );
    assert_eq!(store.len(), 6, "nothing deleted");
}

#[test]
fn the_same_delete_without_items_or_with_keys_only_goes_through() {
    let (mut store, _) = big_store();
    let keys = delete(&mut store, "big/", "big/3", ResultType::Keys);
    assert_eq!(keys.response.count, 3);
    let none = delete(&mut store, "big/", "big0", ResultType::None);
    assert_eq!(none.response.count, 2);
    assert_eq!(store.len(), 1);
}

#[test]
fn a_transaction_whose_results_pass_the_limit_is_refused_and_applies_nothing() {
    let (mut store, dir) = big_store();
    // The put alone would be fine; the read of everything it sits among is not.
    let request = Transaction {
        conditions: Vec::new(),
        on_success: vec![
            Op::PutKey(put_req("big/5", b"new")),
            Op::GetRange(range("big/", "big0", ResultType::Items)),
        ],
        on_failure: Vec::new(),
    };
    let error = store
        .transaction(request, &dir)
        .expect_err("a 5 MiB read in a transaction");
    assert!(
        error.to_string().contains("Transaction would hold 6 keys"),
        "{error}"
    );
    assert!(
        keys(&store, "big/5", "big/6").is_empty(),
        "the put was not applied"
    );
}

#[test]
fn earlier_puts_of_the_branch_count_in_what_later_operations_return() {
    let dir = FakeDirectory::with(&[]);
    let mut store = Store::new();
    // The store is empty: only the branch's own puts make the reply large.
    let ops: Vec<Op> = (0..3)
        .map(|i| Op::PutKey(put_req(&format!("k{i}"), &vec![b'y'; 2 * MIB - 4096])))
        .chain([Op::DeleteRange(range("k", "l", ResultType::Items))])
        .collect();
    assert!(store.reply_bound(&ops) > MAX_REPLY_BYTES);
    let request = Transaction {
        conditions: Vec::new(),
        on_success: ops,
        on_failure: Vec::new(),
    };
    assert!(matches!(
        store.transaction(request, &dir),
        Err(KvError::ReplyTooLarge { items: 3, .. })
    ));
    assert!(store.is_empty());
}

#[test]
fn puts_returning_previous_values_count_the_value_each_one_replaces() {
    let (store, _) = big_store();
    let replace = |key: &str| {
        Op::PutKey(PutKey {
            return_previous: true,
            ..put_req(key, b"z")
        })
    };
    // Three 1 MiB previous values fit in 4 MiB with their framing; four do not.
    let three: Vec<Op> = (0..3).map(|i| replace(&format!("big/{i}"))).collect();
    assert!(store.reply_bound(&three) < MAX_REPLY_BYTES);
    let four: Vec<Op> = (0..4).map(|i| replace(&format!("big/{i}"))).collect();
    assert!(store.reply_bound(&four) > MAX_REPLY_BYTES);
    // A key put twice returns the stored value first, then the branch's own small one.
    let twice = vec![replace("big/0"), replace("big/0")];
    let bound = store.reply_bound(&twice);
    assert!(bound > MIB && bound < MIB + 4096, "{bound}");
}
