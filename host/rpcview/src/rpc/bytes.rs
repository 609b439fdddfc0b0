//! Binary payloads: [`Bytes`], the type a handler takes or returns for binary data, and the
//! store that carries them beside the JSON between a webview and the host.
//!
//! In a webview, a `Bytes` never travels as JSON text: the JSON holds a reference,
//! `{"$blob": "<id>"}`, and the bytes themselves go through the app's custom protocol, as the
//! body of a `fetch` each way (a `POST` the preload makes before it sends the call, a `GET`
//! it makes when a reply names one), so the page gets a `Uint8Array` with no base64 and no
//! array of numbers, and a 100 MiB transfer never blocks the page's main thread. Any other
//! JSON client (browser mode, a test, a third-party JSON-RPC client) sends and receives the
//! same value inline as `{"$base64": "<standard base64>"}`. Both forms are in the schema.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The key of a reference to bytes carried beside the JSON.
pub(crate) const BLOB_KEY: &str = "$blob";
/// The key of bytes carried inline as base64.
pub(crate) const BASE64_KEY: &str = "$base64";

/// Binary data a handler takes or returns: a `Uint8Array` in the page (an `ArrayBuffer` or
/// any typed array or `DataView` is accepted as a param), carried beside the JSON in a
/// webview (never as base64 or an array of numbers), and as `{"$base64": "…"}` to clients
/// that speak JSON only. Cheap to clone (a reference-counted [`::bytes::Bytes`]).
///
/// ```
/// use rpcview::{Api, Bytes, Ctx, RpcError};
///
/// /// Reverses the bytes it is given.
/// async fn reverse(_: Ctx, data: Bytes) -> Result<Bytes, RpcError> {
///     let mut v = data.to_vec();
///     v.reverse();
///     Ok(Bytes::from(v))
/// }
/// let router = Api::new().method("reverse", reverse).build().unwrap();
/// let doc = router.openrpc();
/// assert_eq!(doc["components"]["schemas"]["Bytes"]["contentMediaType"], "application/octet-stream");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Bytes(::bytes::Bytes);

impl Bytes {
    /// Empty bytes.
    pub const fn new() -> Self {
        Self(::bytes::Bytes::new())
    }

    /// Bytes of a static slice, without copying it.
    ///
    /// ```
    /// assert_eq!(rpcview::Bytes::from_static(b"abc").len(), 3);
    /// ```
    pub const fn from_static(data: &'static [u8]) -> Self {
        Self(::bytes::Bytes::from_static(data))
    }

    /// The [`::bytes::Bytes`] inside (no copy).
    ///
    /// ```
    /// let b = rpcview::Bytes::from(vec![1, 2]);
    /// assert_eq!(&b.into_inner()[..], &[1, 2]);
    /// ```
    pub fn into_inner(self) -> ::bytes::Bytes {
        self.0
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.0.len())
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(v: Vec<u8>) -> Self {
        Self(v.into())
    }
}

impl From<::bytes::Bytes> for Bytes {
    fn from(b: ::bytes::Bytes) -> Self {
        Self(b)
    }
}

impl From<&'static [u8]> for Bytes {
    fn from(b: &'static [u8]) -> Self {
        Self(::bytes::Bytes::from_static(b))
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(b: Bytes) -> Self {
        b.0.into()
    }
}

impl From<Bytes> for ::bytes::Bytes {
    fn from(b: Bytes) -> Self {
        b.0
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match Scope::current() {
            Some(scope) => {
                let id = scope
                    .store
                    .put(&scope.owner, self.0.clone())
                    .map_err(serde::ser::Error::custom)?;
                map.serialize_entry(BLOB_KEY, &id)?;
            }
            None => map.serialize_entry(
                BASE64_KEY,
                &base64::engine::general_purpose::STANDARD.encode(&self.0),
            )?,
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor;
        impl<'de> Visitor<'de> for BytesVisitor {
            type Value = Bytes;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(r#"bytes: {"$blob": id} (a Uint8Array sent by the preload) or {"$base64": text}"#)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Bytes, A::Error> {
                let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? else {
                    return Err(de::Error::custom(self.expected()));
                };
                let text: std::borrow::Cow<'de, str> = map.next_value()?;
                if map.next_key::<de::IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(self.expected()));
                }
                match &*key {
                    BLOB_KEY => Scope::take(&text).map(Bytes).map_err(de::Error::custom),
                    BASE64_KEY => base64::engine::general_purpose::STANDARD
                        .decode(text.as_bytes())
                        .map(Bytes::from)
                        .map_err(|e| de::Error::custom(format!("$base64 is not base64: {e}"))),
                    _ => Err(de::Error::custom(self.expected())),
                }
            }
        }
        impl BytesVisitor {
            fn expected(&self) -> String {
                r#"bytes must be {"$blob": id} (a Uint8Array sent by the preload) or {"$base64": text}"#.into()
            }
        }
        deserializer.deserialize_map(BytesVisitor)
    }
}

