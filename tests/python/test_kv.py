"""The unchanged Python client's key-value store (`app.kv`) against the skein-rs AM.

All on `long_app` (conftest.py), whose store each test starts and ends empty. Its service
`sleeper` has a completed container `sleeper_0` and a running one, so owners of every kind
(active, completed, unknown instance, unknown service) can be named.
"""
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import MutableMapping

import pytest
from skein import kv

from conftest import needs_cluster

pytestmark = needs_cluster

DATA = {"apple": b"1", "apricot": b"2", "avocado": b"3", "banana": b"4", "blueberry": b"5",
        "cherry": b"6", "date": b"7"}


def sorted_items(pred=lambda k: True, owners=False):
    return OrderedDict((k, (v, None) if owners else v)
                       for k, v in sorted(DATA.items()) if pred(k))


def sleepers(app, n):
    """Scales `sleeper` to n and returns the ids of its active containers."""
    app.scale("sleeper", n)
    return [c.id for c in app.get_containers(services=["sleeper"])]


def test_mutable_mapping(app):
    store = app.kv
    assert isinstance(store, MutableMapping) and store is app.kv
    assert (len(store), list(store), dict(store)) == (0, [], {})
    store["b"] = b"2"
    store["a"] = b"1"
    assert list(store) == ["a", "b"]  # sorted
    assert len(store) == 2 and "a" in store and "zz" not in store
    assert store["a"] == b"1"
    with pytest.raises(KeyError):
        store["zz"]
    with pytest.raises(TypeError):
        store["c"] = "not bytes"
    del store["a"]
    assert "a" not in store
    with pytest.raises(KeyError):
        del store["a"]
    assert store.setdefault("d", b"first") == b"first"
    assert store.setdefault("d", b"second") == b"first"
    store.update({"e": b"5"}, f=b"6")
    store.update([("g", b"7")])
    assert dict(store) == {"b": b"2", "d": b"first", "e": b"5", "f": b"6", "g": b"7"}
    store.clear()
    assert len(store) == 0
    # Non-ASCII keys and arbitrary bytes round-trip.
    store["clé-é"] = b"\x00\xff\x80"
    assert store["clé-é"] == b"\x00\xff\x80"


def test_count_and_list_keys_with_prefix_and_range(app):
    app.kv.update(DATA)
    assert app.kv.count() == 7
    assert app.kv.count(prefix="a") == 3
    assert app.kv.count(start="b") == 4
    assert app.kv.count(end="b") == 3
    assert app.kv.count(start="apricot", end="cherry") == 4
    assert app.kv.count(start="z", end="a") == 0
    assert app.kv.list_keys() == sorted(DATA)
    assert app.kv.list_keys(prefix="b") == ["banana", "blueberry"]
    assert app.kv.list_keys(start="blueberry") == ["blueberry", "cherry", "date"]
    assert app.kv.list_keys(end="apricot") == ["apple"]
    assert app.kv.list_keys(start="avocado", end="cherry") == ["avocado", "banana", "blueberry"]
    assert app.kv.list_keys(prefix="nothing") == []
    assert app.kv.exists("apple") and not app.kv.missing("apple")
    assert app.kv.missing("appl") and not app.kv.exists("appl")


def test_get_and_pop(app):
    app.kv.update(DATA)
    assert app.kv.get("apple") == b"1"
    assert app.kv.get("apple", return_owner=True) == (b"1", None)
    assert app.kv.get("nope") is None
    assert app.kv.get("nope", b"default") == b"default"
    assert app.kv.get("nope", return_owner=True) == (None, None)
    assert app.kv.get_prefix("a") == sorted_items(lambda k: k.startswith("a"))
    assert app.kv.get_prefix("b", return_owner=True) == sorted_items(
        lambda k: k.startswith("b"), owners=True)
    assert app.kv.get_range() == sorted_items()
    assert app.kv.get_range(start="banana", end="date") == sorted_items(
        lambda k: "banana" <= k < "date")
    assert app.kv.get_range(end="b") == sorted_items(lambda k: k < "b")
    assert app.kv.get_range(start="z") == OrderedDict()

    assert app.kv.pop("apple") == b"1" and "apple" not in app.kv
    assert app.kv.pop("apricot", return_owner=True) == (b"2", None)
    assert app.kv.pop("nope", b"default") == b"default"
    assert app.kv.pop_prefix("b") == sorted_items(lambda k: k.startswith("b"))
    assert app.kv.pop_prefix("b") == OrderedDict()
    assert app.kv.pop_range(start="cherry", return_owner=True) == sorted_items(
        lambda k: k >= "cherry", owners=True)
    assert list(app.kv) == ["avocado"]


