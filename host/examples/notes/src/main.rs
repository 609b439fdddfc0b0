//! `rpcview-notes`: runs the notes demo (or your own `--web` folder against the demo API), or
//! drives the demo through a tour and saves a screenshot; `rpcview-notes serve` runs it in
//! browser mode (the page in Chromium or Firefox, the API over WebSocket on 127.0.0.1).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use clap::{Parser, Subcommand};
use rpcview::serve::Server;
use rpcview::{App, AppHandle, Assets, CallLog, Ctx, PageLogLevel, Window};
use rpcview_notes::{self as demo, Store};

/// The rpcview notes demo: a desktop webview whose page talks to Rust through schema-checked
/// JSON-RPC 2.0.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Serve this folder at app://localhost/ instead of the embedded demo (same API).
    #[arg(long, value_name = "DIR", global = true)]
    web: Option<PathBuf>,
    /// With --web: reload the window when a file in DIR changes (a style sheet alone is
    /// swapped in without a reload).
    #[arg(long, requires = "web")]
    watch: bool,
    /// Show a running dev server (`http://localhost:5173`) instead of the demo's page; its
    /// origin alone gets the API.
    #[arg(long, value_name = "URL", conflicts_with = "tour")]
    dev_url: Option<String>,
    /// Keep notes in this folder [default: the user's data folder, or a fresh temporary one
    /// with --tour].
    #[arg(long, value_name = "DIR", global = true)]
    data: Option<PathBuf>,
    /// Drive the demo through every IPC pattern via the page, save a screenshot, and exit
    /// (0 if every step passed). With `serve`: add the tour's methods, for a browser opening
    /// the printed URL with `&tour`.
    #[arg(long, global = true)]
    tour: bool,
    /// Where --tour saves its screenshot.
    #[arg(long, value_name = "PNG", default_value = "rpcview-tour.png")]
    screenshot: PathBuf,
    /// Let WebKitWebDriver drive the window (it passes this flag when a session's
    /// capabilities name it; see `rpcview webdriver`).
    #[arg(long)]
    automation: bool,
    /// Log one line per call the page makes: window, method, duration, outcome.
    #[arg(long, global = true)]
    log_calls: bool,
    /// With --log-calls, log the params too (they may hold what the user typed).
    #[arg(long, requires = "log_calls", global = true)]
    log_params: bool,
    /// Forward the page's console down to this level into the log (error, warn, info, debug).
    #[arg(long, value_name = "LEVEL", default_value = "warn", value_parser = ["error", "warn", "info", "debug"])]
    page_log: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Browser mode: serve the page over HTTP and the API over WebSocket on 127.0.0.1, and
    /// print the URL to open (it carries the run's token). Serves until stopped.
    Serve {
        /// The port on 127.0.0.1 (0: any free port).
        #[arg(long, default_value_t = 8765)]
        port: u16,
    },
}

static WATCHER: OnceLock<Mutex<Box<dyn std::any::Any + Send>>> = OnceLock::new();

fn main() {
    let cli = Cli::parse();
    // Quiet by default (warnings and errors); RUST_LOG replaces this entirely.
    let mut filter = format!("warn,rpcview::page={}", cli.page_log);
    if cli.log_calls {
        filter.push_str(",rpcview::calls=info");
    }
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| filter.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    std::process::exit(match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rpcview-notes: {e}");
            2
        }
    });
}