impl JsonSchema for Bytes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Bytes".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Binary data: a Uint8Array in the page. rpcview's webview carries it beside the JSON ({\"$blob\": id}); other JSON clients send and receive it inline ({\"$base64\": text}).",
            "contentMediaType": "application/octet-stream",
            "type": "object",
            "oneOf": [
                {
                    "properties": { "$blob": { "type": "string" } },
                    "required": ["$blob"],
                    "additionalProperties": false
                },
                {
                    "properties": { "$base64": { "type": "string", "contentEncoding": "base64" } },
                    "required": ["$base64"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// Why bytes could not be stored or found.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobError {
    /// Storing them would hold more than the app's limit of bytes waiting to be fetched.
    #[error("{size} bytes would exceed the {limit} bytes of binary payloads the app holds at once (waiting to be fetched or claimed)")]
    Full {
        /// The size of the payload refused.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// No such payload for this window: never sent, already taken, or expired.
    #[error("no binary payload '{0}' is waiting for this window (never uploaded, already used, or expired)")]
    Unknown(String),
    /// A page named an upload with an id already in use.
    #[error("a binary payload named '{0}' is already waiting")]
    Taken(String),
    /// Bytes were referenced where no store is in scope (a JSON-only transport).
    #[error("a {{\"$blob\": …}} reference came over a transport that carries no binary payloads; send {{\"$base64\": …}} instead")]
    NoStore,
}

/// Binary payloads waiting between the host and its pages, by owner (a window's label) and
/// id: results the page has not fetched yet, uploads no call has claimed yet. Each is taken
/// once; what waits longer than [`Blobs::TTL`] is dropped, and the total is bounded.
#[derive(Clone, Debug)]
pub(crate) struct Blobs(Arc<Mutex<Store>>);

#[derive(Debug)]
struct Store {
    map: HashMap<(Arc<str>, String), Entry>,
    bytes: usize,
    limit: usize,
    /// When expired payloads were last dropped (at most once a second, so that many
    /// payloads waiting at once do not make each store a scan of all).
    swept: Instant,
}

#[derive(Debug)]
struct Entry {
    data: ::bytes::Bytes,
    at: Instant,
}

impl Default for Blobs {
    fn default() -> Self {
        Self::with_limit(Self::DEFAULT_LIMIT)
    }
}

impl Blobs {
    /// How long a payload waits to be fetched or claimed.
    pub(crate) const TTL: Duration = Duration::from_secs(120);
    /// Bytes held at once, by default: 2 GiB.
    pub(crate) const DEFAULT_LIMIT: usize = 2 << 30;

    pub(crate) fn with_limit(limit: usize) -> Self {
        Self(Arc::new(Mutex::new(Store {
            map: HashMap::new(),
            bytes: 0,
            limit,
            swept: Instant::now(),
        })))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Stores `data` for `owner` under a fresh, unguessable id, which it returns.
    pub(crate) fn put(&self, owner: &Arc<str>, data: ::bytes::Bytes) -> Result<String, BlobError> {
        let id = fresh_id();
        self.put_as(owner, &id, data)?;
        Ok(id)
    }

    /// Stores `data` for `owner` under `id` (an upload the preload named).
    pub(crate) fn put_as(
        &self,
        owner: &Arc<str>,
        id: &str,
        data: ::bytes::Bytes,
    ) -> Result<(), BlobError> {
        let mut store = self.lock();
        store.sweep(false);
        let size = data.len();
        if store.bytes.saturating_add(size) > store.limit {
            store.sweep(true);
        }
        if store.bytes.saturating_add(size) > store.limit {
            return Err(BlobError::Full {
                size,
                limit: store.limit,
            });
        }
        let key = (owner.clone(), id.to_owned());
        if store.map.contains_key(&key) {
            return Err(BlobError::Taken(id.to_owned()));
        }
        store.bytes += size;
        let at = Instant::now();
        store.map.insert(key, Entry { data, at });
        Ok(())
    }

    /// Takes the payload `id` of `owner`, once.
    pub(crate) fn take(&self, owner: &Arc<str>, id: &str) -> Result<::bytes::Bytes, BlobError> {
        let mut store = self.lock();
        let entry = store
            .map
            .remove(&(owner.clone(), id.to_owned()))
            .ok_or_else(|| BlobError::Unknown(id.chars().take(64).collect()))?;
        store.bytes -= entry.data.len();
        Ok(entry.data)
    }

    /// Drops every payload of `owner` (its page left, or its window closed); returns how many.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn forget(&self, owner: &str) -> usize {
        let mut store = self.lock();
        let before = store.map.len();
        let mut freed = 0;
        store.map.retain(|(o, _), e| {
            let keep = &**o != owner;
            if !keep {
                freed += e.data.len();
            }
            keep
        });
        store.bytes -= freed;
        before - store.map.len()
    }

    /// Bytes that could be stored now (after dropping what expired).
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn room(&self) -> usize {
        let mut store = self.lock();
        store.sweep(false);
        store.limit.saturating_sub(store.bytes)
    }

    /// Bytes held now.
    #[cfg_attr(not(feature = "webview"), allow(dead_code))]
    pub(crate) fn held(&self) -> usize {
        self.lock().bytes
    }
}

impl Store {
    /// Drops expired payloads: at most once a second unless `now_or_never` (the store is
    /// full, and expired payloads may be what fills it).
    fn sweep(&mut self, now_or_never: bool) {
        let now = Instant::now();
        if !now_or_never && now.duration_since(self.swept) < Duration::from_secs(1) {
            return;
        }
        self.swept = now;
        let mut freed = 0;
        self.map.retain(|_, e| {
            let keep = now.duration_since(e.at) < Blobs::TTL;
            if !keep {
                freed += e.data.len();
            }
            keep
        });
        self.bytes -= freed;
    }
}

/// 128 random bits as hex, from the operating system's source.
pub(crate) fn fresh_id() -> String {
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).expect("the OS random source works");
    raw.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where [`Bytes`] go while a call's params are read or its result written: the store of the
/// window the call came from. Without one (JSON-only transports), bytes are inline base64.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    pub(crate) store: Blobs,
    pub(crate) owner: Arc<str>,
}

thread_local! {
    static SCOPE: RefCell<Option<Scope>> = const { RefCell::new(None) };
}

impl Scope {
    fn current() -> Option<Scope> {
        SCOPE.with(|s| s.borrow().clone())
    }

    fn take(id: &str) -> Result<::bytes::Bytes, BlobError> {
        let scope = Self::current().ok_or(BlobError::NoStore)?;
        scope.store.take(&scope.owner, id)
    }

    /// Runs `f` (a serialization or deserialization, which never awaits) with `scope` as the
    /// store [`Bytes`] go to and come from.
    pub(crate) fn with<R>(scope: Option<&Scope>, f: impl FnOnce() -> R) -> R {
        let Some(scope) = scope else { return f() };
        let previous = SCOPE.with(|s| s.replace(Some(scope.clone())));
        struct Restore(Option<Scope>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                SCOPE.with(|s| *s.borrow_mut() = previous);
            }
        }
        let _restore = Restore(previous);
        f()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner(name: &str) -> Arc<str> {
        name.into()
    }

    #[test]
    fn without_a_store_bytes_are_inline_base64_both_ways() {
        let b = Bytes::from(vec![0u8, 1, 2, 255]);
        let text = serde_json::to_string(&b).unwrap();
        assert_eq!(text, r#"{"$base64":"AAEC/w=="}"#);
        assert_eq!(serde_json::from_str::<Bytes>(&text).unwrap(), b);
        let e = serde_json::from_str::<Bytes>(r#"{"$blob":"x"}"#).unwrap_err();
        assert!(e.to_string().contains("$base64"), "{e}");
        let e = serde_json::from_str::<Bytes>(r#"[1,2]"#).unwrap_err();
        assert!(e.to_string().contains("$blob"), "{e}");
        let e = serde_json::from_str::<Bytes>(r#"{"$base64":"%%"}"#).unwrap_err();
        assert!(e.to_string().contains("not base64"), "{e}");
    }

    #[test]
    fn with_a_store_bytes_travel_by_reference_once() {
        let scope = Scope {
            store: Blobs::default(),
            owner: owner("main"),
        };
        let b = Bytes::from(vec![7u8; 1000]);
        let text = Scope::with(Some(&scope), || serde_json::to_string(&b)).unwrap();
        let id: serde_json::Value = serde_json::from_str(&text).unwrap();
        let id = id["$blob"].as_str().unwrap().to_owned();
        assert_eq!(id.len(), 32);
        assert_eq!(scope.store.held(), 1000);
        // Another window cannot take it; its own can, once.
        assert!(scope.store.take(&owner("other"), &id).is_err());
        let back = Scope::with(Some(&scope), || serde_json::from_str::<Bytes>(&text)).unwrap();
        assert_eq!(back, b);
        assert_eq!(scope.store.held(), 0);
        let again = Scope::with(Some(&scope), || serde_json::from_str::<Bytes>(&text));
        assert!(again.unwrap_err().to_string().contains("already used"));
    }

    #[test]
    fn the_store_is_bounded_and_forgets_a_window() {
        let store = Blobs::with_limit(100);
        let main = owner("main");
        store.put(&main, vec![0u8; 60].into()).unwrap();
        assert!(matches!(
            store.put(&main, vec![0u8; 60].into()),
            Err(BlobError::Full {
                size: 60,
                limit: 100
            })
        ));
        store.put_as(&main, "u1", vec![0u8; 10].into()).unwrap();
        assert_eq!(
            store.put_as(&main, "u1", vec![].into()),
            Err(BlobError::Taken("u1".into()))
        );
        assert_eq!(store.forget("main"), 2);
        assert_eq!(store.held(), 0);
    }
}
