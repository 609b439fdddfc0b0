//! `hello`: opens the app's window (headless: `xvfb-run -a cargo run -p hello`).

fn main() {
    match hello::app(hello::api()).run() {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("hello: {e}");
            std::process::exit(2);
        }
    }
}