def test_discard(app):
    app.kv.update(DATA)
    assert app.kv.discard("apple") is True
    assert app.kv.discard("apple") is False
    assert app.kv.discard_prefix("b") == 2
    assert app.kv.discard_prefix("b") == 0
    assert app.kv.discard_prefix("a", return_keys=True) == ["apricot", "avocado"]
    app.kv.update(DATA)
    assert app.kv.discard_range(start="banana", end="date", return_keys=True) == [
        "banana", "blueberry", "cherry"]
    assert app.kv.discard_range(start="z", end="a") == 0
    assert app.kv.discard_range(end="b") == 3
    assert app.kv.discard_range() == 1
    assert len(app.kv) == 0


def test_put_and_swap_with_owners(app):
    owner = sleepers(app, 1)[0]
    app.kv.put("k", b"v")
    assert app.kv.get("k", return_owner=True) == (b"v", None)
    app.kv.put("k", owner=owner)  # the value stays
    assert app.kv.get("k", return_owner=True) == (b"v", owner)
    app.kv.put("k", b"w")  # the owner stays
    assert app.kv.get("k", return_owner=True) == (b"w", owner)
    app.kv.put("k", owner=None)  # cleared, the value stays
    assert app.kv.get("k", return_owner=True) == (b"w", None)

    assert app.kv.swap("s", b"1") is None
    assert app.kv.swap("s", b"2") == b"1"
    assert app.kv.swap("s", b"3", owner=owner, return_owner=True) == (b"2", None)
    assert app.kv.swap("s", owner=None, return_owner=True) == (b"3", owner)
    assert app.kv.swap("new", b"x", return_owner=True) == (None, None)


@pytest.mark.parametrize("owner, message", [
    ("nobody_0", "Unknown service 'nobody'"),
    ("sleeper_99", "Service 'sleeper' has no container instance 99"),
    ("sleeper_0", "Container 'sleeper_0' has already completed"),
])
def test_owner_errors(app, owner, message):
    app.kv["k"] = b"v"
    for call in (lambda: app.kv.put("k", b"x", owner=owner),
                 lambda: app.kv.swap("k", owner=owner)):
        with pytest.raises(ValueError) as exc:
            call()
        assert str(exc.value) == message
    assert app.kv.get("k", return_owner=True) == (b"v", None)
    with pytest.raises(ValueError) as exc:
        app.kv.put("missing", owner=sleepers(app, 1)[0])
    assert str(exc.value) == "ignore_value=True & key isn't already set"


def test_keys_of_a_killed_container_are_deleted(app):
    c1, c2 = sleepers(app, 2)
    deletes = app.kv.events(prefix="o", event_type="delete")
    app.kv.put("o1", b"1", owner=c1)
    app.kv.put("o2", b"2", owner=c1)
    app.kv.put("o3", b"3", owner=c1)
    app.kv.put("o4", b"4", owner=c2)
    app.kv.put("o2", owner=c2)    # another owner now
    app.kv.put("o3", owner=None)  # no owner any more
    app.kv.put("o5", b"5", owner=c1)
    del app.kv["o5"]              # deleted while owned ...
    app.kv["o5"] = b"again"       # ... and recreated without an owner
    assert drain(deletes, 1) == [gone("o5")]
    app.kill_container(c1)
    assert list(app.kv) == ["o2", "o3", "o4", "o5"]
    assert drain(deletes, 1) == [gone("o1")]
    app.kv.put("o4", owner=None)
    app.kill_container(c2)
    assert list(app.kv) == ["o3", "o4", "o5"]
    assert drain(deletes, 1) == [gone("o2")]
    with pytest.raises(ValueError) as exc:
        app.kv.put("o9", b"9", owner=c1)
    assert str(exc.value) == "Container '%s' has already completed" % c1


