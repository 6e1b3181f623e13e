//! The key-value store's wire edge: `skein.proto` kv messages to the store's domain types
//! (`skein_core::kv`) and back.
//!
//! A request carrying an enum number that `skein.proto` does not define is rejected here
//! whole ([`KvError::UnknownEnumValue`]), before the store sees it. Keys, values and owners
//! are moved, never copied; an empty transaction operation is dropped, as Skein skips it.

use skein_core::kv::{
    Condition, EventType, KeyValue, KvError, Op, OpResult, Operand, Operator, PutKey, PutResult,
    Range, RangeResult, ResultType, Transaction, TransactionResult, WatchCreate, WatchResponse,
    WatchResponseKind,
};

use crate::proto::{
    self, condition, delete_range_request, get_range_request, op_request, op_response,
    watch_create_request, watch_response,
};

fn unknown(field: &'static str, value: i32) -> KvError {
    KvError::UnknownEnumValue { field, value }
}

/// A `GetRangeRequest` (result types ITEMS = 0, KEYS = 1, NONE = 2).
pub(crate) fn get_range(request: proto::GetRangeRequest) -> Result<Range, KvError> {
    use get_range_request::ResultType as Wire;
    let result_type = match Wire::try_from(request.result_type) {
        Ok(Wire::Items) => ResultType::Items,
        Ok(Wire::Keys) => ResultType::Keys,
        Ok(Wire::None) => ResultType::None,
        Err(_) => return Err(unknown("GetRangeRequest.result_type", request.result_type)),
    };
    Ok(Range {
        start: request.start,
        end: request.end,
        result_type,
    })
}

/// A `DeleteRangeRequest` (result types NONE = 0, ITEMS = 1, KEYS = 2: not GetRange's order).
pub(crate) fn delete_range(request: proto::DeleteRangeRequest) -> Result<Range, KvError> {
    use delete_range_request::ResultType as Wire;
    let result_type = match Wire::try_from(request.result_type) {
        Ok(Wire::None) => ResultType::None,
        Ok(Wire::Items) => ResultType::Items,
        Ok(Wire::Keys) => ResultType::Keys,
        Err(_) => {
            return Err(unknown(
                "DeleteRangeRequest.result_type",
                request.result_type,
            ));
        }
    };
    Ok(Range {
        start: request.start,
        end: request.end,
        result_type,
    })
}

/// A `PutKeyRequest` (nothing to check on the wire).
pub(crate) fn put_key(request: proto::PutKeyRequest) -> PutKey {
    PutKey {
        key: request.key,
        value: request.value,
        owner: request.owner.map(Into::into),
        ignore_value: request.ignore_value,
        ignore_owner: request.ignore_owner,
        return_previous: request.return_previous,
    }
}

/// A `TransactionRequest`: its conditions, then both branches, checked in that order.
pub(crate) fn transaction(request: proto::TransactionRequest) -> Result<Transaction, KvError> {
    let ops = |ops: Vec<proto::OpRequest>| -> Result<Vec<Op>, KvError> {
        ops.into_iter()
            .filter_map(|op| op.request.map(op_from_wire))
            .collect()
    };
    Ok(Transaction {
        conditions: request
            .condition
            .into_iter()
            .map(condition_from_wire)
            .collect::<Result<_, _>>()?,
        on_success: ops(request.on_success)?,
        on_failure: ops(request.on_failure)?,
    })
}

fn op_from_wire(op: op_request::Request) -> Result<Op, KvError> {
    Ok(match op {
        op_request::Request::GetRange(get) => Op::GetRange(get_range(get)?),
        op_request::Request::PutKey(put) => Op::PutKey(put_key(put)),
        op_request::Request::DeleteRange(delete) => Op::DeleteRange(delete_range(delete)?),
    })
}

/// A condition: a right-hand side of the other kind than `field` (or none) is null.
fn condition_from_wire(c: proto::Condition) -> Result<Condition, KvError> {
    use condition::{Field, Operator as Wire, Rhs};
    let operator = match Wire::try_from(c.operator) {
        Ok(Wire::Equal) => Operator::Equal,
        Ok(Wire::NotEqual) => Operator::NotEqual,
        Ok(Wire::Less) => Operator::Less,
        Ok(Wire::LessEqual) => Operator::LessEqual,
        Ok(Wire::Greater) => Operator::Greater,
        Ok(Wire::GreaterEqual) => Operator::GreaterEqual,
        Err(_) => return Err(unknown("Condition.operator", c.operator)),
    };
    let operand = match (Field::try_from(c.field), c.rhs) {
        (Ok(Field::Value), Some(Rhs::Value(value))) => Operand::Value(Some(value)),
        (Ok(Field::Value), _) => Operand::Value(None),
        (Ok(Field::Owner), Some(Rhs::Owner(owner))) => Operand::Owner(Some(owner.into())),
        (Ok(Field::Owner), _) => Operand::Owner(None),
        (Err(_), _) => return Err(unknown("Condition.field", c.field)),
    };
    Ok(Condition {
        key: c.key,
        operator,
        operand,
    })
}

