//! The [`Engine`]: the entry point. It holds the [`Knowledge`] (brand profiles, host lists and
//! their indexes) and answers the common questions (`check_url`, `check_host`) by handing it to
//! the analyses.
//!
//! Nothing inside the core depends on the engine: each analysis takes a `&Knowledge`, and an
//! `&Engine` can be passed wherever a `&Knowledge` is asked for (it dereferences to its
//! knowledge), so callers keep one value to build and share.
//!
//! Build it once (loading and indexing take milliseconds) and share it: every method takes
//! `&self`, so one engine serves all threads of a batch or a server.

use std::ops::Deref;

use crate::brand::BrandSet;
use crate::error::DataError;
use crate::knowledge::Knowledge;
use crate::lists::HostLists;
use crate::model::Report;

/// The knowledge plus the checks over it. Cheap to share (`&Engine` is `Sync`).
///
/// Every [`Knowledge`] method (`brands`, `owners_of_domain`, `free_hosting`...) is available
/// on the engine too, through `Deref`.
#[derive(Debug)]
pub struct Engine {
    knowledge: Knowledge,
}

impl Engine {
    /// The engine over the data embedded in the binary.
    pub fn embedded() -> Result<Engine, DataError> {
        Knowledge::embedded().map(Engine::from)
    }

    /// Build from `(file name, TOML)` brand profiles and the `hosting.toml` lists.
    pub fn from_sources<'a>(
        brands: impl IntoIterator<Item = (&'a str, &'a str)>,
        hosting: (&str, &str),
    ) -> Result<Engine, DataError> {
        Knowledge::from_sources(brands, hosting).map(Engine::from)
    }

    /// Build from already-parsed profiles and lists (a caller that edits or filters the data
    /// first, as the browser extension does with its own lists).
    pub fn new(brands: BrandSet, lists: HostLists) -> Engine {
        Engine::from(Knowledge::new(brands, lists))
    }

    /// What the checks know, for calling an analysis module directly.
    pub fn knowledge(&self) -> &Knowledge {
        &self.knowledge
    }

    /// Verdict for a bare hostname (or an email domain).
    pub fn check_host(&self, host: &str) -> Report {
        crate::host::check(&self.knowledge, host)
    }

    /// Verdict for a URL; a bare hostname is accepted too.
    pub fn check_url(&self, url: &str) -> Report {
        crate::url::check(&self.knowledge, url)
    }

    /// [`Engine::check_url`] for one of a batch of links (a message's), sharing the batch's
    /// host analyses: the same report, with a host the links share analysed once.
    pub fn check_url_with(&self, url: &str, hosts: &mut crate::host::HostMemo) -> Report {
        crate::url::check_with(&self.knowledge, url, hosts)
    }
}

impl From<Knowledge> for Engine {
    fn from(knowledge: Knowledge) -> Engine {
        Engine { knowledge }
    }
}

impl Deref for Engine {
    type Target = Knowledge;

    fn deref(&self) -> &Knowledge {
        &self.knowledge
    }
}

impl AsRef<Knowledge> for Engine {
    fn as_ref(&self) -> &Knowledge {
        &self.knowledge
    }
}
