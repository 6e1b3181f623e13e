//! Model-based property test: random operation sequences run against [`Store`] and against a
//! deliberately naive reference (a `BTreeMap` keyed by UTF-16 code units, linear scans, and a
//! transaction that applies to a copy and throws it away on error). Every response, error and
//! watch notification, and the final contents, must agree.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::tests::{FakeDirectory, cid};
use super::*;
use crate::proto::watch_response;

const OWNERS: [(&str, i32); 6] = [("a", 0), ("a", 1), ("a", 2), ("b", 0), ("zz", 0), ("a", 7)];
const STREAMS: usize = 2;

fn owner(index: usize) -> ContainerInstance {
    let (service, instance) = OWNERS[index % OWNERS.len()];
    cid(service, instance)
}

#[derive(Debug, Clone)]
enum SubOp {
    Put {
        key: String,
        value: Vec<u8>,
        owner: Option<usize>,
        ignore_value: bool,
        ignore_owner: bool,
        return_previous: bool,
    },
    Get {
        start: String,
        end: String,
        result_type: i32,
    },
    Delete {
        start: String,
        end: String,
        result_type: i32,
    },
}

#[derive(Debug, Clone)]
enum Op {
    Single(SubOp),
    Transaction {
        conditions: Vec<Condition>,
        on_success: Vec<SubOp>,
        on_failure: Vec<SubOp>,
    },
    Complete(usize),
    Watch {
        stream: usize,
        start: String,
        end: String,
        event_type: i32,
    },
    Cancel {
        stream: usize,
        watch_id: i32,
    },
    CloseStream(usize),
}

fn key() -> impl Strategy<Value = String> {
    let alphabet = prop::sample::select(vec!['a', 'b', '\u{0}', '\u{E000}', '\u{10000}']);
    prop::collection::vec(alphabet, 0..3).prop_map(|cs| cs.into_iter().collect())
}

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(vec![0u8, 1, 0x7f, 0x80, 0xff]), 0..3)
}

fn sub_op() -> impl Strategy<Value = SubOp> {
    prop_oneof![
        4 => (key(), value(), prop::option::of(0..OWNERS.len()), prop::bool::weighted(0.3), prop::bool::weighted(0.3), any::<bool>())
            .prop_map(|(key, value, owner, ignore_value, ignore_owner, return_previous)| SubOp::Put {
                key, value, owner, ignore_value, ignore_owner, return_previous
            }),
        1 => (key(), key(), 0..3).prop_map(|(start, end, result_type)| SubOp::Get { start, end, result_type }),
        2 => (key(), key(), 0..3).prop_map(|(start, end, result_type)| SubOp::Delete { start, end, result_type }),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    let rhs = prop_oneof![
        Just(None),
        value().prop_map(|v| Some(condition::Rhs::Value(v))),
        (0..OWNERS.len()).prop_map(|i| Some(condition::Rhs::Owner(owner(i)))),
    ];
    (key(), 0..6, 0..2, rhs).prop_map(|(key, operator, field, rhs)| Condition {
        key,
        operator,
        field,
        rhs,
    })
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => sub_op().prop_map(Op::Single),
        3 => (prop::collection::vec(condition(), 0..3), prop::collection::vec(sub_op(), 0..4), prop::collection::vec(sub_op(), 0..4))
            .prop_map(|(conditions, on_success, on_failure)| Op::Transaction { conditions, on_success, on_failure }),
        1 => (0..OWNERS.len()).prop_map(Op::Complete),
        2 => (0..STREAMS, key(), key(), 0..3).prop_map(|(stream, start, end, event_type)| Op::Watch { stream, start, end, event_type }),
        1 => (0..STREAMS, 0..6).prop_map(|(stream, watch_id)| Op::Cancel { stream, watch_id }),
        1 => (0..STREAMS).prop_map(Op::CloseStream),
    ]
}

fn to_request(op: &SubOp) -> OpRequest {
    let request = match op.clone() {
        SubOp::Put {
            key,
            value,
            owner: o,
            ignore_value,
            ignore_owner,
            return_previous,
        } => op_request::Request::PutKey(PutKeyRequest {
            key,
            value,
            owner: o.map(owner),
            ignore_value,
            ignore_owner,
            return_previous,
        }),
        SubOp::Get {
            start,
            end,
            result_type,
        } => op_request::Request::GetRange(GetRangeRequest {
            start,
            end,
            result_type,
        }),
        SubOp::Delete {
            start,
            end,
            result_type,
        } => op_request::Request::DeleteRange(DeleteRangeRequest {
            start,
            end,
            result_type,
        }),
    };
    OpRequest {
        request: Some(request),
    }
}