def test_transaction_conditions_and_null_semantics(app):
    owner = sleepers(app, 1)[0]
    service, instance = owner.rsplit("_", 1)
    higher, lower = "%s_%d" % (service, int(instance) + 1), "%s_%d" % (service, int(instance) - 1)
    app.kv.put("owned", b"m", owner=owner)
    app.kv.put("free", b"m")

    def holds(*conditions):
        return app.kv.transaction(conditions=conditions).succeeded

    value, own = kv.value, kv.owner
    cases = [
        (kv.exists("owned"), True), (kv.exists("none"), False),
        (kv.missing("none"), True), (kv.missing("owned"), False),
        (value("owned") == b"m", True), (value("owned") == b"n", False),
        (value("owned") != b"n", True), (value("owned") < b"n", True),
        (value("owned") < b"m", False), (value("owned") <= b"m", True),
        (value("owned") > b"l", True), (value("owned") >= b"n", False),
        # A missing value equals nothing, differs from everything, and is not ordered.
        (value("none") == b"m", False), (value("none") != b"m", True),
        (value("none") < b"m", False), (value("none") >= b"m", False),
        (own("owned") == owner, True), (own("owned") != owner, False),
        (own("owned") == None, False), (own("free") == None, True),  # noqa: E711
        (own("free") != None, False), (own("owned") != None, True),  # noqa: E711
        (own("owned") < higher, True), (own("owned") > lower, True),
        (own("owned") <= owner, True), (own("owned") >= higher, False),
        (own("free") < owner, False), (own("free") > owner, False),
        (own("free") != owner, True),
    ]
    for condition, expected in cases:
        assert holds(condition) is expected, condition
    assert holds() is True
    assert holds(kv.exists("owned"), kv.exists("free")) is True
    assert holds(kv.exists("owned"), kv.missing("free"), kv.exists("free")) is False


def test_transaction_branches_and_results(app):
    app.kv.update({"a": b"1", "ab": b"2", "b": b"3"})
    result = app.kv.transaction(
        conditions=[kv.value("a") == b"1"],
        on_success=[kv.get_prefix("a"), kv.get("nope"), kv.discard_prefix("a", return_keys=True),
                    kv.put("c", b"4"), kv.swap("b", b"5"), kv.count(), kv.list_keys(),
                    kv.pop("c"), kv.exists("b")],
        on_failure=[kv.put("failed", b"x")])
    assert result.succeeded is True
    assert result.results == [OrderedDict([("a", b"1"), ("ab", b"2")]), None, ["a", "ab"], None,
                              b"3", 2, ["b", "c"], b"4", True]
    assert dict(app.kv) == {"b": b"5"}
    result = app.kv.transaction(conditions=[kv.missing("b")],
                                on_success=[kv.put("x", b"x")],
                                on_failure=[kv.put("failed", b"y"), kv.get_range()])
    assert result == (False, [None, OrderedDict([("b", b"5"), ("failed", b"y")])])
    assert "x" not in app.kv
    assert app.kv.transaction() == (True, [])


@pytest.mark.parametrize("bad, message", [
    (kv.put("missing", owner="sleeper_1"), "ignore_value=True & key isn't already set"),
    (kv.put("a", owner="nobody_0"), "Unknown service 'nobody'"),
    (kv.put("a", owner="sleeper_99"), "Service 'sleeper' has no container instance 99"),
    (kv.put("a", owner="sleeper_0"), "Container 'sleeper_0' has already completed"),
])
def test_failing_transactions_change_nothing(app, bad, message):
    app.kv["a"] = b"a"
    for succeed in (True, False):
        branch = [kv.put("written", b"no"), bad]
        request = dict(conditions=[kv.exists("a") if succeed else kv.missing("a")],
                       on_success=branch if succeed else [kv.put("other", b"no")],
                       on_failure=[kv.put("other", b"no")] if succeed else branch)
        with pytest.raises(ValueError) as exc:
            app.kv.transaction(**request)
        assert str(exc.value) == message
        assert list(app.kv) == ["a"]


