//! [`Api`]: the table of methods, notifications and events a page may use, and [`Router`],
//! what it becomes once built: a jsonrpsee `RpcModule` whose every entry validates its params,
//! maps positional params, catches panics and counts calls in flight.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::{Extensions, RpcModule};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};

use super::ctx::{CallSite, Ctx, Emitter, Shared, States};
use super::error::RpcError;
use super::limits::Limits;
use super::stats::{InFlight, Stats};
use crate::schema::{Generators, ParamShape, Validator, Violation};

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
type Call = Arc<dyn Fn(Ctx, Value) -> BoxFuture<Result<Value, RpcError>> + Send + Sync>;

/// What an entry of the [`Api`] is, as the page sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Called with `api.invoke`, answered with a result or an error.
    Method,
    /// Sent with `api.notify`, never answered.
    Notification,
}

/// Why [`Api::build`] refused the table. Nothing has opened yet when this is returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// Two entries share a name.
    #[error("'{0}' is registered twice; give one of them another name")]
    Duplicate(String),
    /// A name is empty, has whitespace, or starts with the reserved `rpc.` prefix.
    #[error("'{0}' is not a valid method or event name; use `area.verb` (letters, digits, '.', '_', '-'), not starting with 'rpc.'")]
    InvalidName(String),
    /// `.doc`, `.error` or `.example` came before any method to apply to.
    #[error("`.{0}(...)` must follow the `.method`, `.notification` or `.event` it describes")]
    Misplaced(&'static str),
    /// A type's schema did not compile to a validator (a bug in a manual `JsonSchema` impl).
    #[error("the schema of '{name}' does not compile: {reason}")]
    Schema {
        /// The method or event whose schema failed.
        name: String,
        /// What the compiler said.
        reason: String,
    },
}

/// The API a page may call: methods, notifications and events, registered by name.
///
/// Handlers are plain async functions taking a [`Ctx`] and their params type, which derives
/// `Deserialize` and `JsonSchema`; methods return `Result<T, RpcError>` with `T: Serialize +
/// JsonSchema`. Params are checked against the schema before the handler runs.
///
/// # Example
/// ```
/// use rpcview::{Api, Ctx, RpcError};
/// use schemars::JsonSchema;
/// use serde::Deserialize;
///
/// /// Two numbers to add.
/// #[derive(Deserialize, JsonSchema)]
/// struct Add { a: i64, b: i64 }
///
/// async fn add(_ctx: Ctx, p: Add) -> Result<i64, RpcError> { Ok(p.a + p.b) }
/// async fn log(_ctx: Ctx, line: String) { println!("{line}") }
///
/// let router = Api::new()
///     .method("math.add", add)
///     .notification("app.log", log)
///     .event::<String>("app.tick")
///     .build()
///     .unwrap();
/// assert_eq!(router.names().count(), 2);
/// ```
pub struct Api {
    gens: Generators,
    entries: Vec<Entry>,
    events: Vec<EventEntry>,
    states: States,
    limits: Limits,
    info: Info,
    last: Option<Last>,
    errors: Vec<BuildError>,
}

struct Entry {
    name: String,
    kind: Kind,
    params: Value,
    result: Option<Value>,
    docs: Docs,
    call: Call,
}

struct EventEntry {
    name: String,
    schema: Value,
    description: Option<String>,
}

/// What `.doc`, `.error` and `.example` apply to: the entry registered last.
#[derive(Clone, Copy)]
enum Last {
    Entry(usize),
    Event(usize),
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

impl Default for Api {
    fn default() -> Self {
        Self::new()
    }
}

impl Api {
    /// An empty table.
    ///
    /// ```
    /// let api = rpcview::Api::new();
    /// assert_eq!(api.build().unwrap().names().count(), 0);
    /// ```
    pub fn new() -> Self {
        Self {
            gens: Generators::default(),
            entries: Vec::new(),
            events: Vec::new(),
            states: States::default(),
            limits: Limits::default(),
            info: Info::default(),
            last: None,
            errors: Vec::new(),
        }
    }

