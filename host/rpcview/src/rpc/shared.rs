//! What every call and every push share: managed state, counters, declared events, the push
//! sink, and where an event goes.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use super::stats::Stats;
use super::validate::Validator;

/// Receives pushes for delivery: `(target, event name, JSON-RPC notification text)`.
pub(crate) type PushSink = Arc<dyn Fn(Target, &str, String) + Send + Sync>;

/// Where an event goes.
///
/// ```
/// let to_main = rpcview::Target::Window("main".into());
/// assert_ne!(to_main, rpcview::Target::All);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every open window whose allowlist accepts the event.
    All,
    /// One window, by label.
    Window(String),
}

/// Values by type: managed state, and what an endpoint's owner attaches to its calls.
#[derive(Default, Clone)]
pub(crate) struct TypeMap(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl std::fmt::Debug for TypeMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TypeMap({} values)", self.0.len())
    }
}

impl TypeMap {
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        self.0.insert(TypeId::of::<T>(), Arc::new(value));
    }
    pub(crate) fn contains(&self, id: TypeId) -> bool {
        self.0.contains_key(&id)
    }
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|a| a.downcast::<T>().ok())
    }
    pub(crate) fn get_ref<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|a| a.downcast_ref())
    }
}

/// The handler tasks an endpoint's calls are running, so that they can be cancelled when
/// their page is gone for good (its web process crashed).
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    running: std::sync::Mutex<(u64, HashMap<u64, tokio::task::AbortHandle>)>,
}

impl Tasks {
    /// Registers a running task; the returned id removes it.
    pub(crate) fn add(&self, handle: tokio::task::AbortHandle) -> u64 {
        let mut running = self.running.lock().expect("tasks lock");
        running.0 += 1;
        let id = running.0;
        running.1.insert(id, handle);
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        self.running.lock().expect("tasks lock").1.remove(&id);
    }

    /// Aborts every task still running; returns how many.
    pub(crate) fn abort_all(&self) -> usize {
        let running = std::mem::take(&mut self.running.lock().expect("tasks lock").1);
        for handle in running.values() {
            handle.abort();
        }
        running.len()
    }
}

/// Shared by every call: state, counters, declared events, the push sink.
pub(crate) struct Shared {
    /// Emptied when the app shuts down, so managed state is dropped (stores flush) even
    /// while a handle to the router lives on.
    pub(crate) states: RwLock<TypeMap>,
    pub(crate) stats: Arc<Stats>,
    pub(crate) events: BTreeMap<String, Arc<Validator>>,
    pub(crate) push: RwLock<Option<PushSink>>,
}
