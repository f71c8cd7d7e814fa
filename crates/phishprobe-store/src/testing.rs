//! Throwaway PostgreSQL databases for the tests of this crate and of the crates that use it
//! (the server runs two instances on one database). Not used by the tool itself.
//!
//! `PHISHPROBE_TEST_POSTGRES` names a server (`.ci/postgres start` prints it); each
//! [`TempPg`] creates its own database there and drops it when it goes. Without the variable
//! the PostgreSQL tests skip with a message, unless `PHISHPROBE_REQUIRE_POSTGRES=1` (CI), where
//! a missing server is a failure.

/// A fresh database on the test server, dropped (with its connections) when the guard goes.
pub struct TempPg {
    admin: String,
    name: String,
    /// `postgres://` URL of the fresh database.
    pub url: String,
}

impl TempPg {
    /// Create `phishprobe_t_{tag}_{pid}`, or `None` (with a message) when no test server is
    /// configured. Panics when the server is configured but unusable: this is test support.
    pub fn create(tag: &str) -> Option<TempPg> {
        let Some(base) = std::env::var("PHISHPROBE_TEST_POSTGRES")
            .ok()
            .filter(|u| !u.is_empty())
        else {
            if std::env::var("PHISHPROBE_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!("PHISHPROBE_REQUIRE_POSTGRES=1 but PHISHPROBE_TEST_POSTGRES is not set");
            }
            eprintln!(
                "skipping the PostgreSQL half: set PHISHPROBE_TEST_POSTGRES (see .ci/postgres)"
            );
            return None;
        };
        let tag: String = tag
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(24)
            .collect();
        let name = format!("phishprobe_t_{tag}_{}", std::process::id());
        let mut client = postgres::Client::connect(&base, postgres::NoTls)
            .unwrap_or_else(|e| panic!("connecting to PHISHPROBE_TEST_POSTGRES: {e}"));
        // One statement per call: PostgreSQL runs a multi-statement string as one transaction,
        // and CREATE/DROP DATABASE refuse to run inside one.
        for sql in [
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ] {
            client
                .batch_execute(&sql)
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let head = base
            .rsplit_once('/')
            .map(|(h, _)| h.to_string())
            .unwrap_or_else(|| panic!("PHISHPROBE_TEST_POSTGRES needs a database name"));
        Some(TempPg {
            admin: base,
            url: format!("{head}/{name}"),
            name,
        })
    }
}

impl Drop for TempPg {
    fn drop(&mut self) {
        if let Ok(mut c) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = c.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}