/// A `WatchCreateRequest`.
pub(crate) fn watch_create(request: proto::WatchCreateRequest) -> Result<WatchCreate, KvError> {
    use watch_create_request::Type;
    let event_type = match Type::try_from(request.event_type) {
        Ok(Type::All) => EventType::All,
        Ok(Type::Put) => EventType::Put,
        Ok(Type::Delete) => EventType::Delete,
        Err(_) => {
            return Err(unknown("WatchCreateRequest.event_type", request.event_type));
        }
    };
    Ok(WatchCreate {
        start: request.start,
        end: request.end,
        event_type,
    })
}

/// Counts go out as proto `int32`; a store with more than 2^31 keys saturates.
fn count_i32(count: usize) -> i32 {
    i32::try_from(count).unwrap_or(i32::MAX)
}

fn key_values(items: Vec<KeyValue>) -> Vec<proto::KeyValue> {
    items.into_iter().map(key_value).collect()
}

/// One key-value on the wire.
pub(crate) fn key_value(kv: KeyValue) -> proto::KeyValue {
    proto::KeyValue {
        key: kv.key,
        value: kv.value,
        owner: kv.owner.map(Into::into),
    }
}

/// A `GetRangeResponse`.
pub(crate) fn get_range_response(result: RangeResult) -> proto::GetRangeResponse {
    use get_range_request::ResultType as Wire;
    let result_type = match result.result_type {
        ResultType::Items => Wire::Items,
        ResultType::Keys => Wire::Keys,
        ResultType::None => Wire::None,
    };
    proto::GetRangeResponse {
        count: count_i32(result.count),
        result_type: result_type.into(),
        result: key_values(result.result),
    }
}

/// A `DeleteRangeResponse`.
pub(crate) fn delete_range_response(result: RangeResult) -> proto::DeleteRangeResponse {
    use delete_range_request::ResultType as Wire;
    let result_type = match result.result_type {
        ResultType::Items => Wire::Items,
        ResultType::Keys => Wire::Keys,
        ResultType::None => Wire::None,
    };
    proto::DeleteRangeResponse {
        count: count_i32(result.count),
        result_type: result_type.into(),
        result: key_values(result.result),
    }
}

/// A `PutKeyResponse`.
pub(crate) fn put_key_response(result: PutResult) -> proto::PutKeyResponse {
    proto::PutKeyResponse {
        return_previous: result.return_previous,
        previous: result.previous.map(key_value),
    }
}

/// A `TransactionResponse`.
pub(crate) fn transaction_response(result: TransactionResult) -> proto::TransactionResponse {
    let result_of = |result: OpResult| {
        let response = match result {
            OpResult::GetRange(get) => op_response::Response::GetRange(get_range_response(get)),
            OpResult::PutKey(put) => op_response::Response::PutKey(put_key_response(put)),
            OpResult::DeleteRange(delete) => {
                op_response::Response::DeleteRange(delete_range_response(delete))
            }
        };
        proto::OpResponse {
            response: Some(response),
        }
    };
    proto::TransactionResponse {
        succeeded: result.succeeded,
        result: result.results.into_iter().map(result_of).collect(),
    }
}

