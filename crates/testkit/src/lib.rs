//! Test support: a fresh, empty database per test. SQLite always (a file in a temporary directory);
//! PostgreSQL too when `CAUCUS_TEST_POSTGRES` holds a server URL, each test in a database of its own
//! that is dropped afterwards. Storage tests loop over `databases()` so both engines run the same code.
#![cfg_attr(test, allow(clippy::unwrap_used))]

use rand::Rng;
use sqlx::Connection;
use std::path::PathBuf;

pub const POSTGRES_ENV: &str = "CAUCUS_TEST_POSTGRES";

pub struct TestDb {
    pub url: String,
    pub engine: &'static str,
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh SQLite database file in its own temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("a temporary directory for the test database");
        let url = format!("sqlite://{}", dir.path().join("caucus.db").display());
        TestDb {
            url,
            engine: "sqlite",
            dir: Some(dir),
            postgres: None,
        }
    }

    /// A fresh PostgreSQL database on the server `base_url` names.
    pub async fn postgres(base_url: &str) -> TestDb {
        let name = format!("caucus_t_{:016x}", rand::rng().random::<u64>());
        let mut admin = sqlx::PgConnection::connect(base_url)
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_ENV}={base_url} does not answer: {e}"));
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let _ = admin.close().await;
        TestDb {
            url: with_database(base_url, &name),
            engine: "postgres",
            dir: None,
            postgres: Some((base_url.to_string(), name)),
        }
    }

    /// The directory that holds a SQLite test database (for files a test writes beside it).
    pub fn scratch(&self) -> PathBuf {
        match &self.dir {
            Some(d) => d.path().to_path_buf(),
            None => std::env::temp_dir(),
        }
    }
}

/// The URL of database `name` on the server of `base_url`.
pub fn with_database(base_url: &str, name: &str) -> String {
    let (main, query) = match base_url.split_once('?') {
        Some((m, q)) => (m, format!("?{q}")),
        None => (base_url, String::new()),
    };
    let server = match main.rsplit_once('/') {
        Some((server, _db)) if server.contains("//") && !server.ends_with('/') => server,
        _ => main.trim_end_matches('/'),
    };
    format!("{server}/{name}{query}")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = self.postgres.take() {
            // Dropping needs async IO, and Drop cannot await: do it on a thread with its own runtime.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                if let Ok(rt) = rt {
                    rt.block_on(async {
                        if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                                .execute(&mut c)
                                .await;
                        }
                    });
                }
            })
            .join();
        }
    }
}

/// One fresh database per engine under test: SQLite, and PostgreSQL when `CAUCUS_TEST_POSTGRES` is set.
pub async fn databases() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if let Ok(base) = std::env::var(POSTGRES_ENV) {
        if !base.trim().is_empty() {
            dbs.push(TestDb::postgres(base.trim()).await);
        }
    }
    dbs
}

/// The repository's `shared/` data folder (cloned beside the project).
pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_name_replaces_the_one_in_the_url() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/test?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
