//! How commands print records: Skein's tables (columns joined by four spaces, each as wide as
//! its widest cell) by default, or `--output json|yaml` for scripts.

use std::time::{SystemTime, UNIX_EPOCH};

use clap::ValueEnum;
use serde_json::{Map, Value};

/// The output format of listing commands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table, as Skein prints it.
    #[default]
    Table,
    /// A JSON array of objects.
    Json,
    /// A YAML list of mappings.
    Yaml,
}

/// `objects` as `--output json|yaml` prints records (a table has no place for nested values:
/// JSON then).
pub(crate) fn render_values(objects: &[Map<String, Value>], format: Format) -> String {
    match format {
        Format::Yaml => serde_saphyr::to_string(&objects).unwrap_or_default(),
        Format::Json | Format::Table => {
            let mut text = serde_json::to_string_pretty(&objects).unwrap_or_else(|_| "[]".into());
            text.push('\n');
            text
        }
    }
}

/// Records with their columns in display order.
pub(crate) struct Records {
    columns: Vec<&'static str>,
    rows: Vec<Vec<Value>>,
}

impl Records {
    /// No rows yet.
    pub fn new(columns: &[&'static str]) -> Self {
        Records {
            columns: columns.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds one row; `values` in the order of the columns.
    pub fn push(&mut self, values: Vec<Value>) {
        self.rows.push(values);
    }

    /// The text to print in `format` (ends with a newline unless empty JSON/YAML).
    pub(crate) fn render(&self, format: Format) -> String {
        match format {
            Format::Table => self.table(),
            Format::Json | Format::Yaml => render_values(&self.objects(), format),
        }
    }

    /// The rows as objects keyed by lower-case column names (what JSON and YAML print).
    pub(crate) fn objects(&self) -> Vec<Map<String, Value>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(row)
                    .map(|(c, v)| (c.to_ascii_lowercase(), v.clone()))
                    .collect()
            })
            .collect()
    }

    fn table(&self) -> String {
        let cell = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        };
        let cells: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(cell).collect())
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                cells
                    .iter()
                    .map(|r| r.get(i).map_or(0, |s| s.chars().count()))
                    .chain([c.len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |values: Vec<String>| {
            let padded: Vec<String> = values
                .iter()
                .zip(&widths)
                .map(|(v, w)| format!("{v:<w$}"))
                .collect();
            format!("{}\n", padded.join("    ").trim_end())
        };
        let mut out = line(self.columns.iter().map(|c| c.to_string()).collect());
        for row in cells {
            out.push_str(&line(row));
        }
        out
    }
}

/// Milliseconds since the epoch, now.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// Skein's `humanize_timedelta`: `6s`, `10m`, `1h 40m`.
pub(crate) fn humanize_ms(ms: i64) -> String {
    let seconds = (ms.max(0) / 1000) as u64;
    let (hours, minutes, secs) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    if hours > 0 {
        format!("{hours}h {minutes}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{secs}s")
    }
}

/// How long something ran: until `finish`, or until now while it runs; 0 if never started.
pub(crate) fn runtime_ms(start: i64, finish: i64) -> i64 {
    match (start, finish) {
        (0, _) => 0,
        (s, 0) => now_ms() - s,
        (s, f) => f - s,
    }
}

/// A date/time argument in none of Skein's formats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "Unable to parse '{text}' as a date/time: use YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]' or HH:MM[:SS] (UTC)"
)]
pub(crate) struct DateTimeError {
    /// The argument as given.
    pub text: String,
}

/// Parses Skein's date/time arguments (UTC): `%Y-%m-%d`, `%Y-%m-%d %H:%M[:%S]`, or `%H:%M[:%S]`
/// (today), into milliseconds since the epoch.
///
/// # Errors
/// [`DateTimeError`] for text in none of these formats, or an impossible date or time.
pub(crate) fn parse_datetime(text: &str) -> Result<i64, DateTimeError> {
    let bad = || DateTimeError {
        text: text.to_string(),
    };
    let (date_part, time_part) = match text.trim().split_once(' ') {
        Some((d, t)) => (Some(d), Some(t)),
        None if text.contains(':') => (None, Some(text.trim())),
        None => (Some(text.trim()), None),
    };
    let date = match date_part {
        Some(d) => {
            let parts: Vec<&str> = d.split('-').collect();
            let [y, m, day] = parts.as_slice() else {
                return Err(bad());
            };
            let month: u8 = m.parse().map_err(|_| bad())?;
            time::Date::from_calendar_date(
                y.parse().map_err(|_| bad())?,
                time::Month::try_from(month).map_err(|_| bad())?,
                day.parse().map_err(|_| bad())?,
            )
            .map_err(|_| bad())?
        }
        None => time::OffsetDateTime::now_utc().date(),
    };
    let time = match time_part {
        Some(t) => {
            let parts: Vec<u8> = t
                .split(':')
                .map(|p| p.parse().map_err(|_| bad()))
                .collect::<Result<_, _>>()?;
            match parts.as_slice() {
                [h, m] => time::Time::from_hms(*h, *m, 0),
                [h, m, s] => time::Time::from_hms(*h, *m, *s),
                _ => return Err(bad()),
            }
            .map_err(|_| bad())?
        }
        None => time::Time::MIDNIGHT,
    };
    let seconds = time::PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp();
    Ok(seconds * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_like_skein() {
        let mut r = Records::new(&["ID", "NAME"]);
        r.push(vec![Value::from("application_1_0001"), Value::from("x")]);
        assert_eq!(
            r.render(Format::Table),
            "ID                    NAME\napplication_1_0001    x\n"
        );
        let json: Value = serde_json::from_str(&r.render(Format::Json)).expect("json");
        assert_eq!(json[0]["name"], "x");
        assert!(r.render(Format::Yaml).contains("id: application_1_0001"));
    }

    #[test]
    fn durations_read_like_skein() {
        assert_eq!(humanize_ms(6_000), "6s");
        assert_eq!(humanize_ms(600_000), "10m");
        assert_eq!(humanize_ms(6_000_000), "1h 40m");
        assert_eq!(runtime_ms(0, 0), 0);
        assert_eq!(runtime_ms(1_000, 4_000), 3_000);
    }

    #[test]
    fn datetimes_parse_in_skeins_formats() {
        assert_eq!(parse_datetime("1970-01-02"), Ok(86_400_000));
        assert_eq!(parse_datetime("1970-01-01 01:00"), Ok(3_600_000));
        assert_eq!(parse_datetime("1970-01-01 00:00:05"), Ok(5_000));
        assert!(parse_datetime("12:30").is_ok());
        let err = parse_datetime("yesterday").expect_err("bad").to_string();
        assert!(
            err.contains("'yesterday'") && err.contains("YYYY-MM-DD"),
            "{err}"
        );
        assert!(parse_datetime("2024-13-01").is_err());
    }
}
