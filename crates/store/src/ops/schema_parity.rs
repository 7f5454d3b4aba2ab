//! The two engines' schemas, read back from the databases themselves, so a test can prove the SQLite
//! and PostgreSQL migrations describe the same tables, columns, nullability and unique keys.
use crate::{Result, Store};
use sqlx::Row;
use std::collections::BTreeSet;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    /// (table, column, not null)
    pub columns: BTreeSet<(String, String, bool)>,
    /// (table, the columns of a unique index or key, sorted and comma-joined)
    pub unique: BTreeSet<(String, String)>,
}

pub async fn shape(store: &Store) -> Result<Shape> {
    let mut shape = Shape::default();
    match store {
        Store::Sqlite(sqlite) => {
            let p = sqlite.readers();
            let tables: Vec<String> = sqlx::query(
                // Every attached file's tables: the access log has a file of its own.
                "SELECT name FROM pragma_table_list WHERE type = 'table' AND schema <> 'temp' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations' ORDER BY name",
            )
            .fetch_all(p)
            .await?
            .iter()
            .map(|r| r.try_get("name"))
            .collect::<Result<_, _>>()?;
            for t in tables {
                let info = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info({t})")))
                    .fetch_all(p)
                    .await?;
                let mut pk = Vec::new();
                for c in &info {
                    let name: String = c.try_get("name")?;
                    let notnull: i64 = c.try_get("notnull")?;
                    let is_pk: i64 = c.try_get("pk")?;
                    if is_pk > 0 {
                        pk.push((is_pk, name.clone()));
                    }
                    shape
                        .columns
                        .insert((t.clone(), name, notnull == 1 || is_pk > 0));
                }
                if !pk.is_empty() {
                    let mut cols: Vec<String> = pk.into_iter().map(|(_, n)| n).collect();
                    cols.sort();
                    shape.unique.insert((t.clone(), cols.join(",")));
                }
                let indexes = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA index_list({t})")))
                    .fetch_all(p)
                    .await?;
                for i in indexes {
                    let unique: i64 = i.try_get("unique")?;
                    let origin: String = i.try_get("origin")?;
                    if unique != 1 || origin == "pk" {
                        continue;
                    }
                    let name: String = i.try_get("name")?;
                    let cols =
                        sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA index_info({name})")))
                            .fetch_all(p)
                            .await?;
                    let mut cols: Vec<String> = cols
                        .iter()
                        .map(|c| c.try_get("name"))
                        .collect::<Result<_, _>>()?;
                    cols.sort();
                    shape.unique.insert((t.clone(), cols.join(",")));
                }
            }
        }
        Store::Postgres(p) => {
            let cols = sqlx::query(
                "SELECT table_name::text AS t, column_name::text AS c, is_nullable::text AS n \
                 FROM information_schema.columns WHERE table_schema = current_schema() \
                 AND table_name <> '_sqlx_migrations'",
            )
            .fetch_all(p)
            .await?;
            for r in cols {
                let n: String = r.try_get("n")?;
                shape
                    .columns
                    .insert((r.try_get("t")?, r.try_get("c")?, n == "NO"));
            }
            let idx = sqlx::query(
                "SELECT t.relname::text AS t, string_agg(a.attname::text, ',' ORDER BY a.attname::text) AS cols \
                 FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ix ON ix.oid = i.indexrelid \
                 JOIN pg_namespace ns ON ns.oid = t.relnamespace \
                 JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) \
                 WHERE i.indisunique AND ns.nspname = current_schema() AND t.relname <> '_sqlx_migrations' \
                 GROUP BY t.relname, ix.relname",
            )
            .fetch_all(p)
            .await?;
            for r in idx {
                shape.unique.insert((r.try_get("t")?, r.try_get("cols")?));
            }
        }
    }
    Ok(shape)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_sqlite_and_postgres_migrations_describe_the_same_schema() {
        let dbs = caucus_testkit::databases().await;
        let mut shapes = Vec::new();
        for db in &dbs {
            let store = Store::open(&db.url).await.unwrap();
            let s = shape(&store).await.unwrap();
            assert!(s
                .columns
                .iter()
                .any(|(t, c, _)| t == "members" && c == "membership_number"));
            assert!(s
                .unique
                .contains(&("members".to_string(), "membership_number".to_string())));
            shapes.push((db.engine, s));
            store.close().await;
        }
        if let [(_, sqlite), (_, postgres)] = &shapes[..] {
            let only_sqlite: Vec<_> = sqlite.columns.difference(&postgres.columns).collect();
            let only_pg: Vec<_> = postgres.columns.difference(&sqlite.columns).collect();
            assert!(
                only_sqlite.is_empty() && only_pg.is_empty(),
                "columns differ: sqlite only {only_sqlite:?}, postgres only {only_pg:?}"
            );
            let u_sqlite: Vec<_> = sqlite.unique.difference(&postgres.unique).collect();
            let u_pg: Vec<_> = postgres.unique.difference(&sqlite.unique).collect();
            assert!(
                u_sqlite.is_empty() && u_pg.is_empty(),
                "unique keys differ: sqlite only {u_sqlite:?}, postgres only {u_pg:?}"
            );
        } else {
            eprintln!("schema parity: only SQLite checked; set CAUCUS_TEST_POSTGRES to compare with PostgreSQL");
        }
    }
}
