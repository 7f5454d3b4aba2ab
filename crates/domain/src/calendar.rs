//! Calendar arithmetic for the rules: months, weeks and ages on dates. Membership end dates are where
//! date bugs hide, so the month rule is stated once here and every rule uses it.
//!
//! The month rule: adding months keeps the day of the month, clamped to the last day of the target
//! month (31 January + 1 month = 28 February, or 29 February in a leap year; 29 February + 12 months =
//! 28 February). Ages follow the UK convention: a person born on 29 February gains a year on 1 March in
//! a common year.
use time::{Date, Duration, Month};

/// `date` plus `months` calendar months (negative to go back), clamped to the end of the target month.
/// Saturates at the limits of `time::Date` rather than panicking.
pub fn add_months(date: Date, months: i32) -> Date {
    let index = date.year() * 12 + (date.month() as i32 - 1) + months;
    let year = index.div_euclid(12);
    let month_number = index.rem_euclid(12) + 1;
    let Ok(month) = Month::try_from(month_number as u8) else {
        return date;
    };
    let day = date.day().min(month.length(year));
    match Date::from_calendar_date(year, month, day) {
        Ok(d) => d,
        Err(_) if months > 0 => Date::MAX,
        Err(_) => Date::MIN,
    }
}

/// `date` plus whole weeks, saturating at the limits of `time::Date`.
pub fn add_weeks(date: Date, weeks: i64) -> Date {
    add_days(date, weeks.saturating_mul(7))
}

/// `date` plus days, saturating at the limits of `time::Date`.
pub fn add_days(date: Date, days: i64) -> Date {
    match date.checked_add(Duration::days(days)) {
        Some(d) => d,
        None if days > 0 => Date::MAX,
        None => Date::MIN,
    }
}

/// Age in whole years on `on` of someone born on `born` (0 if `on` is before the birth).
pub fn age_on(born: Date, on: Date) -> u32 {
    if on < born {
        return 0;
    }
    let mut years = on.year() - born.year();
    if (on.month() as u8, on.day()) < (born.month() as u8, born.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// True when a span that started on `since` has lasted at least `months` months on `on`: the span
/// starting 15 March 2025 reaches 12 months on 15 March 2026.
pub fn has_lasted_months(since: Date, on: Date, months: u32) -> bool {
    add_months(since, months as i32) <= on
}

/// The last day of the year of `date` (31 December), the count date of conference delegations.
pub fn year_end(year: i32) -> Option<Date> {
    Date::from_calendar_date(year, Month::December, 31).ok()
}

/// Adds working days (Monday to Friday; bank holidays are not known to the domain and count as
/// working days).
pub fn add_working_days(date: Date, days: u32) -> Date {
    let mut d = date;
    let mut left = days;
    while left > 0 {
        d = add_days(d, 1);
        if !matches!(d.weekday(), time::Weekday::Saturday | time::Weekday::Sunday) {
            left -= 1;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn a_month_after_the_31st_of_january_is_the_end_of_february() {
        assert_eq!(add_months(date!(2026 - 01 - 31), 1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2028 - 01 - 31), 1), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2028 - 02 - 29), 12), date!(2029 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 03 - 31), -1), date!(2026 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 11 - 15), 2), date!(2027 - 01 - 15));
        assert_eq!(add_months(date!(2026 - 01 - 15), -2), date!(2025 - 11 - 15));
    }

    #[test]
    fn someone_born_on_a_leap_day_comes_of_age_on_the_first_of_march() {
        let born = date!(2008 - 02 - 29);
        assert_eq!(age_on(born, date!(2026 - 02 - 28)), 17);
        assert_eq!(age_on(born, date!(2026 - 03 - 01)), 18);
        assert_eq!(age_on(born, date!(2028 - 02 - 29)), 20);
        assert_eq!(age_on(born, date!(2000 - 01 - 01)), 0);
    }

    #[test]
    fn twelve_months_are_reached_on_the_same_day_a_year_later() {
        assert!(!has_lasted_months(
            date!(2025 - 03 - 15),
            date!(2026 - 03 - 14),
            12
        ));
        assert!(has_lasted_months(
            date!(2025 - 03 - 15),
            date!(2026 - 03 - 15),
            12
        ));
    }

    #[test]
    fn working_days_skip_weekends() {
        // Friday 20 November 2026 plus 5 working days is Friday 27 November.
        assert_eq!(
            add_working_days(date!(2026 - 11 - 20), 5),
            date!(2026 - 11 - 27)
        );
        assert_eq!(
            add_working_days(date!(2026 - 11 - 21), 1),
            date!(2026 - 11 - 23)
        );
    }

    #[test]
    fn arithmetic_at_the_limits_saturates_instead_of_panicking() {
        assert_eq!(add_days(Date::MAX, 1), Date::MAX);
        assert_eq!(add_weeks(Date::MIN, -1), Date::MIN);
        assert_eq!(add_months(Date::MAX, 1), Date::MAX);
    }

    proptest::proptest! {
        #[test]
        fn adding_months_lands_in_the_right_month_and_never_past_the_day(
            days in 0i64..80_000, months in -240i32..240
        ) {
            let start = date!(1950 - 01 - 01) + Duration::days(days);
            let end = add_months(start, months);
            let index = |d: Date| d.year() * 12 + d.month() as i32;
            proptest::prop_assert_eq!(index(end) - index(start), months);
            proptest::prop_assert!(end.day() <= start.day());
            if end.day() < start.day() {
                proptest::prop_assert_eq!(end.day(), end.month().length(end.year()));
            }
        }
    }
}
