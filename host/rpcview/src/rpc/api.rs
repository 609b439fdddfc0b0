//! [`Api`]: the table of methods, notifications and events a page may use. [`Api::build`]
//! checks it and compiles every schema into a [`Router`].

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::{Map, Value};

use super::call::{self, Compiled, Erased, Run};
use super::ctx::Ctx;
use super::error::RpcError;
use super::handler::{BlockingHandler, Handler, Need, SubscriptionHandler};
use super::limits::Limits;
use super::router::{Docs, EventInfo, Info, Kind, MethodInfo, Router, RouterInner};
use super::schema::{Generators, ParamShape};
use super::shared::{Shared, TypeMap};
use super::stats::Stats;
use super::validate::Validator;

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
    /// `.doc`, `.error`, `.example` or `.runs_to_completion` came before any entry to apply to.
    #[error("`.{0}(...)` must follow the `.method`, `.notification`, `.subscription` or `.event` it applies to")]
    Misplaced(&'static str),
    /// A handler takes [`State<T>`](crate::State) but no `T` was given to [`Api::manage`].
    #[error("'{method}' takes State<{state}>, but no {state} was added; call .manage(value) on the Api with one")]
    MissingState {
        /// The method or notification.
        method: String,
        /// The state's type.
        state: &'static str,
    },
    /// [`Api::stub`] named no method or notification registered before it.
    #[error("'{0}' cannot be stubbed: no method or notification of that name was registered before the stub")]
    NothingToStub(String),
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
/// Handlers are plain async functions taking a [`Ctx`](crate::Ctx) and their params type, which derives
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
    states: TypeMap,
    limits: Limits,
    info: Info,
    last: Option<Last>,
    errors: Vec<BuildError>,
}