def drain(events, n):
    return [(e.key, e.result, str(e.event_type)) for e in
            (events.get(timeout=10) for _ in range(n))]


def assert_no_more(*queues):
    for events in queues:
        with pytest.raises(queue.Empty):
            events.get(timeout=0.2)


def put(key, value, owner=None):
    return (key, (value, owner), "PUT")


def gone(key):
    return (key, None, "DELETE")


def test_event_ranges(app):
    below_c = app.kv.events(end="c")
    from_b = app.kv.events(start="b")
    b_to_d = app.kv.events(start="b", end="d")
    one_key = app.kv.events(key="b")
    prefixed = app.kv.events(prefix="c")
    everything = app.kv.events()
    for k in "abcde":
        app.kv[k] = k.encode()
    app.kv.discard_range(start="b", end="d")
    app.kv.discard_range()
    assert drain(below_c, 4) == [put("a", b"a"), put("b", b"b"), gone("b"), gone("a")]
    assert drain(from_b, 8) == [put(k, k.encode()) for k in "bcde"] + [
        gone("b"), gone("c"), gone("d"), gone("e")]
    assert drain(b_to_d, 4) == [put("b", b"b"), put("c", b"c"), gone("b"), gone("c")]
    assert drain(one_key, 2) == [put("b", b"b"), gone("b")]
    assert drain(prefixed, 2) == [put("c", b"c"), gone("c")]
    assert drain(everything, 10) == [put(k, k.encode()) for k in "abcde"] + [
        gone("b"), gone("c"), gone("a"), gone("d"), gone("e")]
    assert_no_more(below_c, from_b, b_to_d, one_key, prefixed, everything)



def test_event_types_and_owners(app):
    owner = sleepers(app, 1)[0]
    puts = app.kv.events(prefix="k", event_type="put")
    deletes = app.kv.events(prefix="k", event_type="DELETE")
    app.kv.put("k1", b"1", owner=owner)
    app.kv.put("k1", owner=None)
    app.kv.put("k2", b"2")
    app.kv.put("other", b"0")
    del app.kv["k1"]
    app.kv.clear()
    assert drain(puts, 3) == [put("k1", b"1", owner), put("k1", b"1"), put("k2", b"2")]
    assert drain(deletes, 2) == [gone("k1"), gone("k2")]
    assert_no_more(puts, deletes)


def test_event_queues_share_subscriptions(app):
    q1 = app.kv.event_queue()
    low = q1.subscribe(end="b")
    high = q1.subscribe(start="c")
    assert q1.subscribe(end="b") == low and len(q1.filters) == 2
    q2 = app.kv.event_queue()
    assert q2.subscribe(end="b") == low  # one server watch, two queues
    high_deletes = q2.subscribe(start="c", event_type="delete")
    for k in "abcd":
        app.kv[k] = k.encode()
    app.kv.clear()
    events = [q1.get(timeout=10) for _ in range(6)]
    assert [(e.key, str(e.event_type), e.event_filter) for e in events] == [
        ("a", "PUT", low), ("c", "PUT", high), ("d", "PUT", high),
        ("a", "DELETE", low), ("c", "DELETE", high), ("d", "DELETE", high)]
    events = [q2.get(timeout=10) for _ in range(4)]
    assert [(e.key, str(e.event_type), e.event_filter) for e in events] == [
        ("a", "PUT", low), ("a", "DELETE", low), ("c", "DELETE", high_deletes),
        ("d", "DELETE", high_deletes)]

    # Unsubscribing stops the events of that filter only.
    assert q1.unsubscribe(end="b") == low
    with pytest.raises(ValueError):
        q1.unsubscribe(end="b")
    app.kv["a"] = b"again"
    app.kv["e"] = b"e"
    assert [(e.key, e.event_filter) for e in (q1.get(timeout=10),)] == [("e", high)]
    assert q2.get(timeout=10).key == "a"
    with q1:
        pass  # leaving the context unsubscribes everything
    assert len(q1.filters) == 0
    app.kv["f"] = b"f"
    assert_no_more(q1)


