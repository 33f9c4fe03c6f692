//! Wall-clock helpers: today's date and RFC 3339 timestamps (UTC), without a date library.

use std::time::{SystemTime, UNIX_EPOCH};

/// Days since 1970-01-01 to (year, month, day).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let d = sanctions_model::PartialDate::from_days_since_epoch(z);
    (i64::from(d.year), u32::from(d.month.unwrap_or(1)), u32::from(d.day.unwrap_or(1)))
}

fn since_epoch() -> std::time::Duration {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// The current year (UTC).
pub(crate) fn current_year() -> i32 {
    civil_from_days((since_epoch().as_secs() / 86_400) as i64).0 as i32
}

/// Now as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub(crate) fn now_rfc3339() -> String {
    format_rfc3339(since_epoch())
}

fn format_rfc3339(t: std::time::Duration) -> String {
    let secs = t.as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        s / 3600,
        (s / 60) % 60,
        s % 60,
        t.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats() {
        assert_eq!(format_rfc3339(Duration::from_millis(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339(Duration::from_millis(1_709_251_199_123)),
            "2024-02-29T23:59:59.123Z"
        );
        assert!(current_year() >= 2025);
    }
}