impl std::fmt::Debug for Api {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Api")
            .field(
                "methods",
                &self.entries.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .field(
                "events",
                &self.events.iter().map(|e| &e.name).collect::<Vec<_>>(),
            )
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

struct Entry {
    name: String,
    kind: Kind,
    params: Value,
    declared: Option<&'static [&'static str]>,
    result: Option<Value>,
    docs: Docs,
    needs: Option<Need>,
    run: Run,
    detached: bool,
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
            states: TypeMap::default(),
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
    /// The handler is `async fn(Ctx, P) -> Result<T, RpcError>`, or
    /// `async fn(State<S>, Ctx, P) -> Result<T, RpcError>` to get managed state. `P` is the
    /// params type: a struct takes params by name or by position, a tuple or `Vec` by
    /// position, `()` none. The handler runs on the tokio runtime; a panic in it becomes
    /// `-32603` for that call only.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn sum(_: Ctx, xs: Vec<i64>) -> Result<i64, RpcError> { Ok(xs.iter().sum()) }
    /// let api = Api::new().method("sum", sum);
    /// ```
    pub fn method<M, H, R>(self, name: &str, handler: H) -> Self
    where
        H: Handler<M, Output = Result<R, RpcError>>,
        R: Serialize + JsonSchema + Send + 'static,
    {
        let call = call::method(name, handler);
        self.push_method::<H::Params, R>(name, H::needs(), call)
    }

    /// Registers a method whose handler is a plain (not async) function that may block: CPU
    /// work, synchronous file or network I/O. It runs on tokio's blocking pool (up to 512
    /// threads by default; bring your own runtime with `App::runtime` to size it), so it never
    /// stalls the async handlers of any window. The page calls it like any method.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// fn hash_file(_: Ctx, (path,): (String,)) -> Result<u64, RpcError> {
    ///     let bytes = std::fs::read(&path).map_err(|e| RpcError::new(1, format!("{path}: {e}")))?;
    ///     Ok(bytes.iter().map(|b| u64::from(*b)).sum())
    /// }
    /// let api = Api::new().blocking_method("files.hash", hash_file);
    /// # api.build().unwrap();
    /// ```
    pub fn blocking_method<M, H, R>(self, name: &str, handler: H) -> Self
    where
        H: BlockingHandler<M, Output = Result<R, RpcError>>,
        R: Serialize + JsonSchema + Send + 'static,
    {
        let call = call::blocking_method(name, handler);
        self.push_method::<H::Params, R>(name, H::needs(), call)
    }

    /// Registers a notification: the page sends it with `api.notify(name, params)` and gets no
    /// reply, not even on error (invalid params are logged). The handler is
    /// `async fn(Ctx, P)` or `async fn(State<S>, Ctx, P)`.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx};
    /// async fn log(_: Ctx, line: String) { eprintln!("{line}") }
    /// let api = Api::new().notification("app.log", log);
    /// ```
    pub fn notification<M, H>(mut self, name: &str, handler: H) -> Self
    where
        H: Handler<M, Output = ()>,
    {
        let (params, declared) = self.gens.params_for::<H::Params>();
        self.push(Entry {
            name: name.to_owned(),
            kind: Kind::Notification,
            params,
            declared,
            result: None,
            docs: Docs::default(),
            needs: H::needs(),
            run: Run::Call(call::notification(name, handler)),
            detached: false,
        });
        self
    }

    /// Registers a method (async or blocking) whose params are `P` and result `R`.
    fn push_method<P, R>(mut self, name: &str, needs: Option<Need>, call: Erased) -> Self
    where
        P: serde::de::DeserializeOwned + JsonSchema,
        R: JsonSchema,
    {
        let (params, declared) = self.gens.params_for::<P>();
        let result = self.gens.result_for::<R>();
        self.push(Entry {
            name: name.to_owned(),
            kind: Kind::Method,
            params,
            declared,
            result: Some(result),
            docs: Docs::default(),
            needs,
            run: Run::Call(call),
            detached: false,
        });
        self
    }

    /// Replaces the handler of the method or notification `name`, registered earlier, with
    /// `handler`, and keeps everything else: its params are still checked against their
    /// schema before the stub runs (it gets them as JSON, shaped by name as the handler would),
    /// and in debug builds its result is checked against the method's result schema. For
    /// tests: stand in for a handler that would touch the disk, the network or the clock
    /// (see [`testing`](crate::testing)). [`Api::build`] fails with
    /// [`BuildError::NothingToStub`] if nothing has that name.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn fetch_weather(_: Ctx, (city,): (String,)) -> Result<String, RpcError> {
    ///     unimplemented!("calls a web service")
    /// }
    /// let api = Api::new()
    ///     .method("weather.get", fetch_weather)
    ///     .stub("weather.get", |_, params| async move {
    ///         Ok(serde_json::json!(format!("sunny in {}", params[0])))
    ///     });
    /// # api.build().unwrap();
    /// ```
    pub fn stub<F, Fut>(mut self, name: &str, handler: F) -> Self
    where
        F: Fn(Ctx, Value) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = Result<Value, RpcError>> + Send + 'static,
    {
        let found = self
            .entries
            .iter_mut()
            .find(|e| e.name == name && e.kind != Kind::Subscription);
        match found {
            Some(entry) => entry.run = Run::Call(call::stub(name, handler)),
            None => self.errors.push(BuildError::NothingToStub(name.into())),
        }
        self
    }

    /// Registers a subscription (a stream): the page starts it with
    /// `api.subscribe(name, params, { onItem, onEnd, onError })` (or `for await` over it),
    /// and gets every item the handler sends into its [`Sink`](crate::Sink), in order, until
    /// the handler returns (`Ok(())` ends the stream, `Err(e)` ends it with an error) or the
    /// page unsubscribes, reloads or closes (the sink's `send` fails, its `closed()`
    /// resolves, and the handler is dropped at its next `.await`).
    ///
    /// The handler is `async fn(Ctx, P, Sink<T>) -> Result<(), RpcError>`, or with a
    /// [`State<S>`](crate::State) first; `P` is validated like a method's params, each item
    /// `T` (serialize form) is in the OpenRPC document's `x-subscriptions` and checked against
    /// its schema in debug builds. A page that consumes slowly makes `send` wait (see
    /// [`Limits::subscription_window`]).
    ///
    /// ```
    /// use rpcview::{Api, Ctx, RpcError, Sink};
    /// use schemars::JsonSchema;
    /// use serde::Serialize;
    ///
    /// /// How far a download is.
    /// #[derive(Serialize, JsonSchema)]
    /// struct Progress { done: u64, total: u64 }
    ///
    /// async fn progress(_: Ctx, (total,): (u64,), sink: Sink<Progress>) -> Result<(), RpcError> {
    ///     for done in 0..=total {
    ///         sink.send(&Progress { done, total }).await?;
    ///     }
    ///     Ok(())
    /// }
    /// let api = Api::new().subscription("downloads.progress", progress);
    /// # api.build().unwrap();
    /// ```
    pub fn subscription<M, H>(mut self, name: &str, handler: H) -> Self
    where
        H: SubscriptionHandler<M>,
    {
        let (params, declared) = self.gens.params_for::<H::Params>();
        let item = self.gens.result_for::<H::Item>();
        self.push(Entry {
            name: name.to_owned(),
            kind: Kind::Subscription,
            params,
            declared,
            result: Some(item),
            docs: Docs::default(),
            needs: H::needs(),
            run: Run::Subscribe(call::subscription(name, handler)),
            detached: false,
        });
        self
    }

    /// Lets the method registered just before run to its end even when its page reloads,
    /// navigates away or closes (its reply is dropped then). By default, those cancel every
    /// call of the page: an async handler is dropped at its next `.await`, a blocking one
    /// sees [`Ctx::is_cancelled`](crate::Ctx::is_cancelled). Use it for work that must not
    /// stop halfway (a save); no cancel reaches such a handler, not even the page's own
    /// (`$/cancelRequest`), though `Ctx::is_cancelled` still tells.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError};
    /// async fn save(_: Ctx, (text,): (String,)) -> Result<usize, RpcError> { Ok(text.len()) }
    /// let api = Api::new().method("notes.save", save).runs_to_completion();
    /// # api.build().unwrap();
    /// ```
    pub fn runs_to_completion(mut self) -> Self {
        match self.last {
            Some(Last::Entry(i)) if self.entries[i].kind != Kind::Subscription => {
                self.entries[i].detached = true
            }
            _ => self
                .errors
                .push(BuildError::Misplaced("runs_to_completion")),
        }
        self
    }

    /// Adds the built-in method [`RELAY`](crate::rpc::RELAY) (`rpcview.relay`), with which a
    /// page sends a declared event to another window (Electron's pattern of relaying through
    /// the main process): `api.invoke('rpcview.relay', { to: 'settings', event:
    /// 'theme.changed', payload })`. The host checks the payload against the event's schema,
    /// that the window `to` is open and that its allowlist accepts the event; the receiving
    /// page's listener gets `(payload, { from: <sender's label> })`. A window may use it only
    /// if its allowlist names `rpcview.relay`.
    ///
    /// ```
    /// # use rpcview::Api;
    /// let api = Api::new().event::<String>("theme.changed").relay();
    /// # api.build().unwrap();
    /// ```
    pub fn relay(self) -> Self {
        self.method(super::relay::RELAY, super::relay::relay)
            .doc("Sends a declared event to another open window, whose listener learns the sender's label. Errors: no such window (-32602), the payload does not match the event (-32602), the target may not receive the event (-32001).")
    }

    /// Declares an event the host may push to pages with [`Emitter::emit`](crate::Emitter::emit); pages listen with
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

    /// Makes `state` available to every handler that takes [`State<T>`](crate::State) (or
    /// asks [`Ctx::try_state`](crate::Ctx::try_state)); one value per type.
    ///
    /// ```
    /// # use rpcview::{Api, Ctx, RpcError, State};
    /// struct Greeting(String);
    /// async fn greet(State(g): State<Greeting>, _: Ctx, name: String) -> Result<String, RpcError> {
    ///     Ok(format!("{} {name}", g.0))
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
    /// The first problem found: a duplicate or invalid name, a misplaced `.doc`, a handler
    /// whose [`State`](crate::State) was never managed, or a schema that does not compile.
    pub fn build(mut self) -> Result<Router, BuildError> {
        if let Some(e) = self.errors.first() {
            return Err(e.clone());
        }
        for entry in &self.entries {
            if let Some(need) = entry.needs.filter(|n| !self.states.contains(n.id)) {
                return Err(BuildError::MissingState {
                    method: entry.name.clone(),
                    state: need.name,
                });
            }
        }
        let param_defs = self.gens.params_definitions();
        let result_defs = self.gens.result_definitions();
        let compile = |name: &str, schema: &Value, defs: &Map<String, Value>| {
            Validator::compile(schema, defs).map_err(|reason| BuildError::Schema {
                name: name.to_owned(),
                reason,
            })
        };

        let mut event_checks = BTreeMap::new();
        let mut events = BTreeMap::new();
        for e in self.events {
            event_checks.insert(
                e.name.clone(),
                Arc::new(compile(&e.name, &e.schema, &result_defs)?),
            );
            let info = EventInfo {
                schema: e.schema,
                description: e.description,
            };
            events.insert(e.name, info);
        }
        let shared = Arc::new(Shared {
            states: RwLock::new(std::mem::take(&mut self.states)),
            stats: Arc::new(Stats::default()),
            events: event_checks,
            push: Default::default(),
            windows: Default::default(),
            last_subscription: Default::default(),
            on_call: Default::default(),
        });

        let mut calls = BTreeMap::new();
        let mut methods = BTreeMap::new();
        for entry in self.entries {
            let shape = ParamShape::of(&entry.params, &param_defs, entry.declared);
            let result = match &entry.result {
                Some(s) if cfg!(debug_assertions) => {
                    Some(Arc::new(compile(&entry.name, s, &result_defs)?))
                }
                _ => None,
            };
            let compiled = Compiled {
                shape: shape.clone(),
                params: compile(&entry.name, &entry.params, &param_defs)?,
                result,
                name: entry.name.clone(),
                run: entry.run,
                detached: entry.detached,
            };
            calls.insert(entry.name.clone(), Arc::new(compiled));
            let info = MethodInfo {
                kind: entry.kind,
                params: entry.params,
                result: entry.result,
                shape,
                docs: entry.docs,
            };
            methods.insert(entry.name, info);
        }
        Ok(Router {
            inner: Arc::new(RouterInner {
                calls,
                methods,
                events,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ctx, State};

    struct Store;
    async fn uses_store(_: State<Store>, _: Ctx, _: ()) -> Result<(), RpcError> {
        Ok(())
    }

    #[test]
    fn missing_state_fails_the_build_naming_the_fix() {
        let err = Api::new()
            .method("notes.list", uses_store)
            .build()
            .unwrap_err();
        assert!(matches!(err, BuildError::MissingState { .. }));
        assert!(
            err.to_string().contains("call .manage(value) on the Api"),
            "{err}"
        );
        assert!(Api::new()
            .manage(Store)
            .method("notes.list", uses_store)
            .build()
            .is_ok());
    }

    #[test]
    fn releasing_state_drops_it_while_the_router_lives() {
        struct Flushes(Arc<std::sync::atomic::AtomicBool>);
        impl Drop for Flushes {
            fn drop(&mut self) {
                self.0.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        let flushed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let router = Api::new().manage(Flushes(flushed.clone())).build().unwrap();
        let kept = router.clone();
        router.release_state();
        assert!(flushed.load(std::sync::atomic::Ordering::SeqCst));
        drop(kept);
    }

    #[test]
    fn duplicates_and_bad_names_fail_the_build() {
        async fn ping(_: Ctx, _: ()) -> Result<(), RpcError> {
            Ok(())
        }
        let dup = Api::new().method("a", ping).method("a", ping).build();
        assert_eq!(dup.unwrap_err(), BuildError::Duplicate("a".into()));
        let reserved = Api::new().method("rpc.x", ping).build();
        assert_eq!(
            reserved.unwrap_err(),
            BuildError::InvalidName("rpc.x".into())
        );
    }
}