    /// Names the API and its version, for the OpenRPC document. Default: `rpcview API`,
    /// `0.0.0`.
    ///
    /// ```
    /// let api = rpcview::Api::new().info("Notes", "1.2.0");
    /// ```
    pub fn info(mut self, title: &str, version: &str) -> Self {
        self.info = Info {
            title: title.into(),
            version: version.into(),
        };
        self
    }

    /// Describes the method, notification or event registered just before. The text shows in
    /// the OpenRPC document and as a doc comment in the generated TypeScript.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn ping(_: Ctx, _: ()) -> Result<(), RpcError> { Ok(()) }
    /// let api = Api::new().method("ping", ping).doc("Answers at once; for health checks.");
    /// ```
    pub fn doc(mut self, text: &str) -> Self {
        match self.last {
            Some(Last::Entry(i)) => self.entries[i].docs.description = Some(text.trim().to_owned()),
            Some(Last::Event(i)) => self.events[i].description = Some(text.trim().to_owned()),
            None => self.errors.push(BuildError::Misplaced("doc")),
        }
        self
    }

    /// Declares an application error the method registered just before may return.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn get(_: Ctx, (id,): (String,)) -> Result<String, RpcError> {
    ///     Err(RpcError::new(404, format!("no note '{id}'")))
    /// }
    /// let api = Api::new().method("notes.get", get).error(404, "no note has that id");
    /// ```
    pub fn error(mut self, code: i32, message: &str) -> Self {
        match self.last {
            Some(Last::Entry(i)) => self.entries[i].docs.errors.push((code, message.into())),
            _ => self.errors.push(BuildError::Misplaced("error")),
        }
        self
    }

    /// Adds an example call of the method registered just before: its params and result.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// # use serde_json::json;
    /// async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> { Ok(xs.iter().sum()) }
    /// let api = Api::new().method("sum", sum).example("three numbers", json!([1, 2, 4]), json!(7));
    /// ```
    pub fn example(mut self, name: &str, params: Value, result: Value) -> Self {
        match self.last {
            Some(Last::Entry(i)) => {
                self.entries[i]
                    .docs
                    .examples
                    .push((name.into(), params, result))
            }
            _ => self.errors.push(BuildError::Misplaced("example")),
        }
        self
    }

    /// Registers a method: the page calls it with `api.invoke(name, params)` and gets the
    /// handler's result, or an `RpcError`.
    ///
    /// `P` is the params type: a struct takes params by name or by position, a tuple or `Vec`
    /// by position, `()` none. The handler runs on the tokio runtime; a panic in it becomes
    /// `-32603` for that call only.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> { Ok(xs.iter().sum()) }
    /// let api = Api::new().method("sum", sum);
    /// ```
    pub fn method<P, R, F, Fut>(mut self, name: &str, handler: F) -> Self
    where
        P: DeserializeOwned + JsonSchema + Send + 'static,
        R: Serialize + JsonSchema + Send + 'static,
        F: Fn(Ctx, P) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<R, RpcError>> + Send + 'static,
    {
        let params = self.gens.params_for::<P>();
        let result = self.gens.result_for::<R>();
        let call = erase(name, move |ctx, p| {
            let handler = handler.clone();
            async move { handler(ctx, p).await }
        });
        self.push(Entry {
            name: name.to_owned(),
            kind: Kind::Method,
            params,
            result: Some(result),
            docs: Docs::default(),
            call,
        });
        self
    }

