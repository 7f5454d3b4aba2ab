//! Reads one clause's parameters with the type each must have, remembering which keys were read, so a
//! misspelt or unknown key is reported instead of silently ignored. Every error names the clause.
use std::collections::BTreeSet;
use time::{Date, Month};
use toml::{Table, Value};

use super::RulebookError;

pub(super) struct ClauseReader<'a> {
    clause: &'a str,
    /// Where inside the clause we are, for nested tables ("stages[2]"); empty at the top.
    place: String,
    table: &'a Table,
    read: BTreeSet<&'a str>,
}

impl<'a> ClauseReader<'a> {
    pub(super) fn new(clause: &'a str, table: &'a Table) -> Self {
        ClauseReader {
            clause,
            place: String::new(),
            table,
            read: BTreeSet::new(),
        }
    }

    pub(super) fn error(&self, problem: impl Into<String>) -> RulebookError {
        RulebookError::Clause {
            clause: self.clause.to_string(),
            problem: format!("{}{}", self.place, problem.into()),
        }
    }

    fn take(&mut self, key: &'a str) -> Option<&'a Value> {
        self.read.insert(key);
        self.table.get(key)
    }

    fn required(&mut self, key: &'a str, expected: &str) -> Result<&'a Value, RulebookError> {
        self.take(key)
            .ok_or_else(|| self.error(format!("missing key {key} ({expected})")))
    }

    pub(super) fn string(&mut self, key: &'a str) -> Result<String, RulebookError> {
        match self.required(key, "a string")? {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            _ => Err(self.error(format!("{key} must be a non-empty string"))),
        }
    }

    /// A lower-case identifier such as a rate id or a role: letters, digits and underscores.
    pub(super) fn identifier(&mut self, key: &'a str) -> Result<String, RulebookError> {
        let s = self.string(key)?;
        if is_identifier(&s) {
            Ok(s)
        } else {
            Err(self.error(format!(
                "{key} must be a lower-case identifier (letters, digits, _), not \"{s}\""
            )))
        }
    }

    pub(super) fn bool(&mut self, key: &'a str) -> Result<bool, RulebookError> {
        match self.required(key, "true or false")? {
            Value::Boolean(b) => Ok(*b),
            _ => Err(self.error(format!("{key} must be true or false"))),
        }
    }

    fn integer(&mut self, key: &'a str, min: i64, what: &str) -> Result<u32, RulebookError> {
        let value = self.required(key, what)?;
        match value {
            Value::Integer(n) if *n >= min && *n <= i64::from(u32::MAX) => Ok(*n as u32),
            _ => Err(self.error(format!("{key} must be {what}"))),
        }
    }

    pub(super) fn positive(&mut self, key: &'a str) -> Result<u32, RulebookError> {
        self.integer(key, 1, "a positive integer")
    }

    pub(super) fn count(&mut self, key: &'a str) -> Result<u32, RulebookError> {
        self.integer(key, 0, "a whole number (0 or more)")
    }

    pub(super) fn optional_count(&mut self, key: &'a str) -> Result<Option<u32>, RulebookError> {
        if self.table.contains_key(key) {
            self.count(key).map(Some)
        } else {
            self.read.insert(key);
            Ok(None)
        }
    }

    /// A bounded integer, for percentages and the like.
    pub(super) fn within(
        &mut self,
        key: &'a str,
        min: u32,
        max: u32,
    ) -> Result<u32, RulebookError> {
        let n = self.count(key)?;
        if n < min || n > max {
            return Err(self.error(format!("{key} must be between {min} and {max}, not {n}")));
        }
        Ok(n)
    }

    pub(super) fn identifiers(&mut self, key: &'a str) -> Result<Vec<String>, RulebookError> {
        let what = "a list of lower-case identifiers";
        let Value::Array(items) = self.required(key, what)? else {
            return Err(self.error(format!("{key} must be {what}")));
        };
        items
            .iter()
            .map(|item| match item {
                Value::String(s) if is_identifier(s) => Ok(s.clone()),
                _ => Err(self.error(format!("{key} must be {what}"))),
            })
            .collect()
    }

    pub(super) fn optional_date(&mut self, key: &'a str) -> Result<Option<Date>, RulebookError> {
        let Some(value) = self.take(key) else {
            return Ok(None);
        };
        let bad = || self.error(format!("{key} must be a date such as 2026-06-30"));
        let Value::Datetime(dt) = value else {
            return Err(bad());
        };
        if dt.time.is_some() || dt.offset.is_some() {
            return Err(bad());
        }
        let d = dt.date.ok_or_else(bad)?;
        let month = Month::try_from(d.month).map_err(|_| bad())?;
        Date::from_calendar_date(i32::from(d.year), month, d.day)
            .map(Some)
            .map_err(|_| bad())
    }

    /// Readers over an array of tables (`stages = [{...}, {...}]`), each placed for error messages.
    pub(super) fn tables(&mut self, key: &'a str) -> Result<Vec<ClauseReader<'a>>, RulebookError> {
        let what = "a list of tables";
        let Value::Array(items) = self.required(key, what)? else {
            return Err(self.error(format!("{key} must be {what}")));
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Value::Table(t) => Ok(ClauseReader {
                    clause: self.clause,
                    place: format!("{}{key}[{}]: ", self.place, i + 1),
                    table: t,
                    read: BTreeSet::new(),
                }),
                _ => Err(self.error(format!("{key} must be {what}"))),
            })
            .collect()
    }

    /// Refuses any key that was not read: a misspelt parameter must not fall back to a default.
    pub(super) fn finish(self) -> Result<(), RulebookError> {
        let unknown: Vec<&String> = self
            .table
            .keys()
            .filter(|k| !self.read.contains(k.as_str()))
            .collect();
        match unknown.first() {
            None => Ok(()),
            Some(key) => Err(self.error(format!("unknown key {key}"))),
        }
    }
}

pub(super) fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