def test_wait_blocks_until_the_key_is_put(app):
    def later():
        time.sleep(0.5)
        app.kv.put("waited", b"here")

    for return_owner in (False, True):
        app.kv.discard("waited")
        thread = threading.Thread(target=later, daemon=True)
        thread.start()
        started = time.time()
        expected = (b"here", None) if return_owner else b"here"
        assert app.kv.wait("waited", return_owner=return_owner) == expected
        assert time.time() - started >= 0.4
        thread.join()
        # Already there: at once.
        assert app.kv.wait("waited", return_owner=return_owner) == expected


def test_a_value_too_large_is_refused_naming_the_key_its_size_and_the_limit(app):
    # Over gRPC's 4 MiB message limit: Skein's AM (and skein-rs before) answered with gRPC's
    # raw "decoded message length too large" (RESOURCE_EXHAUSTED: an ApplicationError here).
    limit = 4 * 1024 * 1024 - 64 * 1024
    big = b"x" * (5 * 1024 * 1024)
    with pytest.raises(ValueError) as exc:
        app.kv["big"] = big
    assert str(exc.value) == (
        "The value of key 'big' is %d bytes (the key 3): the key-value store takes a key and "
        "its value of at most %d bytes together (gRPC's 4 MiB message limit, less room for "
        "the reply), so that every client can read them back; store large data on HDFS and "
        "put its path in the key-value store" % (len(big), limit))
    # In a transaction too, and nothing of it is applied.
    with pytest.raises(ValueError) as exc:
        app.kv.transaction(on_success=[kv.put("small", b"1"), kv.put("big", big)])
    assert "The value of key 'big' is %d bytes" % len(big) in str(exc.value)
    assert "small" not in app.kv and "big" not in app.kv
    # The largest value that fits is stored, and read back by this client.
    app.kv["big"] = b"y" * (limit - 3)
    assert len(app.kv["big"]) == limit - 3
    del app.kv["big"]


def test_a_range_too_large_for_one_reply_is_refused_saying_how_to_read_less(app):
    # Three values of 1.5 MB each: stored one by one, but together above gRPC's 4 MiB reply
    # limit (Skein's AM, and skein-rs before, answered "decoded message length too large").
    value = b"z" * 1_500_000
    for key in ("r1", "r2", "r3"):
        app.kv[key] = value
    try:
        with pytest.raises(ValueError) as exc:
            app.kv.get_prefix("r")
        assert "The reply would hold 3 keys" in str(exc.value), str(exc.value)
        assert "narrower range" in str(exc.value), str(exc.value)
        # The keys alone fit, and a narrower range too.
        assert sorted(app.kv.list_keys(prefix="r")) == ["r1", "r2", "r3"]
        assert app.kv.get_range(start="r1", end="r3") == {"r1": value, "r2": value}
        # A delete returning the values (pop) would reply as much: refused, nothing deleted
        # (Skein's AM, and skein-rs before, deleted the keys and then failed on the reply).
        with pytest.raises(ValueError) as exc:
            app.kv.pop_prefix("r")
        assert "The reply of this DeleteRange would hold 3 keys" in str(exc.value), str(exc.value)
        assert "nothing was changed" in str(exc.value), str(exc.value)
        assert sorted(app.kv.list_keys(prefix="r")) == ["r1", "r2", "r3"]
        # A transaction that writes and then reads them all: refused whole.
        with pytest.raises(ValueError) as exc:
            app.kv.transaction(on_success=[kv.put("r0", b"new"), kv.get_prefix("r")])
        assert "The reply of this Transaction would hold 4 keys" in str(exc.value)
        assert "r0" not in app.kv
    finally:
        app.kv.discard_prefix("r")
    assert app.kv.list_keys(prefix="r") == []