// ---------------------------------------------------------------- the reference model

fn units(s: &str) -> Vec<u16> {
    s.encode_utf16().collect()
}

fn in_range(start: &str, end: &str, key: &str) -> bool {
    let open_start = start.is_empty() || start == "\u{0}";
    let open_end = end.is_empty();
    if !open_start && !open_end && units(start) > units(end) {
        return false;
    }
    (open_start || units(start) <= units(key)) && (open_end || units(key) < units(end))
}

#[derive(Debug, Clone)]
struct ModelWatch {
    id: WatchId,
    stream: StreamId,
    start: String,
    end: String,
    puts: bool,
    deletes: bool,
}

impl ModelWatch {
    fn sees(&self, key: &str) -> bool {
        units(&self.start) <= units(key) && (self.end.is_empty() || units(key) < units(&self.end))
    }
}

#[derive(Debug, Clone, Default)]
struct Model {
    map: BTreeMap<Vec<u16>, KeyValue>,
    watches: Vec<ModelWatch>,
    next_watch: WatchId,
}

impl Model {
    fn notify(&self, kind: watch_response::Type, keys: &[KeyValue], out: &mut Vec<Notification>) {
        for w in &self.watches {
            let wanted = if kind == watch_response::Type::Put {
                w.puts
            } else {
                w.deletes
            };
            let event: Vec<KeyValue> = keys
                .iter()
                .filter(|kv| wanted && w.sees(&kv.key))
                .cloned()
                .collect();
            if !event.is_empty() {
                let response = WatchResponse {
                    r#type: kind as i32,
                    watch_id: w.id,
                    event,
                };
                out.push(Notification {
                    stream: w.stream,
                    response,
                });
            }
        }
    }

    fn put(
        &mut self,
        initial: &Model,
        op: &PutKeyRequest,
        dir: &FakeDirectory,
        out: &mut Vec<Notification>,
    ) -> Result<PutKeyResponse, KvError> {
        let k = units(&op.key);
        if op.ignore_value && op.ignore_owner {
            return Err(KvError::IgnoreValueAndOwner);
        }
        if op.ignore_value && !(initial.map.contains_key(&k) && self.map.contains_key(&k)) {
            return Err(KvError::IgnoreValueOnMissingKey);
        }
        if let (false, Some(o)) = (op.ignore_owner, &op.owner) {
            let (service, instance) = (o.service_name.clone(), o.instance);
            match dir.owner_state(o) {
                OwnerState::Active => {}
                OwnerState::UnknownService => return Err(KvError::UnknownService { service }),
                OwnerState::UnknownInstance => {
                    return Err(KvError::UnknownInstance { service, instance });
                }
                OwnerState::Completed => {
                    return Err(KvError::ContainerCompleted { service, instance });
                }
            }
        }
        let previous = self.map.get(&k).cloned();
        let new = KeyValue {
            key: op.key.clone(),
            value: if op.ignore_value {
                previous.clone().map(|p| p.value).unwrap_or_default()
            } else {
                op.value.clone()
            },
            owner: if op.ignore_owner {
                previous.clone().and_then(|p| p.owner)
            } else {
                op.owner.clone()
            },
        };
        self.map.insert(k, new.clone());
        self.notify(watch_response::Type::Put, &[new], out);
        Ok(PutKeyResponse {
            return_previous: op.return_previous,
            previous: previous.filter(|_| op.return_previous),
        })
    }

    fn get(&self, op: &GetRangeRequest) -> GetRangeResponse {
        let selected: Vec<&KeyValue> = self
            .map
            .values()
            .filter(|kv| in_range(&op.start, &op.end, &kv.key))
            .collect();
        let result = match op.result_type {
            0 => selected.iter().map(|kv| (*kv).clone()).collect(),
            1 => selected
                .iter()
                .map(|kv| KeyValue {
                    key: kv.key.clone(),
                    ..Default::default()
                })
                .collect(),
            _ => vec![],
        };
        GetRangeResponse {
            count: selected.len() as i32,
            result_type: op.result_type,
            result,
        }
    }

