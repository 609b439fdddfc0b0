//! The `rpcview` command: runs the notes demo (or your own `--web` folder against the demo
//! API), or drives the demo through a tour and saves a screenshot.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clap::Parser;
use rpcview::app::{Assets, Window};
use rpcview::demo::{self, Store};
use rpcview::{App, AppHandle, Ctx, RpcError};
use schemars::JsonSchema;
use serde::Deserialize;

/// A desktop webview whose page talks to Rust through schema-checked JSON-RPC 2.0.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Serve this folder at app://localhost/ instead of the embedded demo (same API).
    #[arg(long, value_name = "DIR")]
    web: Option<PathBuf>,
    /// Keep notes in this folder [default: the user's data folder, or a fresh temporary one
    /// with --tour].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Drive the demo through every IPC pattern via the page, save a screenshot, and exit
    /// (0 if every step passed).
    #[arg(long)]
    tour: bool,
    /// Where --tour saves its screenshot.
    #[arg(long, value_name = "PNG", default_value = "rpcview-tour.png")]
    screenshot: PathBuf,
}

#[derive(clap::Subcommand, Debug)]
enum Command {
    /// Check that schema/ (OpenRPC document, TypeScript) matches the demo API; --write updates it.
    Schema {
        /// Write the files instead of checking them.
        #[arg(long)]
        write: bool,
        /// The folder to check or write.
        #[arg(long, value_name = "DIR", default_value = "schema")]
        dir: PathBuf,
    },
    /// Generate TypeScript (api.d.ts, client.js, client.d.ts) from an OpenRPC document alone.
    Typescript {
        /// The OpenRPC document.
        document: PathBuf,
        /// Where to write the files.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Compare two OpenRPC documents; exits 1 if the new one breaks pages built on the old one.
    Compat {
        /// The document pages were built against (e.g. schema/baseline/openrpc.json).
        old: PathBuf,
        /// The document to check (e.g. schema/openrpc.json).
        new: PathBuf,
    },
}

/// One step of the tour, as the page reports it.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TourStep {
    /// What was shown.
    step: String,
    /// Whether it worked.
    ok: bool,
    /// What the page saw.
    detail: String,
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

static WATCHER: OnceLock<Mutex<Box<dyn std::any::Any + Send>>> = OnceLock::new();

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "rpcview=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    std::process::exit(match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rpcview: {e}");
            2
        }
    });
}

