//! One open window on the UI thread: its tao window, its wry webview, its endpoint, and the
//! replies waiting for the end of the event-loop turn.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use tao::dpi::LogicalSize;
use tao::event_loop::EventLoopWindowTarget;
use tao::platform::unix::WindowExtUnix;
use tao::window::WindowBuilder;
use wry::{PageLoadEvent, WebViewBuilder, WebViewBuilderExtUnix, WebViewExtUnix};

use super::glue::{Endpoints, Glue};
use super::handle::{AppHandle, UserEvent};
use super::{AppError, Assets, Window};
use crate::bridge::{self, PageNames, PreloadConfig};
use crate::rpc::{BlobScope, Blobs, CallSite, Endpoint, Router};

/// What every window of an app shares.
pub(crate) struct Host {
    pub(crate) router: Router,
    pub(crate) schemes: Arc<Vec<(String, Assets)>>,
    pub(crate) csp: Arc<str>,
    pub(crate) handle: AppHandle,
    pub(crate) runtime: tokio::runtime::Handle,
    pub(crate) on_page_log: Option<super::PageLogHook>,
    pub(crate) on_fault: Option<super::FaultHook>,
    /// The `console` methods the preload forwards.
    pub(crate) console: Vec<&'static str>,
    /// The automation context, for the first webview in automation mode.
    pub(crate) automation: super::automation::Automation,
    /// Binary payloads and large messages waiting between the pages and the host.
    pub(crate) blobs: Blobs,
    /// Gives freed memory back once the app idles after calls.
    pub(crate) trim: super::trim::Trim,
}

impl Host {
    /// The origins of the app's own custom protocols (`app://localhost`): pages there reach
    /// the blob channel at their own origin.
    fn blob_origin(&self, origin: &str) -> bool {
        self.schemes
            .iter()
            .any(|(scheme, _)| origin.strip_prefix(scheme.as_str()) == Some("://localhost"))
    }
}

impl Host {
    /// Tells the app's fault hook, if it has one.
    pub(crate) fn fault(&self, fault: super::Fault) {
        if let Some(f) = &self.on_fault {
            f(&fault);
        }
    }
}

/// One open window.
pub(crate) struct Live {
    pub(crate) label: String,
    pub(crate) window: tao::window::Window,
    pub(crate) webview: wry::WebView,
    /// One endpoint per origin a capability grants this window, by origin.
    pub(crate) endpoints: Endpoints,
    /// Bumped when the page starts loading anew; replies to older pages are dropped.
    pub(crate) generation: Rc<Cell<u64>>,
    /// Replies and pushes waiting for the end of this loop turn: `(nonce, text)`.
    pub(crate) outbox: Vec<(String, String)>,
    /// What the window was opened as (its fault policies).
    pub(crate) spec: Window,
    /// When its web process was last gone, within the last minute.
    pub(crate) crashes: super::faults::Crashes,
    /// The responsiveness probe: the last one sent, when, and the last one answered.
    pub(crate) probe: Option<(u64, Instant)>,
    pub(crate) answered: Rc<Cell<u64>>,
    /// Noticed as unresponsive and not answering since.
    pub(crate) hung: bool,
    /// The app ended the web process to reload the page (an unresponsive page).
    pub(crate) reload_when_gone: bool,
    handle: AppHandle,
    /// The context that allows automation, when this webview has it (kept as long as it).
    _automation: Option<wry::WebContext>,
    /// The app's blob store, and the origins of this window that reach it.
    blobs: Blobs,
    blob_origins: Vec<String>,
    /// The app's counters.
    stats: Arc<crate::rpc::Stats>,
}

