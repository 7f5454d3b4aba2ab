//! The time, read in one place so tests and reproducible runs can fix it (`--today`).
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    System,
    /// A fixed day: time still passes within it (so audit times stay ordered), but the date is this.
    Today(Date),
}

impl Clock {
    pub fn today(&self) -> Date {
        match self {
            Clock::System => OffsetDateTime::now_utc().date(),
            Clock::Today(d) => *d,
        }
    }

    pub fn now(&self) -> OffsetDateTime {
        let now = OffsetDateTime::now_utc();
        match self {
            Clock::System => now,
            Clock::Today(d) => now.replace_date(*d),
        }
    }

    /// Now as the audit log and run records store it: RFC 3339, UTC, microseconds.
    pub fn stamp(&self) -> String {
        stamp(self.now())
    }
}

pub fn stamp(t: OffsetDateTime) -> String {
    let t = t
        .replace_nanosecond(t.nanosecond() / 1000 * 1000)
        .unwrap_or(t);
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Parses an ISO 8601 calendar date (`2023-10-12`).
pub fn parse_date(text: &str) -> Result<Date, String> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(text.trim(), fmt)
        .map_err(|_| format!("'{}' is not a date (expected YYYY-MM-DD)", text.trim()))
}

pub fn midnight(d: Date) -> OffsetDateTime {
    d.with_time(Time::MIDNIGHT).assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_iso_8601_and_bad_ones_say_what_was_expected() {
        assert_eq!(
            parse_date("2024-02-29").unwrap(),
            time::macros::date!(2024 - 02 - 29)
        );
        assert!(parse_date("2023-02-29").unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_date("29/02/2024").is_err());
    }

    #[test]
    fn a_fixed_clock_keeps_its_date() {
        let c = Clock::Today(time::macros::date!(2023 - 10 - 12));
        assert_eq!(c.today(), time::macros::date!(2023 - 10 - 12));
        assert!(c.stamp().starts_with("2023-10-12T"));
    }
}