fn run(cli: Cli) -> Result<i32, Box<dyn std::error::Error>> {
    match cli.command {
        Some(Command::Schema { write, dir }) => return schema(write, &dir),
        Some(Command::Typescript { document, out }) => return typescript(&document, &out),
        Some(Command::Compat { old, new }) => return compat(&old, &new),
        None => {}
    }
    let data = match (&cli.data, cli.tour) {
        (Some(d), _) => d.clone(),
        (None, true) => std::env::temp_dir().join(format!("rpcview-tour-{}", std::process::id())),
        (None, false) => directories::ProjectDirs::from("", "", "rpcview")
            .map(|p| p.data_dir().join("notes"))
            .ok_or("no home folder to keep notes in; pass --data DIR")?,
    };
    let store = Store::open(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    println!("notes folder: {}", data.display());

    let handle: Arc<OnceLock<AppHandle>> = Arc::default();
    let mut api = demo::api(store.clone());
    let mut window = Window::new("main").title("rpcview notes");
    if cli.tour {
        window = window.url("app://localhost/index.html?tour");
        let failures = Arc::new(Mutex::new(0u32));
        let f = failures.clone();
        let dir = data.clone();
        let (h, shot) = (handle.clone(), cli.screenshot.clone());
        api = api
            .notification("tour.step", move |_: Ctx, s: TourStep| {
                let f = f.clone();
                async move {
                    println!(
                        "  {} {:<28} {}",
                        if s.ok { "ok  " } else { "FAIL" },
                        s.step,
                        s.detail
                    );
                    if !s.ok {
                        *f.lock().unwrap() += 1;
                    }
                }
            })
            .method("tour.edit_outside", move |_: Ctx, e: OutsideEdit| {
                let path = dir.join(format!("{}.md", e.id));
                async move {
                    std::fs::write(&path, format!("{}\n{}", e.title, e.body))
                        .map_err(|err| RpcError::internal(format!("{}: {err}", path.display())))?;
                    Ok(path.display().to_string())
                }
            })
            .notification("tour.finish", move |_: Ctx, _: ()| {
                let (h, shot, failures) = (h.clone(), shot.clone(), failures.clone());
                async move {
                    let h = h.get().expect("the app is running").clone();
                    finish(&h, &shot, *failures.lock().unwrap());
                }
            });
        println!("tour: driving the demo page through every IPC pattern");
    }

    let mut app = App::new(api).window(window);
    if let Some(dir) = &cli.web {
        app = app.serve("app", Assets::dir(dir));
    }
    let (h, tour, shot) = (handle.clone(), cli.tour, cli.screenshot.clone());
    let app = app.setup(move |handle| {
        match demo::watch(&store, handle.emitter()) {
            Ok(w) => {
                let _ = WATCHER.set(Mutex::new(Box::new(w)));
            }
            Err(e) => eprintln!("rpcview: not watching {}: {e}", store.dir().display()),
        }
        let _ = h.set(handle.clone());
        if tour {
            std::thread::sleep(Duration::from_secs(60));
            println!("tour: the page did not finish within 60 s");
            finish(&handle, &shot, 1);
        }
    });
    let code = app.run()?;
    if cli.tour && cli.data.is_none() {
        let _ = std::fs::remove_dir_all(&data);
    }
    Ok(code)
}

/// Ends the tour: a screenshot, a summary, and the exit code.
fn finish(handle: &AppHandle, shot: &std::path::Path, failures: u32) {
    std::thread::sleep(Duration::from_millis(300)); // let the last render land
    match handle.screenshot("main", shot) {
        Ok(()) => println!("tour: screenshot saved to {}", shot.display()),
        Err(e) => println!("tour: screenshot failed: {e}"),
    }
    let stats = handle.stats();
    println!(
        "tour: {} handler runs, {} in flight, {} refused; {}",
        stats.handler_runs(),
        stats.in_flight(),
        stats.refused(),
        if failures == 0 {
            "every step passed".to_string()
        } else {
            format!("{failures} step(s) failed")
        }
    );
    handle.exit(if failures == 0 { 0 } else { 1 });
}

fn read_json(path: &std::path::Path) -> Result<serde_json::Value, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?)
}

fn write_files(
    dir: &std::path::Path,
    files: &[(&str, String)],
) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in files {
        let path = dir.join(name);
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn schema(write: bool, dir: &std::path::Path) -> Result<i32, Box<dyn std::error::Error>> {
    let scratch = std::env::temp_dir().join(format!("rpcview-schema-{}", std::process::id()));
    let router = demo::api(Store::open(&scratch)?).build()?;
    let _ = std::fs::remove_dir_all(&scratch);
    let files = rpcview::schema::files(&router)?;
    if write {
        write_files(dir, &files)?;
        let baseline = dir.join("baseline/openrpc.json");
        if baseline.exists() {
            println!("the compatibility baseline stays {}; bump it deliberately with `cp {0}/openrpc.json {1}`", dir.display(), baseline.display());
        }
        return Ok(0);
    }
    let stale = rpcview::schema::stale(dir, &files);
    if stale.is_empty() {
        println!("{} is up to date", dir.display());
        Ok(0)
    } else {
        for name in stale {
            println!("{}/{name} is stale", dir.display());
        }
        println!("run `cargo run -- schema --write` to regenerate it");
        Ok(1)
    }
}

fn typescript(
    document: &std::path::Path,
    out: &std::path::Path,
) -> Result<i32, Box<dyn std::error::Error>> {
    let doc = read_json(document)?;
    write_files(out, &rpcview::schema::typescript::generate(&doc)?.files)?;
    Ok(0)
}

fn compat(old: &std::path::Path, new: &std::path::Path) -> Result<i32, Box<dyn std::error::Error>> {
    let changes = rpcview::schema::compat::compare(&read_json(old)?, &read_json(new)?);
    for c in &changes {
        println!("{c}");
    }
    let breaking = changes.iter().filter(|c| c.breaking).count();
    if breaking > 0 {
        println!("{breaking} breaking change(s) against {}; if deliberate, make it the new baseline: cp {} {}", old.display(), new.display(), old.display());
        Ok(1)
    } else {
        println!("no breaking changes ({} compatible)", changes.len());
        Ok(0)
    }
}
