//! An application's LIFETIME timeout and priority: `PUT /apps/{id}/timeout` and
//! `PUT /apps/{id}/priority`, and the ISO-8601 times the timeout documents carry.
//!
//! The REST submission has no field for timeouts, so a lifetime is set with the update call
//! once the ResourceManager knows the application (it refuses updates while the application
//! is NEW or NEW_SAVING).

use reqwest::Method;
use serde::Deserialize;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use super::{ResourceManager, YarnError, path_segment};

/// The `type` of a lifetime timeout.
pub const LIFETIME: &str = "LIFETIME";

/// One application timeout, as `GET /apps/{id}` and the update call report it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default, rename_all = "camelCase")]
pub struct AppTimeout {
    /// `LIFETIME`.
    #[serde(rename = "type")]
    pub timeout_type: String,
    /// ISO-8601 (`2016-12-05T22:51:00.104+0530`), or `UNLIMITED`.
    pub expiry_time: String,
    /// Seconds left when the RM answered; -1 when unlimited.
    pub remaining_time_in_seconds: i64,
}

impl AppTimeout {
    /// When the timeout expires, in milliseconds since the epoch; `None` when unlimited (or
    /// written in a form this client does not read).
    pub fn expiry_millis(&self) -> Option<i64> {
        parse_iso8601_millis(&self.expiry_time)
    }
}

#[derive(Deserialize)]
struct TimeoutEnvelope {
    timeout: AppTimeout,
}

#[derive(Deserialize)]
struct PriorityEnvelope {
    priority: i32,
}

impl ResourceManager {
    /// `PUT /ws/v1/cluster/apps/{id}/timeout`: the application's LIFETIME timeout expires at
    /// `expiry_millis` (ms since the epoch). Returns the timeout the RM now holds.
    ///
    /// # Errors
    /// `Remote` with the RM's reason (an application still NEW, or already finished, an
    /// expiry in the past, no MODIFY_APP access); see [`YarnError`].
    pub async fn update_lifetime(
        &self,
        id: &str,
        expiry_millis: i64,
    ) -> Result<AppTimeout, YarnError> {
        let document = serde_json::json!({
            "timeout": { "type": LIFETIME, "expiryTime": format_iso8601_utc(expiry_millis) }
        });
        let envelope: TimeoutEnvelope = self.put_app_json(id, "timeout", &document).await?;
        Ok(envelope.timeout)
    }

    /// `PUT /ws/v1/cluster/apps/{id}/priority`. Returns the priority the scheduler kept,
    /// which it caps at the cluster's `yarn.cluster.max-application-priority`.
    ///
    /// # Errors
    /// `Remote` with the RM's reason (a finished application, a scheduler without
    /// priorities); see [`YarnError`].
    pub async fn update_priority(&self, id: &str, priority: i32) -> Result<i32, YarnError> {
        let document = serde_json::json!({ "priority": priority });
        let envelope: PriorityEnvelope = self.put_app_json(id, "priority", &document).await?;
        Ok(envelope.priority)
    }

    /// `PUT /ws/v1/cluster/apps/{id}/{resource}` with a JSON document; decodes the answer.
    async fn put_app_json<T: serde::de::DeserializeOwned>(
        &self,
        id: &str,
        resource: &str,
        document: &serde_json::Value,
    ) -> Result<T, YarnError> {
        self.call(
            Method::PUT,
            &format!("/ws/v1/cluster/apps/{}/{resource}", path_segment(id)),
            &[],
            Some(document.to_string().into_bytes()),
        )
        .await
    }
}

/// `yyyy-MM-dd'T'HH:mm:ss.SSS+0000`, the form YARN's `Times.parseISO8601ToLocalTimeInMillis`
/// reads.
pub fn format_iso8601_utc(millis: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}+0000",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}

/// Reads `yyyy-MM-dd'T'HH:mm:ss.SSS±HHMM` (the RM's form) into milliseconds since the epoch.
pub fn parse_iso8601_millis(text: &str) -> Option<i64> {
    let number = |range: std::ops::Range<usize>| -> Option<i32> {
        let part = text.get(range)?;
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if text.len() != 28 || text.get(10..11) != Some("T") || text.get(19..20) != Some(".") {
        return None;
    }
    let month = Month::try_from(u8::try_from(number(5..7)?).ok()?).ok()?;
    let date =
        Date::from_calendar_date(number(0..4)?, month, u8::try_from(number(8..10)?).ok()?).ok()?;
    let time = Time::from_hms_milli(
        u8::try_from(number(11..13)?).ok()?,
        u8::try_from(number(14..16)?).ok()?,
        u8::try_from(number(17..19)?).ok()?,
        u16::try_from(number(20..23)?).ok()?,
    )
    .ok()?;
    let sign = match text.get(23..24)? {
        "+" => 1,
        "-" => -1,
        _ => return None,
    };
    let offset = UtcOffset::from_hms(
        i8::try_from(sign * number(24..26)?).ok()?,
        i8::try_from(sign * number(26..28)?).ok()?,
        0,
    )
    .ok()?;
    let at = PrimitiveDateTime::new(date, time).assume_offset(offset);
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_times_read_back_in_any_offset() {
        let millis = 1_480_958_460_104;
        assert_eq!(format_iso8601_utc(millis), "2016-12-05T17:21:00.104+0000");
        assert_eq!(
            parse_iso8601_millis("2016-12-05T17:21:00.104+0000"),
            Some(millis)
        );
        assert_eq!(
            parse_iso8601_millis("2016-12-05T22:51:00.104+0530"),
            Some(millis)
        );
        assert_eq!(
            parse_iso8601_millis("2016-12-05T12:21:00.104-0500"),
            Some(millis)
        );
        for text in [
            "UNLIMITED",
            "",
            "2016-12-05 17:21:00.104+0000",
            "2016-13-05T17:21:00.104+0000",
        ] {
            assert_eq!(parse_iso8601_millis(text), None, "{text}");
        }
    }

    #[test]
    fn timeouts_read_the_rms_document() {
        let doc = r#"{"timeout":{"type":"LIFETIME","expiryTime":"2016-12-05T22:51:00.104+0530","remainingTimeInSeconds":27}}"#;
        let envelope: TimeoutEnvelope = serde_json::from_str(doc).expect("a timeout");
        assert_eq!(envelope.timeout.remaining_time_in_seconds, 27);
        assert_eq!(envelope.timeout.expiry_millis(), Some(1_480_958_460_104));
    }
}