fn run(cli: Cli) -> Result<i32, Box<dyn std::error::Error>> {
    let data = match (&cli.data, cli.tour) {
        (Some(d), _) => d.clone(),
        (None, true) => std::env::temp_dir().join(format!("rpcview-tour-{}", std::process::id())),
        (None, false) => directories::ProjectDirs::from("", "", "rpcview")
            .map(|p| p.data_dir().join("notes"))
            .ok_or("no home folder to keep notes in; pass --data DIR")?,
    };
    let store = Store::open(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    println!("notes folder: {}", data.display());

    if let Some(Command::Serve { port }) = cli.command {
        return serve(&cli, port, data, store);
    }
    let mut api = demo::api(store.clone());
    let mut window = Window::new("main").title("rpcview notes");
    if let Some(url) = &cli.dev_url {
        window = window.dev_url(url);
    }
    if cli.tour {
        window = window.url("app://localhost/index.html?tour");
        let failures = Arc::new(Mutex::new(0u32));
        let f = failures.clone();
        let shot = cli.screenshot.clone();
        let on_step = move |s: &demo::tour::TourStep| {
            print_step(s);
            if !s.ok {
                *f.lock().unwrap() += 1;
            }
        };
        let on_finish = move |ctx: Ctx| {
            let app = ctx
                .app()
                .expect("the tour runs in the app's window")
                .clone();
            let (shot, failures) = (shot.clone(), *failures.lock().unwrap());
            // The screenshot waits for the UI thread: not on a handler's worker.
            std::thread::spawn(move || finish(&app, &shot, failures));
        };
        api = demo::tour::api(api, data.clone(), on_step, on_finish);
        println!("tour: driving the demo page through every IPC pattern");
    }

    let assets = match &cli.web {
        Some(dir) => Assets::dir(dir),
        None => demo::assets(),
    };
    let mut app = App::new(api)
        .assets(assets)
        .window(window)
        .automation(cli.automation)
        .log_calls(call_log(&cli))
        .page_log_level(match cli.page_log.as_str() {
            "error" => PageLogLevel::Error,
            "info" => PageLogLevel::Info,
            "debug" => PageLogLevel::Debug,
            _ => PageLogLevel::Warn,
        });
    if let (true, Some(dir)) = (cli.watch, &cli.web) {
        app = app.watch(dir);
    }
    let (tour, shot) = (cli.tour, cli.screenshot.clone());
    let app = app.setup(move |handle| {
        match demo::watch(&store, handle.emitter()) {
            Ok(w) => {
                let _ = WATCHER.set(Mutex::new(Box::new(w)));
            }
            Err(e) => eprintln!("rpcview-notes: not watching {}: {e}", store.dir().display()),
        }
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

/// Browser mode: the same API and page, over HTTP and WebSocket on 127.0.0.1.
fn serve(
    cli: &Cli,
    port: u16,
    data: PathBuf,
    store: Store,
) -> Result<i32, Box<dyn std::error::Error>> {
    let mut api = demo::api(store.clone());
    if cli.tour {
        let failures = Arc::new(Mutex::new((0u32, 0u32)));
        let f = failures.clone();
        let on_step = move |s: &demo::tour::TourStep| {
            print_step(s);
            let mut f = f.lock().unwrap();
            f.0 += 1;
            f.1 += u32::from(!s.ok);
        };
        let on_finish = move |_: Ctx| {
            let (steps, failed) = *failures.lock().unwrap();
            println!(
                "tour: {steps} steps; {}",
                if failed == 0 {
                    "every step passed".to_string()
                } else {
                    format!("{failed} step(s) failed")
                }
            );
        };
        api = demo::tour::api(api, data.clone(), on_step, on_finish);
    }
    let assets = match &cli.web {
        Some(dir) => Assets::dir(dir),
        None => demo::assets(),
    };
    let bound = Server::new(api)
        .assets(assets)
        .window(Window::new("main").allow(demo::browser_allow(cli.tour)))
        .log_calls(call_log(cli))
        .port(port)
        .bind()?;
    let _watcher = demo::watch(&store, bound.emitter())
        .map_err(|e| eprintln!("rpcview-notes: not watching {}: {e}", store.dir().display()))
        .ok();
    println!("browser mode: open {}", bound.url());
    if cli.tour {
        println!("tour: open {}&tour to run it in the browser", bound.url());
    }
    bound.run()?;
    Ok(0)
}

/// One line of the tour's report.
fn print_step(s: &demo::tour::TourStep) {
    let verdict = if s.ok { "ok  " } else { "FAIL" };
    // The page reports these: escaped, like any text a page sends.
    let step = rpcview::for_log(&s.step).to_string();
    println!("  {verdict} {step:<28} {}", rpcview::for_log(&s.detail));
}

/// What `--log-calls` and `--log-params` ask for.
fn call_log(cli: &Cli) -> CallLog {
    match (cli.log_calls, cli.log_params) {
        (false, _) => CallLog::Off,
        (true, false) => CallLog::Calls,
        (true, true) => CallLog::WithParams,
    }
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
