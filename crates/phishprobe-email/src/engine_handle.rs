//! How an email checker holds the engine it reads: borrowed, or shared.

use std::ops::Deref;
use std::sync::Arc;

use phishprobe_core::Engine;

/// The engine an [`EmailChecker`](crate::EmailChecker) reads.
///
/// A checker that lives inside one call or one thread (the CLI, tests, benchmarks) borrows the
/// caller's engine; one that lives as long as a server does holds a share of it, so the engine
/// stays alive exactly as long as its last user, with no leaked `'static` reference.
#[derive(Debug, Clone)]
pub enum EngineHandle<'e> {
    /// Borrowed from the caller, who keeps it alive.
    Borrowed(&'e Engine),
    /// Shared ownership: the checker keeps the engine alive.
    Shared(Arc<Engine>),
}

impl Deref for EngineHandle<'_> {
    type Target = Engine;

    fn deref(&self) -> &Engine {
        match self {
            EngineHandle::Borrowed(engine) => engine,
            EngineHandle::Shared(engine) => engine,
        }
    }
}

impl<'e> From<&'e Engine> for EngineHandle<'e> {
    fn from(engine: &'e Engine) -> Self {
        EngineHandle::Borrowed(engine)
    }
}

impl From<Arc<Engine>> for EngineHandle<'static> {
    fn from(engine: Arc<Engine>) -> Self {
        EngineHandle::Shared(engine)
    }
}

impl<'e> From<&'e Arc<Engine>> for EngineHandle<'e> {
    fn from(engine: &'e Arc<Engine>) -> Self {
        EngineHandle::Borrowed(engine)
    }
}