impl Live {
    /// Opens the window `spec` describes, its webview, and the bridge to its page.
    pub(crate) fn open(
        target: &EventLoopWindowTarget<UserEvent>,
        spec: &Window,
        host: &Host,
    ) -> Result<Self, AppError> {
        let fail = |reason: String| AppError::Window {
            label: spec.label.clone(),
            reason,
        };
        let window = WindowBuilder::new()
            .with_title(&spec.title)
            .with_inner_size(LogicalSize::new(spec.size.0, spec.size.1))
            .build(target)
            .map_err(|e| fail(e.to_string()))?;
        let generation = Rc::new(Cell::new(0u64));
        let endpoints = endpoints(spec, host);
        if endpoints.is_empty() {
            tracing::warn!(window = %spec.label, "no capability names this window: its pages have no API; add one with App::capability");
        }
        let vbox = window
            .default_vbox()
            .ok_or_else(|| fail("tao gave no GTK container".into()))?;
        let mut automation = host.automation.take_context();
        let channel = super::blobs::Channel::new(&spec.label);
        let blob_origins: Vec<String> = endpoints
            .keys()
            .filter(|o| host.blob_origin(o))
            .cloned()
            .collect();
        let webview = webview(
            spec,
            host,
            &generation,
            &endpoints,
            &blob_origins,
            &channel,
            automation.as_mut(),
        )
        .build_gtk(vbox)
        .map_err(|e| fail(e.to_string()))?;
        protocols(&webview, host, &channel);

        let glue = Glue {
            label: spec.label.clone(),
            endpoints: endpoints.clone(),
            router: host.router.clone(),
            generation: generation.clone(),
            runtime: host.runtime.clone(),
            proxy: host.handle.proxy.clone(),
            replies: host.handle.replies.clone(),
            on_page_log: host.on_page_log.clone(),
            logs: Default::default(),
            blobs: host.blobs.clone(),
        };
        let max = host.router.limits().max_handoff_bytes();
        let origins: Vec<String> = endpoints.keys().cloned().collect();
        bridge::webkitgtk::attach(&webview.webview(), &origins, max, move |stamped| {
            glue.on_message(&stamped)
        });
        let (proxy, label) = (host.handle.proxy.clone(), spec.label.clone());
        bridge::webkitgtk::on_process_gone(&webview.webview(), move |reason| {
            let window = label.clone();
            let _ = proxy.send_event(UserEvent::Gone { window, reason });
        });
        webview
            .load_url(&spec.url)
            .map_err(|e| fail(e.to_string()))?;
        Ok(Live {
            blobs: host.blobs.clone(),
            blob_origins,
            stats: host.router.stats().clone(),
            label: spec.label.clone(),
            window,
            webview,
            endpoints,
            generation,
            outbox: Vec::new(),
            spec: spec.clone(),
            crashes: Default::default(),
            probe: None,
            answered: Rc::new(Cell::new(0)),
            hung: false,
            reload_when_gone: false,
            handle: host.handle.clone(),
            _automation: automation,
        })
    }

    /// Sends a responsiveness probe if none is out; returns how long the one out has gone
    /// unanswered, if it has.
    pub(crate) fn probe(&mut self, now: Instant) -> Option<std::time::Duration> {
        match self.probe {
            Some((id, _)) if self.answered.get() >= id => {
                self.probe = None;
                None
            }
            Some((_, sent)) => Some(now - sent),
            None => {
                let id = self.answered.get() + 1;
                let answered = self.answered.clone();
                bridge::webkitgtk::ping(&self.webview.webview(), move || {
                    answered.set(answered.get().max(id))
                });
                self.probe = Some((id, now));
                None
            }
        }
    }

    /// Cancels the calls and subscriptions of every page of this window; returns how many.
    pub(crate) fn cancel_running(&self) -> usize {
        cancel_all(&self.endpoints)
    }

    /// Whether the page shown now may receive `event` (its origin's capability grants it).
    pub(crate) fn page_may_receive(&self, event: &str) -> bool {
        let url = self.webview.url().unwrap_or_default();
        let origin = super::window::origin_of(&url);
        self.endpoints
            .get(&origin)
            .is_some_and(|e| e.allow().permits(event))
    }