/// A `WatchResponse`.
pub(crate) fn watch_response(response: WatchResponse) -> proto::WatchResponse {
    let kind = match response.kind {
        WatchResponseKind::Create => watch_response::Type::Create,
        WatchResponseKind::Cancel => watch_response::Type::Cancel,
        WatchResponseKind::Put => watch_response::Type::Put,
        WatchResponseKind::Delete => watch_response::Type::Delete,
    };
    proto::WatchResponse {
        r#type: kind.into(),
        watch_id: response.watch_id,
        event: key_values(response.events),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_result_type_numberings_are_kept_apart() {
        let get = proto::GetRangeRequest {
            result_type: 0,
            ..Default::default()
        };
        let delete = proto::DeleteRangeRequest {
            result_type: 0,
            ..Default::default()
        };
        assert_eq!(get_range(get).map(|r| r.result_type), Ok(ResultType::Items));
        assert_eq!(
            delete_range(delete).map(|r| r.result_type),
            Ok(ResultType::None)
        );
        let result = RangeResult {
            count: 1,
            result_type: ResultType::Keys,
            result: vec![],
        };
        assert_eq!(get_range_response(result.clone()).result_type, 1);
        assert_eq!(delete_range_response(result).result_type, 2);
    }

    #[test]
    fn unknown_enum_numbers_are_invalid_arguments_naming_the_field() {
        let get = proto::GetRangeRequest {
            result_type: 3,
            ..Default::default()
        };
        assert_eq!(
            get_range(get).map(|_| ()),
            Err(KvError::UnknownEnumValue {
                field: "GetRangeRequest.result_type",
                value: 3
            })
        );
        let watch = proto::WatchCreateRequest {
            event_type: 9,
            ..Default::default()
        };
        assert!(watch_create(watch).is_err());
        // A bad number anywhere in a transaction rejects it, even in the branch that would
        // not run.
        let bad_get = proto::OpRequest {
            request: Some(op_request::Request::GetRange(proto::GetRangeRequest {
                result_type: -1,
                ..Default::default()
            })),
        };
        let request = proto::TransactionRequest {
            on_failure: vec![bad_get],
            ..Default::default()
        };
        assert!(transaction(request).is_err());
        let condition = proto::Condition {
            operator: 6,
            ..Default::default()
        };
        let request = proto::TransactionRequest {
            condition: vec![condition],
            ..Default::default()
        };
        assert!(matches!(
            transaction(request),
            Err(KvError::UnknownEnumValue {
                field: "Condition.operator",
                ..
            })
        ));
    }

    #[test]
    fn a_right_hand_side_of_the_other_kind_is_null_and_empty_ops_are_dropped() {
        let condition = proto::Condition {
            key: "k".into(),
            operator: condition::Operator::Equal.into(),
            field: condition::Field::Owner.into(),
            rhs: Some(condition::Rhs::Value(b"v".to_vec())),
        };
        let request = proto::TransactionRequest {
            condition: vec![condition],
            on_success: vec![proto::OpRequest { request: None }],
            ..Default::default()
        };
        let transaction = transaction(request).expect("valid");
        assert_eq!(transaction.conditions[0].operand, Operand::Owner(None));
        assert!(transaction.on_success.is_empty());
    }

    /// Every item shape the store returns (owners with long service names, empty and large
    /// values, keys alone) through every operation that returns items: the store's bound on
    /// a transaction's reply is never below the reply's protobuf size.
    #[test]
    fn the_stores_reply_bound_covers_the_encoded_transaction_reply() {
        use prost::Message;
        use skein_core::kv::{ContainerDirectory, ContainerInstance, OwnerState, Store};
        struct Everyone;
        impl ContainerDirectory for Everyone {
            fn owner_state(&self, _: &ContainerInstance) -> OwnerState {
                OwnerState::Active
            }
        }
        let owner = ContainerInstance {
            service_name: "a-service-with-a-long-name".repeat(4),
            instance: i32::MAX,
        };
        let mut store = Store::new();
        for i in 0..2_000 {
            let put = PutKey {
                key: format!("key/{i:05}"),
                value: vec![b'v'; (i * 37) % 3_000],
                owner: (i % 3 == 0).then(|| owner.clone()),
                ..PutKey::default()
            };
            store.put_key(put, &Everyone).expect("put");
        }
        let range = |start: &str, end: &str, result_type| Range {
            start: start.into(),
            end: end.into(),
            result_type,
        };
        let returning = |key: &str| {
            Op::PutKey(PutKey {
                key: key.into(),
                value: b"new".to_vec(),
                return_previous: true,
                ..PutKey::default()
            })
        };
        let branches = [
            vec![Op::GetRange(range("key/", "key0", ResultType::Items))],
            vec![Op::GetRange(range("key/", "key0", ResultType::Keys))],
            vec![Op::DeleteRange(range(
                "key/00",
                "key/01",
                ResultType::Items,
            ))],
            vec![
                returning("key/00001"),
                returning("key/00001"),
                Op::GetRange(range("key/000", "key/002", ResultType::Items)),
                Op::DeleteRange(range("key/01", "key/02", ResultType::Keys)),
                Op::GetRange(range("key/", "key0", ResultType::None)),
            ],
        ];
        for ops in branches {
            let bound = store.reply_bound(&ops);
            let request = Transaction {
                conditions: Vec::new(),
                on_success: ops,
                on_failure: Vec::new(),
            };
            let applied = store.transaction(request, &Everyone).expect("fits");
            let encoded = transaction_response(applied.response).encoded_len();
            assert!(encoded <= bound, "encoded {encoded} > bound {bound}");
            // A bound, not a guess: within a third of the truth for these replies.
            assert!(
                bound <= encoded * 4 / 3 + 256,
                "bound {bound} for {encoded}"
            );
        }
    }
}
