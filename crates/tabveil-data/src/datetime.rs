//! Datetime columns: strftime-style formats (as in chrono), parsed to and written from seconds
//! since 1970-01-01T00:00:00 (UTC; a format without an offset is read as UTC).

use std::fmt::Write as _;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// True when `format` is a valid chrono strftime format with at least one field.
pub(crate) fn is_valid_format(format: &str) -> bool {
    let mut any_field = false;
    for item in StrftimeItems::new(format) {
        match item {
            Item::Error => return false,
            Item::Numeric(..) | Item::Fixed(..) => any_field = true,
            _ => {}
        }
    }
    any_field
}

/// Parses `text` with `format` to seconds since the epoch. Tries, in order, a date-time with an
/// offset, a naive date-time, and a date alone (midnight).
pub(crate) fn parse_seconds(text: &str, format: &str) -> Option<f64> {
    if let Ok(dt) = DateTime::parse_from_str(text, format) {
        return Some(dt.timestamp() as f64);
    }
    if let Ok(dt) = NaiveDateTime::parse_from_str(text, format) {
        return Some(dt.and_utc().timestamp() as f64);
    }
    if let Ok(d) = NaiveDate::parse_from_str(text, format) {
        return Some(d.and_hms_opt(0, 0, 0)?.and_utc().timestamp() as f64);
    }
    None
}

/// Writes `seconds` (rounded to the nearest second) with `format`, in UTC. `None` when the
/// instant is outside chrono's range or the format cannot be rendered.
pub(crate) fn format_seconds(seconds: f64, format: &str) -> Option<String> {
    if !seconds.is_finite() {
        return None;
    }
    let rounded = seconds.round();
    // i64 covers chrono's whole range; reject values that would saturate.
    if rounded.abs() > 9.0e15 {
        return None;
    }
    let dt = DateTime::from_timestamp(rounded as i64, 0)?;
    let mut out = String::new();
    // `write!` (not `to_string`) so that a rendering error is an error, not a panic.
    write!(out, "{}", dt.format(format)).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_round_trip() {
        let s = parse_seconds("2021-03-04 05:06:07", "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(s, 1_614_834_367.0);
        assert_eq!(
            format_seconds(s, "%Y-%m-%d %H:%M:%S").unwrap(),
            "2021-03-04 05:06:07"
        );
        let d = parse_seconds("2021-03-04", "%Y-%m-%d").unwrap();
        assert_eq!(d, 1_614_816_000.0);
        assert_eq!(format_seconds(d, "%Y-%m-%d").unwrap(), "2021-03-04");
        let z = parse_seconds("2021-03-04T05:06:07+0100", "%Y-%m-%dT%H:%M:%S%z").unwrap();
        assert_eq!(z, s - 3600.0);
        assert!(parse_seconds("04/03/2021", "%Y-%m-%d").is_none());
        assert!(format_seconds(f64::NAN, "%Y").is_none());
        assert!(format_seconds(1e300, "%Y").is_none());
    }

    #[test]
    fn format_validation() {
        assert!(is_valid_format("%Y-%m-%d"));
        assert!(!is_valid_format("%Q"));
        assert!(!is_valid_format("no fields"));
    }
}