    /// Registers a notification: the page sends it with `api.notify(name, params)` and gets no
    /// reply, not even on error (invalid params are logged).
    ///
    /// ```
    /// # use rpcview::{Api, Ctx};
    /// async fn log(_: Ctx, line: String) { eprintln!("{line}") }
    /// let api = Api::new().notification("app.log", log);
    /// ```
    pub fn notification<P, F, Fut>(mut self, name: &str, handler: F) -> Self
    where
        P: DeserializeOwned + JsonSchema + Send + 'static,
        F: Fn(Ctx, P) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let params = self.gens.params_for::<P>();
        let call = erase(name, move |ctx, p| {
            let handler = handler.clone();
            async move {
                handler(ctx, p).await;
                Ok(())
            }
        });
        self.push(Entry {
            name: name.to_owned(),
            kind: Kind::Notification,
            params,
            result: None,
            docs: Docs::default(),
            call,
        });
        self
    }

    /// Declares an event the host may push to pages with [`Emitter::emit`]; pages listen with
    /// `api.on(name, cb)`. Emitting an undeclared event is an error.
    ///
    /// ```
    /// # use rpcview::Api;
    /// let api = Api::new().event::<String>("notes.changed");
    /// ```
    pub fn event<T: Serialize + JsonSchema>(mut self, name: &str) -> Self {
        let schema = self.gens.result_for::<T>();
        if !valid_name(name) {
            self.errors.push(BuildError::InvalidName(name.to_owned()));
        } else if self.events.iter().any(|e| e.name == name) {
            self.errors.push(BuildError::Duplicate(name.to_owned()));
        }
        self.last = Some(Last::Event(self.events.len()));
        self.events.push(EventEntry {
            name: name.to_owned(),
            schema,
            description: None,
        });
        self
    }

    /// Makes `state` available to every handler through [`Ctx::state`]; one value per type.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// struct Greeting(String);
    /// async fn greet(ctx: Ctx, name: String) -> Result<String, RpcError> {
    ///     Ok(format!("{} {name}", ctx.state::<Greeting>().0))
    /// }
    /// let api = Api::new().manage(Greeting("hello".into())).method("greet", greet);
    /// ```
    pub fn manage<T: Send + Sync + 'static>(mut self, state: T) -> Self {
        self.states.insert(state);
        self
    }

    /// Replaces the default [`Limits`].
    ///
    /// ```
    /// # use rpcview::{Api, Limits};
    /// let api = Api::new().limits(Limits { max_batch_len: 10, ..Limits::default() });
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    fn push(&mut self, entry: Entry) {
        if !valid_name(&entry.name) {
            self.errors
                .push(BuildError::InvalidName(entry.name.clone()));
        } else if self.entries.iter().any(|e| e.name == entry.name) {
            self.errors.push(BuildError::Duplicate(entry.name.clone()));
        }
        self.last = Some(Last::Entry(self.entries.len()));
        self.entries.push(entry);
    }

    /// Checks the table and compiles every schema.
    ///
    /// # Errors
    /// The first problem found: a duplicate or invalid name, or a schema that does not compile.
    pub fn build(mut self) -> Result<Router, BuildError> {
        if let Some(e) = self.errors.first() {
            return Err(e.clone());
        }
        let param_defs = self.gens.params_definitions();
        let result_defs = self.gens.result_definitions();
        let compile = |name: &str, schema: &Value, defs: &Map<String, Value>| {
            Validator::compile(schema, defs).map_err(|reason| BuildError::Schema {
                name: name.to_owned(),
                reason,
            })
        };

        let mut events = BTreeMap::new();
        for e in &self.events {
            events.insert(
                e.name.clone(),
                Arc::new(compile(&e.name, &e.schema, &result_defs)?),
            );
        }
        let shared = Arc::new(Shared {
            states: Arc::new(std::mem::take(&mut self.states)),
            stats: Arc::new(Stats::default()),
            events: Arc::new(events),
            push: Default::default(),
        });

        let mut module = RpcModule::from_arc(shared.clone());
        let mut methods = BTreeMap::new();
        for entry in self.entries {
            let compiled = Arc::new(Compiled {
                shape: ParamShape::of(&entry.params, &param_defs),
                params: compile(&entry.name, &entry.params, &param_defs)?,
                result: match &entry.result {
                    Some(s) if cfg!(debug_assertions) => {
                        Some(compile(&entry.name, s, &result_defs)?)
                    }
                    _ => None,
                },
                name: entry.name.clone(),
                call: entry.call,
            });
            let name: &'static str = Box::leak(entry.name.clone().into_boxed_str());
            let c = compiled.clone();
            module
                .register_async_method(name, move |params, shared: Arc<Shared>, ext: Extensions| {
                    let c = c.clone();
                    async move {
                        let site = ext.get::<CallSite>().cloned().unwrap_or_default();
                        let ctx = Ctx::new(site, shared);
                        c.run(ctx, params.as_str())
                            .await
                            .map_err(ErrorObjectOwned::from)
                    }
                })
                .map_err(|_| BuildError::Duplicate(entry.name.clone()))?;
            methods.insert(
                entry.name.clone(),
                MethodInfo {
                    kind: entry.kind,
                    params: entry.params,
                    result: entry.result,
                    shape: compiled.shape.clone(),
                    docs: entry.docs,
                },
            );
        }
        Ok(Router {
            inner: Arc::new(RouterInner {
                module: module.into(),
                methods,
                events: self
                    .events
                    .into_iter()
                    .map(|e| {
                        (
                            e.name,
                            EventInfo {
                                schema: e.schema,
                                description: e.description,
                            },
                        )
                    })
                    .collect(),
                info: self.info,
                param_defs,
                result_defs,
                shared,
                limits: self.limits,
            }),
        })
    }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with("rpc.")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'))
}

