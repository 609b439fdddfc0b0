//! The demo's tour: the methods the page's `?tour` mode calls, added only when the demo
//! drives itself (`rpcview-notes --tour`, and the screenshot test), so they are not in the
//! generated types.

use std::path::PathBuf;
use std::sync::Arc;

use rpcview::{Api, Ctx, RpcError};
use schemars::JsonSchema;
use serde::Deserialize;

/// One step of the tour, as the page reports it.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TourStep {
    /// What was shown.
    pub step: String,
    /// Whether it worked.
    pub ok: bool,
    /// What the page saw.
    pub detail: String,
}

/// A note written straight to the folder, as another editor would.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct OutsideEdit {
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]{0,63}$"))]
    id: String,
    title: String,
    body: String,
}

/// `api` plus the tour's methods: `tour.step` (each step's outcome, given to `on_step`),
/// `tour.edit_outside` (writes a note into `dir` as another editor would) and `tour.finish`
/// (the page is done: `on_finish` runs).
///
/// ```
/// # let store = rpcview_notes::Store::open(&std::env::temp_dir().join("tour-doc")).unwrap();
/// let api = rpcview_notes::tour::api(
///     rpcview_notes::api(store.clone()),
///     store.dir().to_path_buf(),
///     |step| println!("{} {}", step.step, step.ok),
///     |_ctx| println!("the tour is over"),
/// );
/// ```
pub fn api(
    api: Api,
    dir: PathBuf,
    on_step: impl Fn(&TourStep) + Send + Sync + 'static,
    on_finish: impl Fn(Ctx) + Send + Sync + 'static,
) -> Api {
    let (on_step, on_finish) = (Arc::new(on_step), Arc::new(on_finish));
    api.notification("tour.step", move |_: Ctx, s: TourStep| {
        let on_step = on_step.clone();
        async move { on_step(&s) }
    })
    .method("tour.edit_outside", move |_: Ctx, e: OutsideEdit| {
        let path = dir.join(format!("{}.md", e.id));
        async move {
            std::fs::write(&path, format!("{}\n{}", e.title, e.body))
                .map_err(|err| RpcError::internal(format!("{}: {err}", path.display())))?;
            Ok(path.display().to_string())
        }
    })
    .notification("tour.finish", move |ctx: Ctx, _: ()| {
        let on_finish = on_finish.clone();
        async move { on_finish(ctx) }
    })
}
