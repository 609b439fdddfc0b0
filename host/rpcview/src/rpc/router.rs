//! [`Router`]: a built [`Api`](crate::Api), shared by every window, and what it tells of
//! itself (for allowlists, the OpenRPC document and tests).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::call::Compiled;
use super::emit::Emitter;
use super::limits::Limits;
use super::schema::ParamShape;
use super::shared::Shared;
use super::stats::Stats;
use super::Allow;

/// The OpenRPC service-discovery method every router answers: the document of what the
/// calling window may use. Names starting with `rpc.` are reserved for it.
pub const DISCOVER: &str = "rpc.discover";

/// What an entry of the [`Api`](crate::Api) is, as the page sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Called with `api.invoke`, answered with a result or an error.
    Method,
    /// Sent with `api.notify`, never answered.
    Notification,
    /// Started with `api.subscribe`, answered with a stream of items.
    Subscription,
}

/// The API's title and version, as the OpenRPC document states them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// The API's name.
    pub title: String,
    /// Its version (of the API, not of rpcview).
    pub version: String,
}

impl Default for Info {
    fn default() -> Self {
        Self {
            title: "rpcview API".into(),
            version: "0.0.0".into(),
        }
    }
}

/// What a method's documentation says: a description, the errors it may return, examples.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Docs {
    /// What the method does.
    pub description: Option<String>,
    /// Application errors it may return: `(code, message)`.
    pub errors: Vec<(i32, String)>,
    /// Example calls: `(name, params, result)`.
    pub examples: Vec<(String, Value, Value)>,
}

/// What the router knows of an event.
#[derive(Debug, Clone)]
pub struct EventInfo {
    /// The payload's schema (serialize form).
    pub schema: Value,
    /// What the event means.
    pub description: Option<String>,
}

/// What the router knows of one method, for allowlists, documents and tests.
#[derive(Debug, Clone)]
pub struct MethodInfo {
    /// Method or notification.
    pub kind: Kind,
    /// The params schema (deserialize form; a `$ref` for named types).
    pub params: Value,
    /// The result schema (serialize form), or each item's for a subscription; `None` for
    /// notifications.
    pub result: Option<Value>,
    /// How params are taken.
    pub shape: ParamShape,
    /// Description, declared errors, examples.
    pub docs: Docs,
}

/// A built [`Api`](crate::Api): cheap to clone, shared by every window. Answer messages with an
/// [`Endpoint`](crate::Endpoint) made from it.
#[derive(Clone)]
pub struct Router {
    pub(crate) inner: Arc<RouterInner>,
}

impl std::fmt::Debug for Router {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Router")
            .field("methods", &self.inner.methods.keys().collect::<Vec<_>>())
            .field("events", &self.inner.events.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

pub(crate) struct RouterInner {
    pub(crate) calls: BTreeMap<String, Arc<Compiled>>,
    pub(crate) methods: BTreeMap<String, MethodInfo>,
    pub(crate) events: BTreeMap<String, EventInfo>,
    pub(crate) info: Info,
    pub(crate) param_defs: Map<String, Value>,
    pub(crate) result_defs: Map<String, Value>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) limits: Limits,
}

impl Router {
    /// Names of every method, notification and subscription, sorted.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx};
    /// async fn ping(_: Ctx, _: ()) -> Result<(), rpcview::RpcError> { Ok(()) }
    /// let r = Api::new().method("ping", ping).build().unwrap();
    /// assert_eq!(r.names().collect::<Vec<_>>(), ["ping"]);
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.methods.keys().map(String::as_str)
    }

    /// What is known of `name`, if it is registered.
    pub fn method(&self, name: &str) -> Option<&MethodInfo> {
        self.inner.methods.get(name)
    }

    /// Names of every declared event, sorted.
    pub fn events(&self) -> impl Iterator<Item = &str> {
        self.inner.events.keys().map(String::as_str)
    }

    /// What is known of event `name`, if it is declared.
    pub fn event(&self, name: &str) -> Option<&EventInfo> {
        self.inner.events.get(name)
    }

    /// Every method and notification, sorted by name.
    pub fn methods(&self) -> impl Iterator<Item = (&str, &MethodInfo)> {
        self.inner.methods.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The API's title and version.
    pub fn info(&self) -> &Info {
        &self.inner.info
    }

    /// Definitions the params schemas refer to (deserialize form).
    pub fn params_definitions(&self) -> &Map<String, Value> {
        &self.inner.param_defs
    }

    /// Definitions the result and event schemas refer to (serialize form).
    pub fn result_definitions(&self) -> &Map<String, Value> {
        &self.inner.result_defs
    }

    /// Live counters: handler runs, calls in flight, refused messages.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.inner.shared.stats
    }

    /// The limits every endpoint enforces.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    /// A handle for pushing events from outside any handler (a file watcher, a timer).
    pub fn emitter(&self) -> Emitter {
        Emitter::new(self.inner.shared.clone())
    }

    /// Tells `hook` of every call once answered (the app does this for `App::on_call`).
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn set_call_hook(&self, hook: super::observe::CallHook) {
        let _ = self.inner.shared.on_call.set(hook);
    }

    /// Drops the managed state (the app does this when it shuts down, after handlers have
    /// finished), so that stores flush even while handles to the router live on. Handlers
    /// called afterwards find no state.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn release_state(&self) {
        let states = std::mem::take(&mut *self.inner.shared.states.write().expect("state lock"));
        drop(states);
    }

    pub(crate) fn compiled(&self, name: &str) -> Option<&Arc<Compiled>> {
        self.inner.calls.get(name)
    }

    /// Names a page in `allow` may use: `(methods, notifications, events)`.
    pub fn allowed_names(&self, allow: &Allow) -> AllowedNames {
        let mut names = AllowedNames::default();
        if allow.permits(DISCOVER) {
            names.methods.insert(DISCOVER.to_owned());
        }
        for (name, info) in &self.inner.methods {
            if allow.permits(name) {
                match info.kind {
                    Kind::Method => names.methods.insert(name.clone()),
                    Kind::Notification => names.notifications.insert(name.clone()),
                    Kind::Subscription => names.subscriptions.insert(name.clone()),
                };
            }
        }
        names.events = self
            .events()
            .filter(|e| allow.permits(e))
            .map(str::to_owned)
            .collect();
        names
    }
}

/// The names an allowlist lets a page use, sorted.
///
/// ```
/// # use rpcview::{Allow, Api, Ctx};
/// async fn log(_: Ctx, line: String) {}
/// let router = Api::new().notification("app.log", log).event::<u8>("tick").build().unwrap();
/// let names = router.allowed_names(&Allow::only(["app.*"]));
/// assert!(names.notifications.contains("app.log"));
/// assert!(names.events.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedNames {
    /// Methods for `api.invoke`.
    pub methods: BTreeSet<String>,
    /// Notifications for `api.notify`.
    pub notifications: BTreeSet<String>,
    /// Events for `api.on`.
    pub events: BTreeSet<String>,
    /// Subscriptions for `api.subscribe`.
    pub subscriptions: BTreeSet<String>,
}