/// Wraps a typed handler into one that takes validated JSON, runs the handler in its own
/// tokio task (so a panic is caught and the handler finishes even if nobody waits for it)
/// and returns its result as JSON.
fn erase<P, R, F, Fut>(name: &str, handler: F) -> Call
where
    P: DeserializeOwned + Send + 'static,
    R: Serialize + Send + 'static,
    F: Fn(Ctx, P) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<R, RpcError>> + Send + 'static,
{
    let name: Arc<str> = name.into();
    Arc::new(move |ctx: Ctx, params: Value| {
        let name = name.clone();
        let decoded = serde_json::from_value::<P>(params);
        let result_name = name.clone();
        let fut = decoded.map(|p| {
            let name = result_name;
            let guard = InFlight::enter(ctx.stats().clone());
            let fut = handler(ctx, p);
            async move {
                let _guard = guard;
                fut.await.and_then(|r| {
                    serde_json::to_value(r).map_err(|e| {
                        RpcError::internal(format!("the result of '{name}' did not serialize: {e}"))
                    })
                })
            }
        });
        Box::pin(async move {
            let fut = fut.map_err(|e| {
                RpcError::invalid_params(format!("invalid params for '{name}': {e}"))
            })?;
            match tokio::spawn(fut).await {
                Ok(result) => result,
                Err(e) => {
                    let why = panic_message(e);
                    tracing::error!(method = %name, "handler panicked: {why}");
                    Err(RpcError::internal(format!(
                        "the handler of '{name}' panicked: {why}"
                    )))
                }
            }
        })
    })
}

fn panic_message(e: tokio::task::JoinError) -> String {
    if !e.is_panic() {
        return "it was cancelled".into();
    }
    let payload = e.into_panic();
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-string panic payload".into())
}

/// One method, ready to run: its params shape and validators.
struct Compiled {
    name: String,
    shape: ParamShape,
    params: Validator,
    result: Option<Validator>,
    call: Call,
}

