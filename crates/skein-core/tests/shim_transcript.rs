//! The golden transcript of the shim pipe protocol (`java-shim/src/test/resources/
//! shim-transcript.txt`), replayed by the Rust side: every command line is what
//! [`encode_command`] writes, byte for byte; every event line decodes with [`decode_event`] into
//! a known event that carries every field of the line; and every `Command` and `Event` variant
//! has a line. The Java shim replays the same file (`TranscriptTest.java`), so a message that
//! changes on one side fails the other side's test until both agree again.

use std::collections::BTreeSet;

use serde_json::Value;
use skein_core::runtime::{Command, Event, decode_event, encode_command};

const TRANSCRIPT: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../java-shim/src/test/resources/shim-transcript.txt"
));

/// Who writes a line.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Direction {
    /// `> `: the Rust AM, to the shim's stdin.
    Command,
    /// `< `: the shim, to its stdout.
    Event,
}

/// The transcript's messages: (line number, direction, the message as written).
fn messages() -> Vec<(usize, Direction, &'static str)> {
    TRANSCRIPT
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let number = index + 1;
            if let Some(message) = line.strip_prefix("> ") {
                (number, Direction::Command, message)
            } else if let Some(message) = line.strip_prefix("< ") {
                (number, Direction::Event, message)
            } else {
                panic!("shim-transcript.txt:{number}: neither \"> \", \"< \" nor \"#\": {line}")
            }
        })
        .collect()
}

fn of(direction: Direction) -> impl Iterator<Item = (usize, &'static str)> {
    messages()
        .into_iter()
        .filter(move |(_, d, _)| *d == direction)
        .map(|(number, _, message)| (number, message))
}

fn type_of(number: usize, message: &str) -> String {
    let value: Value = serde_json::from_str(message)
        .unwrap_or_else(|e| panic!("shim-transcript.txt:{number}: not JSON ({e}): {message}"));
    value["type"].as_str().unwrap_or_default().to_string()
}

/// Names every variant of an enum by its wire type with an exhaustive match, and lists them: a
/// new variant does not compile until it is named here, and then
/// `every_message_type_has_a_line` fails until the transcript has a line of it.
macro_rules! wire_types {
    ($enum:ident, $name_of:ident, $all:ident, { $($variant:ident => $wire:literal),+ $(,)? }) => {
        const $all: &[&str] = &[$($wire),+];
        fn $name_of(value: &$enum) -> &'static str {
            match value {
                $($enum::$variant { .. } => $wire),+
            }
        }
    };
}

wire_types!(Command, command_type, COMMAND_TYPES, {
    Hello => "hello",
    Register => "register",
    Progress => "progress",
    HeartbeatInterval => "heartbeat_interval",
    Request => "request",
    RemoveRequest => "remove_request",
    Release => "release",
    Start => "start",
    Stop => "stop",
    Unregister => "unregister",
    Exit => "exit",
});

wire_types!(Event, event_type, EVENT_TYPES, {
    Hello => "hello",
    Registered => "registered",
    Allocated => "allocated",
    Completed => "completed",
    Started => "started",
    StartFailed => "start_failed",
    Stopped => "stopped",
    StopFailed => "stop_failed",
    RequestFailed => "request_failed",
    ShutdownRequested => "shutdown_requested",
    Error => "error",
    Heartbeat => "heartbeat",
    Unregistered => "unregistered",
    Unknown => "unknown",
});

/// What a line of an event type this Rust side does not know decodes to (no shim writes one).
const TOLERATED: &str = "unknown";

#[test]
fn every_command_line_is_what_the_rust_am_writes() {
    for (number, line) in of(Direction::Command) {
        let command: Command = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("shim-transcript.txt:{number}: not a command ({e}): {line}")
        });
        assert_eq!(
            command_type(&command),
            type_of(number, line),
            "shim-transcript.txt:{number}"
        );
        assert_eq!(
            encode_command(&command),
            format!("{line}\n"),
            "shim-transcript.txt:{number}: encode_command writes another line"
        );
    }
}

#[test]
fn every_event_line_decodes_with_all_its_fields() {
    for (number, line) in of(Direction::Event) {
        let event =
            decode_event(line).unwrap_or_else(|e| panic!("shim-transcript.txt:{number}: {e}"));
        assert_ne!(
            event_type(&event),
            TOLERATED,
            "shim-transcript.txt:{number}: an event type runtime.rs does not know: {line}"
        );
        assert_eq!(
            event_type(&event),
            type_of(number, line),
            "shim-transcript.txt:{number}"
        );
        // Written back, the event is the line: no field of it was dropped or renamed.
        let golden: Value = serde_json::from_str(line).expect("JSON");
        let decoded = serde_json::to_value(&event).expect("an event serializes");
        assert_eq!(decoded, golden, "shim-transcript.txt:{number}");
    }
}

#[test]
fn every_message_type_has_a_line() {
    for (direction, all) in [
        (Direction::Command, COMMAND_TYPES),
        (Direction::Event, EVENT_TYPES),
    ] {
        let seen: BTreeSet<String> = of(direction)
            .map(|(number, line)| type_of(number, line))
            .collect();
        let missing: Vec<&&str> = all
            .iter()
            .filter(|t| **t != TOLERATED && !seen.contains(**t))
            .collect();
        assert!(
            missing.is_empty(),
            "{direction:?} types without a line in shim-transcript.txt: {missing:?}"
        );
    }
}