    fn delete(
        &mut self,
        op: &DeleteRangeRequest,
        out: &mut Vec<Notification>,
    ) -> DeleteRangeResponse {
        let selected: Vec<KeyValue> = self
            .map
            .values()
            .filter(|kv| in_range(&op.start, &op.end, &kv.key))
            .cloned()
            .collect();
        let keys: Vec<KeyValue> = selected
            .iter()
            .map(|kv| KeyValue {
                key: kv.key.clone(),
                ..Default::default()
            })
            .collect();
        self.notify(watch_response::Type::Delete, &keys, out);
        for kv in &selected {
            self.map.remove(&units(&kv.key));
        }
        let result = match op.result_type {
            1 => selected.clone(),
            2 => keys,
            _ => vec![],
        };
        DeleteRangeResponse {
            count: selected.len() as i32,
            result_type: op.result_type,
            result,
        }
    }

    fn condition(&self, c: &Condition) -> bool {
        use condition::Operator::*;
        let kv = self.map.get(&units(&c.key));
        let (lhs, rhs): (Option<Vec<u8>>, Option<Vec<u8>>) = if c.field == 0 {
            (
                kv.map(|kv| kv.value.clone()),
                match &c.rhs {
                    Some(condition::Rhs::Value(v)) => Some(v.clone()),
                    _ => None,
                },
            )
        } else {
            // Encode owners so byte order = (service UTF-16, instance) order, for this pool.
            let enc = |o: &ContainerInstance| {
                let mut v: Vec<u8> = units(&o.service_name)
                    .iter()
                    .flat_map(|u| u.to_be_bytes())
                    .collect();
                v.extend([0xff, 0xff]);
                v.extend((o.instance as u32 ^ 0x8000_0000).to_be_bytes());
                v
            };
            (
                kv.and_then(|kv| kv.owner.as_ref()).map(enc),
                match &c.rhs {
                    Some(condition::Rhs::Owner(o)) => Some(enc(o)),
                    _ => None,
                },
            )
        };
        let op = condition::Operator::try_from(c.operator).unwrap_or(Equal);
        match (lhs, rhs) {
            (Some(l), Some(r)) => match op {
                Equal => l == r,
                NotEqual => l != r,
                Less => l < r,
                LessEqual => l <= r,
                Greater => l > r,
                GreaterEqual => l >= r,
            },
            (l, r) => match op {
                Equal => l.is_none() && r.is_none(),
                NotEqual => !(l.is_none() && r.is_none()),
                _ => false,
            },
        }
    }

    fn transaction(
        &mut self,
        request: &TransactionRequest,
        dir: &FakeDirectory,
        out: &mut Vec<Notification>,
    ) -> Result<TransactionResponse, KvError> {
        let succeeded = request.condition.iter().all(|c| self.condition(c));
        let ops = if succeeded {
            &request.on_success
        } else {
            &request.on_failure
        };
        let mut scratch = self.clone();
        let mut events = Vec::new();
        let mut result = Vec::new();
        for op in ops {
            let response = match &op.request {
                Some(op_request::Request::PutKey(p)) => {
                    op_response::Response::PutKey(scratch.put(self, p, dir, &mut events)?)
                }
                Some(op_request::Request::GetRange(g)) => {
                    op_response::Response::GetRange(scratch.get(g))
                }
                Some(op_request::Request::DeleteRange(d)) => {
                    op_response::Response::DeleteRange(scratch.delete(d, &mut events))
                }
                None => continue,
            };
            result.push(OpResponse {
                response: Some(response),
            });
        }
        *self = scratch;
        out.extend(events);
        Ok(TransactionResponse { succeeded, result })
    }

    fn complete(&mut self, o: &ContainerInstance, out: &mut Vec<Notification>) {
        let owned: Vec<KeyValue> = self
            .map
            .values()
            .filter(|kv| kv.owner.as_ref() == Some(o))
            .cloned()
            .collect();
        for kv in owned {
            self.map.remove(&units(&kv.key));
            self.notify(
                watch_response::Type::Delete,
                &[KeyValue {
                    key: kv.key,
                    ..Default::default()
                }],
                out,
            );
        }
    }
}

// ---------------------------------------------------------------- the property