impl Compiled {
    async fn run(&self, ctx: Ctx, raw: Option<&str>) -> Result<Value, RpcError> {
        let sent = raw
            .map(serde_json::from_str::<Value>)
            .transpose()
            .map_err(|e| {
                RpcError::invalid_params(format!("params of '{}' are not JSON: {e}", self.name))
            })?;
        let params = super::params::shape(&self.name, &self.shape, sent)?;
        let violations = self.params.violations(&params);
        if !violations.is_empty() {
            return Err(invalid_params(&self.name, &violations));
        }
        let result = (self.call)(ctx, params).await?;
        if let Some(check) = &self.result {
            let violations = check.violations(&result);
            if !violations.is_empty() {
                let list = join(&violations);
                tracing::error!(method = %self.name, "result does not match its schema: {list}");
                return Err(RpcError::internal(format!(
                    "the result of '{}' does not match its schema: {list}",
                    self.name
                ))
                .with_data(serde_json::json!({ "method": self.name, "errors": violations })));
            }
        }
        Ok(result)
    }
}

fn join(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join("; ")
}

fn invalid_params(method: &str, violations: &[Violation]) -> RpcError {
    RpcError::invalid_params(format!(
        "invalid params for '{method}': {}",
        join(violations)
    ))
    .with_data(serde_json::json!({ "method": method, "errors": violations }))
}

/// What the router knows of one method, for allowlists, documents and tests.
#[derive(Debug, Clone)]
pub struct MethodInfo {
    /// Method or notification.
    pub kind: Kind,
    /// The params schema (deserialize form; a `$ref` for named types).
    pub params: Value,
    /// The result schema (serialize form); `None` for notifications.
    pub result: Option<Value>,
    /// How params are taken.
    pub shape: ParamShape,
    /// Description, declared errors, examples.
    pub docs: Docs,
}

/// A built [`Api`]: cheap to clone, shared by every window.
#[derive(Clone)]
pub struct Router {
    pub(crate) inner: Arc<RouterInner>,
}

pub(crate) struct RouterInner {
    pub(crate) module: jsonrpsee::Methods,
    pub(crate) methods: BTreeMap<String, MethodInfo>,
    pub(crate) events: BTreeMap<String, EventInfo>,
    pub(crate) info: Info,
    pub(crate) param_defs: Map<String, Value>,
    pub(crate) result_defs: Map<String, Value>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) limits: Limits,
}

impl Router {
    /// Names of every method and notification, sorted.
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

    /// An endpoint that answers messages on behalf of `site` (a window and its origin),
    /// limited to the methods `allow` accepts.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError, rpc::{Allow, CallSite}};
    /// async fn ping(_: Ctx, _: ()) -> Result<&'static str, RpcError> { Ok("pong") }
    /// let router = Api::new().method("ping", ping).build().unwrap();
    /// let endpoint = router.endpoint(CallSite::new("main", "app://localhost"), Allow::all());
    /// let rt = tokio::runtime::Runtime::new().unwrap();
    /// let reply = rt.block_on(endpoint.handle(r#"{"jsonrpc":"2.0","method":"ping","id":7}"#));
    /// assert_eq!(reply.unwrap(), r#"{"jsonrpc":"2.0","result":"pong","id":7}"#);
    /// ```
    pub fn endpoint(&self, site: CallSite, allow: super::Allow) -> super::Endpoint {
        let mut module = self.inner.module.clone();
        module.extensions_mut().insert(site.clone());
        super::Endpoint::new(self.clone(), module, site, allow)
    }

    /// Names a page in `allow` may use: `(methods, notifications, events)`.
    pub(crate) fn allowed_names(
        &self,
        allow: &super::Allow,
    ) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
        let mut methods = BTreeSet::new();
        let mut notifications = BTreeSet::new();
        if allow.permits(super::endpoint::DISCOVER) {
            methods.insert(super::endpoint::DISCOVER.to_owned());
        }
        for (name, info) in &self.inner.methods {
            if allow.permits(name) {
                match info.kind {
                    Kind::Method => methods.insert(name.clone()),
                    Kind::Notification => notifications.insert(name.clone()),
                };
            }
        }
        let events = self
            .events()
            .filter(|e| allow.permits(e))
            .map(str::to_owned)
            .collect();
        (methods, notifications, events)
    }
}
