//! What every call and every push share: managed state, counters, declared events, the push
//! sink, and where an event goes.

use std::any::{Any, TypeId};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use super::stats::Stats;
use super::validate::Validator;

/// Receives pushes for delivery: `(window labels, event, JSON-RPC notification text)`.
pub(crate) type PushSink = Arc<dyn Fn(Vec<String>, &str, String) + Send + Sync>;

/// Where an event goes. Only windows whose allowlist accepts the event receive it; naming a
/// window that is not open is an error ([`EmitError::NoSuchWindow`](crate::EmitError)).
///
/// ```
/// use rpcview::Target;
/// let to_main = Target::Window("main".into());
/// let to_both = Target::Windows(vec!["main".into(), "settings".into()]);
/// let to_others = Target::AllExcept("main".into()); // every window but the sender
/// assert_ne!(to_main, Target::All);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// Every open window.
    All,
    /// One window, by label.
    Window(String),
    /// These windows, by label.
    Windows(Vec<String>),
    /// Every open window but this one (typically the sender: `ctx.window()`).
    AllExcept(String),
}

/// An open window, as [`AppHandle::windows`](crate::AppHandle) lists it.
///
/// ```
/// let w = rpcview::WindowInfo { label: "main".into(), origin: "app://localhost".into(), url: "app://localhost/".into() };
/// assert_eq!(w.label, "main");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowInfo {
    /// Its label.
    pub label: String,
    /// The origin its pages may call from.
    pub origin: String,
    /// The URL it was opened at.
    pub url: String,
}

/// The windows an app has open (or is opening), with what each may receive.
#[derive(Debug, Default)]
pub(crate) struct Windows {
    pub(crate) open: std::collections::BTreeMap<String, (WindowInfo, super::Allow)>,
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

/// The handler tasks an endpoint's calls are running, so that they can be cancelled: one
/// call, when its page asks (`$/cancelRequest`), or all, when their page is gone for good (its
/// web process crashed).
#[derive(Debug, Default)]
pub(crate) struct Tasks {
    state: std::sync::Mutex<TaskState>,
}

/// Behind one lock, so that a cancel and its call's start cannot miss each other.
#[derive(Debug, Default)]
struct TaskState {
    next: u64,
    running: HashMap<u64, Task>,
    /// Cancels that came before their call's handler started (both were in flight at once):
    /// the handler is cancelled as it registers, if it does within [`EARLY_CANCEL_TTL`]. The
    /// last [`EARLY_CANCELS`] only.
    early: std::collections::VecDeque<(CallKey, Instant)>,
}

/// How many cancels of calls not yet started an endpoint remembers.
const EARLY_CANCELS: usize = 256;
/// How long a cancel that matched no running call waits for its call to start: a cancel
/// overtakes its call only while both are in flight, so a later call that reuses the id
/// (JSON-RPC clients often do) is not cancelled by it.
const EARLY_CANCEL_TTL: Duration = Duration::from_secs(2);

/// One running handler: the call it answers, how to abort it, and the flag a blocking
/// handler polls.
#[derive(Debug)]
pub(crate) struct Task {
    pub(crate) call: Option<CallKey>,
    pub(crate) abort: Option<tokio::task::AbortHandle>,
    pub(crate) cancelled: Arc<std::sync::atomic::AtomicBool>,
}

impl Task {
    fn cancel(&self) {
        self.cancelled
            .store(true, std::sync::atomic::Ordering::SeqCst);
        if let Some(abort) = &self.abort {
            abort.abort();
        }
    }
}

/// Which call a task answers: the page that sent it (its scope) and the request's id as
/// written, so that a page can cancel its own calls and no other page's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CallKey {
    pub(crate) scope: Arc<str>,
    pub(crate) id: Arc<str>,
}

impl Tasks {
    /// Registers a running task; the returned id removes it.
    pub(crate) fn add(&self, task: Task) -> u64 {
        self.add_at(task, Instant::now())
    }

    fn add_at(&self, task: Task, now: Instant) -> u64 {
        let mut state = self.state.lock().expect("tasks lock");
        state
            .early
            .retain(|(_, at)| now.duration_since(*at) < EARLY_CANCEL_TTL);
        if let Some(call) = &task.call {
            if let Some(i) = state.early.iter().position(|(c, _)| c == call) {
                state.early.remove(i);
                task.cancel();
            }
        }
        state.next += 1;
        let id = state.next;
        state.running.insert(id, task);
        id
    }

    pub(crate) fn remove(&self, id: u64) {
        self.state.lock().expect("tasks lock").running.remove(&id);
    }

    /// Cancels the tasks answering `call`, or the call as soon as it starts; returns how many
    /// were running.
    pub(crate) fn cancel(&self, call: &CallKey) -> usize {
        self.cancel_at(call, Instant::now())
    }

    fn cancel_at(&self, call: &CallKey, now: Instant) -> usize {
        let mut state = self.state.lock().expect("tasks lock");
        let mut n = 0;
        for task in state
            .running
            .values()
            .filter(|t| t.call.as_ref() == Some(call))
        {
            task.cancel();
            n += 1;
        }
        if n == 0 {
            if state.early.len() == EARLY_CANCELS {
                state.early.pop_front();
            }
            state.early.push_back((call.clone(), now));
        }
        n
    }

    /// Cancels every task still running; returns how many.
    pub(crate) fn abort_all(&self) -> usize {
        let running = std::mem::take(&mut self.state.lock().expect("tasks lock").running);
        for task in running.values() {
            task.cancel();
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
    /// The windows open now (kept by the app; empty without one).
    pub(crate) windows: RwLock<Windows>,
    /// The last subscription id given out.
    pub(crate) last_subscription: std::sync::atomic::AtomicU64,
    /// Told of every call once answered (set by the app when it has an `on_call` hook).
    pub(crate) on_call: std::sync::OnceLock<super::observe::CallHook>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: &str) -> (Task, Arc<std::sync::atomic::AtomicBool>) {
        let cancelled = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let call = CallKey {
            scope: "page".into(),
            id: id.into(),
        };
        let task = Task {
            call: Some(call),
            abort: None,
            cancelled: cancelled.clone(),
        };
        (task, cancelled)
    }

    #[test]
    fn a_cancel_that_overtook_its_call_cancels_it_but_not_a_later_call_with_its_id() {
        use std::sync::atomic::Ordering::SeqCst;
        let tasks = Tasks::default();
        let key = CallKey {
            scope: "page".into(),
            id: "7".into(),
        };
        let now = Instant::now();
        // The cancel arrives first; its call starts right after: cancelled.
        assert_eq!(tasks.cancel_at(&key, now), 0);
        let (t, cancelled) = task("7");
        tasks.add_at(t, now + Duration::from_millis(10));
        assert!(cancelled.load(SeqCst));
        // A cancel that matched nothing, and a call reusing the id much later: not cancelled.
        tasks.cancel_at(&key, now);
        let (t, cancelled) = task("7");
        tasks.add_at(t, now + EARLY_CANCEL_TTL + Duration::from_millis(1));
        assert!(!cancelled.load(SeqCst));
    }
}