    /// Delivers everything waiting, one script per page nonce.
    pub(crate) fn flush(&mut self) {
        if self.outbox.is_empty() {
            return;
        }
        let mut by_nonce: Vec<(String, Vec<String>)> = Vec::new();
        for (nonce, text) in self.outbox.drain(..) {
            match by_nonce.iter_mut().find(|(n, _)| *n == nonce) {
                Some((_, texts)) => texts.push(text),
                None => by_nonce.push((nonce, vec![text])),
            }
        }
        let wv = self.webview.webview();
        let blobs_waiting = self.blobs.held() > 0;
        let mut stored_ok = None;
        for (nonce, texts) in by_nonce {
            // Which replies name bytes the page must fetch (only when some are waiting).
            let marked: Vec<usize> = if blobs_waiting {
                (0..texts.len())
                    .filter(|&i| bridge::names_blob(&texts[i]))
                    .collect()
            } else {
                Vec::new()
            };
            let size: usize = texts.iter().map(String::len).sum();
            if size >= bridge::STORED_DELIVERY_BYTES
                && *stored_ok.get_or_insert_with(|| self.page_reaches_blobs())
            {
                // Large: the page fetches the delivery as a body, not as a script to parse.
                let text = bridge::delivery(&nonce, &texts, &marked);
                match self.blobs.put(&self.owner(), text.into_bytes().into()) {
                    Ok(id) => {
                        self.stats.count_stored(false);
                        tracing::debug!(window = %self.label, size, "a large delivery went on the blob channel");
                        bridge::webkitgtk::deliver(
                            &wv,
                            &bridge::stored_delivery_script(&nonce, &id),
                        );
                        tracing::trace!(target: crate::PROFILE_TARGET, stage = "delivered");
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(window = %self.label, "large reply sent as a script: {e}")
                    }
                }
            }
            bridge::webkitgtk::deliver(&wv, &bridge::delivery_script(&nonce, &texts, &marked));
            tracing::trace!(target: crate::PROFILE_TARGET, stage = "delivered");
        }
    }

    /// This window's name as the blob store knows it.
    fn owner(&self) -> Arc<str> {
        self.label.as_str().into()
    }

    /// Whether the page shown now is at an origin that reaches the blob channel.
    fn page_reaches_blobs(&self) -> bool {
        let url = self.webview.url().unwrap_or_default();
        self.blob_origins.contains(&super::window::origin_of(&url))
    }
}

/// The webview of `spec`: its preload, its assets, and what it may navigate to.
fn cancel_all(endpoints: &Endpoints) -> usize {
    endpoints.values().map(Endpoint::cancel_running).sum()
}

/// An endpoint for each origin `spec`'s capabilities grant. Subscription traffic (the reply
/// that starts one, items, the end) goes to the page whose nonce started it, whatever the
/// generation; the page drops it if it is gone.
fn endpoints(spec: &Window, host: &Host) -> Endpoints {
    spec.grants(&host.handle.capabilities)
        .into_iter()
        .map(|(origin, grant)| {
            let (proxy, label) = (host.handle.proxy.clone(), spec.label.clone());
            let endpoint = Endpoint::new(
                &host.router,
                CallSite::new(&spec.label, &origin),
                grant.allow,
            )
            .with_capabilities(grant.capabilities)
            .with_extension(host.handle.clone());
            let endpoint = if host.blob_origin(&origin) {
                endpoint.with_extension(BlobScope {
                    store: host.blobs.clone(),
                    owner: spec.label.as_str().into(),
                })
            } else {
                endpoint
            };
            let replies = host.handle.replies.clone();
            let endpoint = endpoint.with_outbox(move |nonce, text| {
                let reply = super::handle::Reply::To {
                    window: label.clone(),
                    generation: None,
                    nonce: nonce.to_owned(),
                    text,
                };
                replies.send(&proxy, reply);
            });
            (origin, endpoint)
        })
        .collect()
}

