//! Time as the registry sees it: dates are Vietnamese calendar days (UTC+7, no daylight saving),
//! timestamps are UTC truncated to microseconds so that what a write returns is exactly what
//! PostgreSQL (microsecond precision) and SQLite give back later.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, SubsecRound, TimeZone, Utc};

/// Vietnam's offset from UTC (checked at compile time).
pub const VIETNAM: FixedOffset = match FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+7 is a valid offset"),
};

/// A calendar date, checked at compile time when used in a `const`.
pub const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("invalid calendar date"),
    }
}

/// Today's date in Vietnam, by the registry's clock.
pub fn today() -> NaiveDate {
    vietnam_date(now())
}

/// The variable that sets the registry's clock: the instant (RFC 3339) the process believes it
/// starts at, the clock running on from there. Tests run the whole suite years ahead, or just
/// after Vietnamese midnight, with it; unset, the clock is the machine's.
pub const START_VARIABLE: &str = "OCOP_TEST_CLOCK_START";

/// How far the registry's clock is ahead of the machine's (read once per process). A value
/// that is not an instant stops the process: a suite that believes it runs in 2029 must not
/// quietly run today.
fn shift() -> chrono::Duration {
    static SHIFT: std::sync::OnceLock<chrono::Duration> = std::sync::OnceLock::new();
    *SHIFT.get_or_init(|| match std::env::var(START_VARIABLE) {
        Ok(v) if !v.trim().is_empty() => match DateTime::parse_from_rfc3339(v.trim()) {
            Ok(start) => start.with_timezone(&Utc) - Utc::now(),
            Err(e) => panic!("{START_VARIABLE}={v:?} is not an RFC 3339 instant: {e}"),
        },
        _ => chrono::Duration::zero(),
    })
}

/// The instant Vietnamese day `d` begins (00:00 +07:00), in UTC.
pub fn day_start_utc(d: NaiveDate) -> DateTime<Utc> {
    // A fixed offset has exactly one instant per local time.
    VIETNAM
        .from_local_datetime(&d.and_time(NaiveTime::MIN))
        .single()
        .map_or_else(
            || d.and_time(NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// `14:05 30/06/2025`: an instant as Vietnam's clocks show it, written as Vietnamese write it.
pub fn moment_text(t: DateTime<Utc>) -> String {
    t.with_timezone(&VIETNAM)
        .format("%H:%M %d/%m/%Y")
        .to_string()
}

/// The Vietnamese calendar day of an instant.
pub fn vietnam_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&VIETNAM).date_naive()
}

/// Now by the registry's clock, in UTC, at microsecond precision: what every record, deadline,
/// lease and "today" is measured by. (Marketplace signatures and their replay windows use the
/// machine's clock, which is what the other side checks.)
pub fn now() -> DateTime<Utc> {
    (Utc::now() + shift()).trunc_subsecs(6)
}

/// `date` plus `months` calendar months, clamped to the month's last day (31 Jan + 1 month =
/// 28/29 Feb), as legal texts count validity periods.
pub fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(NaiveDate::MAX)
}

/// Whole calendar months from `start` to `end` (the day of month counts: 2022-01-15 →
/// 2025-01-14 is 35 months, → 2025-01-15 is 36).
pub fn months_between(start: NaiveDate, end: NaiveDate) -> i64 {
    use chrono::Datelike;
    let mut months = (i64::from(end.year()) - i64::from(start.year())) * 12
        + i64::from(end.month())
        - i64::from(start.month());
    if months > 0 && add_months(start, months as u32) > end {
        months -= 1;
    }
    months
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn months_count_whole_calendar_months() {
        assert_eq!(months_between(d("2022-01-15"), d("2025-01-14")), 35);
        assert_eq!(months_between(d("2022-01-15"), d("2025-01-15")), 36);
        assert_eq!(months_between(d("2022-01-31"), d("2022-02-28")), 1);
        assert_eq!(add_months(d("2024-01-31"), 1), d("2024-02-29"));
        assert_eq!(add_months(d("2022-03-10"), 36), d("2025-03-10"));
    }
}
