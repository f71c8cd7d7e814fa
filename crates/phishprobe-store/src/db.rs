//! One handle over both back ends, chosen by the location the user gives: a `postgres://` (or
//! `postgresql://`) URL is PostgreSQL, anything else is a SQLite file path.

use std::path::Path;

use crate::cases::{CaseSummary, NewCase, StoredCase};
use crate::{Mark, NumberEntry, PgStore, Result, Store};

/// The history and numbers store on SQLite or PostgreSQL.
#[derive(Debug)]
pub enum Db {
    Sqlite(Store),
    Postgres(Box<PgStore>),
}

/// True when `location` names a PostgreSQL database rather than a file.
pub fn is_postgres_url(location: &str) -> bool {
    let l = location.trim_start().to_ascii_lowercase();
    l.starts_with("postgres://") || l.starts_with("postgresql://")
}

macro_rules! both {
    ($self:ident, $s:ident => $e:expr) => {
        match $self {
            Db::Sqlite($s) => $e,
            Db::Postgres($s) => $e,
        }
    };
}

impl Db {
    /// Open `location`: a PostgreSQL URL or a SQLite path (created if missing).
    pub fn open(location: &str) -> Result<Db> {
        if is_postgres_url(location) {
            Ok(Db::Postgres(Box::new(PgStore::open(location.trim())?)))
        } else {
            Ok(Db::Sqlite(Store::open(Path::new(location))?))
        }
    }

    /// Where the data lives, safe to show (no password).
    pub fn location(&self) -> String {
        match self {
            Db::Sqlite(s) => s.path().to_string(),
            Db::Postgres(p) => p.url().to_string(),
        }
    }

    pub fn schema_version(&mut self) -> Result<i64> {
        both!(self, s => s.schema_version())
    }

    pub fn save_case(&mut self, case: &NewCase) -> Result<String> {
        both!(self, s => s.save_case(case))
    }

    pub fn get_case(&mut self, id_or_prefix: &str) -> Result<Option<StoredCase>> {
        both!(self, s => s.get_case(id_or_prefix))
    }

    pub fn list_cases(&mut self, limit: u32, offset: u32) -> Result<Vec<CaseSummary>> {
        both!(self, s => s.list_cases(limit, offset))
    }

    pub fn delete_case(&mut self, id_or_prefix: &str) -> Result<bool> {
        both!(self, s => s.delete_case(id_or_prefix))
    }

    pub fn count_cases(&mut self) -> Result<i64> {
        both!(self, s => s.count_cases())
    }

    pub fn check_integrity(&mut self) -> Result<()> {
        both!(self, s => s.check_integrity())
    }

    pub fn add_number(&mut self, number: &str, mark: Mark, note: &str) -> Result<()> {
        both!(self, s => s.add_number(number, mark, note))
    }

    pub fn remove_number(&mut self, number: &str) -> Result<bool> {
        both!(self, s => s.remove_number(number))
    }

    pub fn get_number(&mut self, number: &str) -> Result<Option<NumberEntry>> {
        both!(self, s => s.get_number(number))
    }

    pub fn list_numbers(&mut self) -> Result<Vec<NumberEntry>> {
        both!(self, s => s.list_numbers())
    }
}