fn run(ops: Vec<Op>) -> Result<(), TestCaseError> {
    let mut dir = FakeDirectory::with(&[("a", 3), ("b", 1)]);
    let mut store = Store::new();
    let mut model = Model::default();
    let mut streams: Vec<StreamId> = (0..STREAMS).map(|_| store.open_stream()).collect();
    for op in ops {
        let mut expected = Vec::new();
        let actual: Vec<Notification> = match op {
            Op::Single(sub) => match to_request(&sub).request {
                Some(op_request::Request::PutKey(p)) => {
                    let initial = model.clone();
                    let want = model.put(&initial, &p, &dir, &mut expected);
                    let got = store.put_key(p, &dir);
                    prop_assert_eq!(got.as_ref().map(|a| &a.response), want.as_ref());
                    got.map(|a| a.notifications).unwrap_or_default()
                }
                Some(op_request::Request::GetRange(g)) => {
                    prop_assert_eq!(store.get_range(&g), Ok(model.get(&g)));
                    Vec::new()
                }
                Some(op_request::Request::DeleteRange(d)) => {
                    let want = model.delete(&d, &mut expected);
                    let got = store.delete_range(&d);
                    prop_assert_eq!(got.as_ref().map(|a| &a.response), Ok(&want));
                    got.map(|a| a.notifications).unwrap_or_default()
                }
                None => Vec::new(),
            },
            Op::Transaction {
                conditions,
                on_success,
                on_failure,
            } => {
                let request = TransactionRequest {
                    condition: conditions,
                    on_success: on_success.iter().map(to_request).collect(),
                    on_failure: on_failure.iter().map(to_request).collect(),
                };
                let want = model.transaction(&request, &dir, &mut expected);
                let got = store.transaction(request, &dir);
                prop_assert_eq!(got.as_ref().map(|a| &a.response), want.as_ref());
                got.map(|a| a.notifications).unwrap_or_default()
            }
            Op::Complete(index) => {
                let o = owner(index);
                dir.complete(&o);
                model.complete(&o, &mut expected);
                store.container_completed(&o)
            }
            Op::Watch {
                stream,
                start,
                end,
                event_type,
            } => {
                let request = WatchCreateRequest {
                    start: start.clone(),
                    end: end.clone(),
                    event_type,
                };
                let ack = store.create_watch(streams[stream], &request);
                let id = model.next_watch;
                model.next_watch += 1;
                let (puts, deletes) = (event_type != 2, event_type != 1);
                model.watches.push(ModelWatch {
                    id,
                    stream: streams[stream],
                    start,
                    end,
                    puts,
                    deletes,
                });
                prop_assert_eq!(
                    ack.map(|r| (r.r#type, r.watch_id)),
                    Ok((watch_response::Type::Create as i32, id))
                );
                Vec::new()
            }
            Op::Cancel { stream, watch_id } => {
                let s = streams[stream];
                model
                    .watches
                    .retain(|w| !(w.id == watch_id && w.stream == s));
                let ack = store.cancel_watch(s, &WatchCancelRequest { watch_id });
                prop_assert_eq!(
                    (ack.r#type, ack.watch_id),
                    (watch_response::Type::Cancel as i32, watch_id)
                );
                Vec::new()
            }
            Op::CloseStream(stream) => {
                let s = streams[stream];
                model.watches.retain(|w| w.stream != s);
                store.close_stream(s);
                streams[stream] = store.open_stream();
                Vec::new()
            }
        };
        prop_assert_eq!(actual, expected);
        prop_assert_eq!(store.watch_count(), model.watches.len());
    }
    let want: Vec<KeyValue> = model.map.into_values().collect();
    prop_assert_eq!(store.items(), want);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn store_agrees_with_the_reference_model(ops in prop::collection::vec(op(), 1..40)) {
        run(ops)?;
    }
}

#[test]
fn model_owner_encoding_orders_like_compare_owners() {
    // The model's byte encoding of owners must agree with the store's comparison for the pool.
    for a in 0..OWNERS.len() {
        for b in 0..OWNERS.len() {
            let (x, y) = (owner(a), owner(b));
            let mut m = Model::default();
            m.map.insert(
                units("k"),
                KeyValue {
                    key: "k".into(),
                    value: vec![],
                    owner: Some(x.clone()),
                },
            );
            let less = Condition {
                key: "k".into(),
                operator: 2,
                field: 1,
                rhs: Some(condition::Rhs::Owner(y.clone())),
            };
            assert_eq!(
                m.condition(&less),
                compare_owners(&x, &y) == std::cmp::Ordering::Less,
                "{x:?} < {y:?}"
            );
        }
    }
}
