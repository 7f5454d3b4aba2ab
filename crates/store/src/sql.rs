//! Helpers for writing SQL text that both engines share: multi-row statements of a fixed size
//! (`fixed_chunks`, `placeholders`), `IN (...)` lists of a fixed length (`padded`, `LOOKUP_CHUNK`),
//! `LIMIT` written into the statement (`limit`), and the register's current boundary set as a
//! subquery (`current_set_sql!`). They name no table of their own, so any module can take them.

/// Splits rows for multi-row statements: full chunks of `size`, then the tail one row at a time. So
/// each statement has only two SQL texts (prepared once per connection and cached), and stays small:
/// SQLite resolves a `$N` parameter by walking the statement's parameter list, so a statement of
/// thousands of parameters costs time quadratic in their number.
pub fn fixed_chunks<T>(rows: &[T], size: usize) -> impl Iterator<Item = &[T]> {
    let full = rows.len() / size * size;
    rows[..full].chunks(size).chain(rows[full..].chunks(1))
}

/// The values of an `IN (...)` list, padded to `size` by repeating the last one so the SQL text (and
/// its prepared statement) is the same for every page.
pub fn padded<'a>(values: &[&'a str], size: usize) -> Vec<&'a str> {
    let mut v = values.to_vec();
    if let Some(last) = values.last() {
        v.resize(size.max(values.len()), last);
    }
    v
}

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` parameters.
pub fn placeholders(rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    for r in 0..rows {
        if r > 0 {
            s.push_str(", ");
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push_str(", ");
            }
            s.push('$');
            s.push_str(&(r * cols + c + 1).to_string());
        }
        s.push(')');
    }
    s
}

/// Values per `IN (...)` lookup.
pub const LOOKUP_CHUNK: usize = 100;

/// `LIMIT n` as SQL, with the number written into the statement rather than bound. SQLite plans an
/// ORDER BY ... LIMIT with the limit's value, so a bound limit marks the statement as depending on
/// it and SQLite prepares the statement again every time it is bound: a list page's query was
/// parsed and planned afresh on every request. The number is an `i64`, so nothing else can get in.
pub(crate) fn limit(n: i64) -> String {
    format!("LIMIT {}", n.max(0))
}

/// The register's current boundary set, as an SQL scalar subquery (null when none is set).
macro_rules! current_set_sql {
    () => {
        "(SELECT value FROM register_settings WHERE key = 'current_boundary_set')"
    };
}
pub(crate) use current_set_sql;

/// `current_set_sql!()` for `format!`.
pub(crate) const CURRENT_SET_SQL: &str = current_set_sql!();

#[cfg(test)]
mod tests {
    /// Every statement here takes its limit through `limit`: a bound one is re-prepared on every use.
    #[test]
    fn no_statement_binds_its_limit() {
        let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
        let mut files = Vec::new();
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                } else {
                    files.push(path);
                }
            }
        }
        assert!(files.len() > 20, "{files:?}");
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            // Spelled out here so that this file does not match itself.
            for (word, mark) in [("LIMIT", '$'), ("LIMIT", '?'), ("OFFSET", '$')] {
                let bound = format!("{word} {mark}");
                assert!(
                    !text.contains(&bound),
                    "{} has a statement that binds its {word}",
                    path.display()
                );
            }
        }
    }
}