fn webview<'a>(
    spec: &'a Window,
    host: &Host,
    generation: &Rc<Cell<u64>>,
    endpoints: &Endpoints,
    blob_origins: &[String],
    channel: &super::blobs::Channel,
    context: Option<&'a mut wry::WebContext>,
) -> WebViewBuilder<'a> {
    let pages = endpoints
        .iter()
        .map(|(origin, endpoint)| {
            let page = PageNames::allowed(&host.router, endpoint.allow());
            (origin.clone(), page)
        })
        .collect();
    let preload = PreloadConfig {
        console: host.console.clone(),
        blob_origins: blob_origins.to_vec(),
        blob_key: channel.key().to_owned(),
        ..PreloadConfig::new(&host.router, pages)
    };
    let builder = match context {
        Some(context) => WebViewBuilder::new_with_web_context(context),
        None => WebViewBuilder::new(),
    };
    let builder = builder
        .with_id(&spec.label)
        .with_initialization_script_for_main_only(preload.script(), true)
        .with_devtools(cfg!(debug_assertions));
    let nav_spec = spec.clone();
    let granted: Vec<String> = endpoints.keys().cloned().collect();
    let generation = generation.clone();
    let (endpoints, label) = (endpoints.clone(), spec.label.clone());
    let blobs = host.blobs.clone();
    builder
        .with_navigation_handler(move |url| {
            let ok = nav_spec.may_navigate(&url)
                || granted.contains(&super::window::origin_of(&url));
            if !ok {
                tracing::warn!(window = %nav_spec.label, %url, "navigation refused: not the window's origin; allow it with Window::allow_navigation");
            }
            ok
        })
        .with_new_window_req_handler(|url, _| {
            tracing::warn!(%url, "new window refused; open windows from Rust with AppHandle::open");
            wry::NewWindowResponse::Deny
        })
        .with_on_page_load_handler(move |event, _url| {
            if let PageLoadEvent::Started = event {
                // A new page: the old one's calls and subscriptions are cancelled.
                generation.set(generation.get() + 1);
                blobs.forget(&label);
                let cancelled = cancel_all(&endpoints);
                if cancelled > 0 {
                    tracing::debug!(window = %label, cancelled, "page left: its calls and subscriptions were cancelled");
                }
            }
        })
}

/// Serves the app's custom protocols (its assets, and the blob channel at every origin) to
/// `webview`, before it loads anything. Registered on its own WebKit context (each webview has
/// one), so requests need no routing by webview.
fn protocols(webview: &wry::WebView, host: &Host, channel: &super::blobs::Channel) {
    use webkit2gtk::WebViewExt;
    let Some(context) = webview.webview().context() else {
        tracing::error!(
            "a WebKitGTK webview without a context: the app's protocols are not served"
        );
        return;
    };
    for (scheme, assets) in host.schemes.iter() {
        let (assets, csp, blobs) = (assets.clone(), host.csp.clone(), host.blobs.clone());
        let (stats, channel) = (host.router.stats().clone(), channel.clone());
        let gate = (host.blobs.clone(), channel.clone());
        super::scheme::register(
            &context,
            scheme,
            super::scheme::Protocol {
                body: move |head: &wry::http::Request<()>| gate.1.body(&gate.0, head),
                respond: move |req: wry::http::Request<Vec<u8>>| {
                    if super::blobs::is_blob(&req) {
                        super::blobs::respond(&blobs, &stats, &channel, req)
                    } else {
                        assets.respond(&req, &csp)
                    }
                },
            },
        );
    }
}

impl Drop for Live {
    /// A closed window: its page's calls and subscriptions are cancelled, and its label is
    /// free again.
    fn drop(&mut self) {
        let cancelled = self.cancel_running();
        self.blobs.forget(&self.label);
        tracing::debug!(window = %self.label, cancelled, "window closed");
        self.handle.forget(&self.label);
    }
}
