//! The plot of BENCHMARKS.md: round-trip time by payload size, rpcview beside raw wry, on
//! log-log axes. Drawn as SVG here, and made a PNG by rendering it in a real webview with
//! `rpcview::testing` (no plotting library, no image tool). Written with a CSV of the same
//! figures under `target/bench/`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rpcview::testing::{Page, TestApp};
use rpcview::Api;

use crate::{size, Measured};

const W: f64 = 820.0;
const H: f64 = 520.0;
/// The plotting area: left, top, right, bottom.
const AREA: (f64, f64, f64, f64) = (90.0, 60.0, 790.0, 420.0);

/// Writes `roundtrip-by-size.{csv,svg,png}` into `dir`; returns the PNG's path.
pub(crate) fn write(raw: &Measured, ours: &Measured, dir: &Path) -> Result<PathBuf, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut csv = String::from("bytes,raw_p50_us,raw_p99_us,rpcview_p50_us,rpcview_p99_us\n");
    for ((b, r50, r99), (_, o50, o99)) in raw.echo_us.iter().zip(&ours.echo_us) {
        let _ = writeln!(csv, "{b},{r50:.1},{r99:.1},{o50:.1},{o99:.1}");
    }
    let svg = svg(raw, ours);
    let png = render(&svg)?;
    let path = dir.join("roundtrip-by-size.png");
    for (name, bytes) in [
        ("roundtrip-by-size.csv", csv.as_bytes()),
        ("roundtrip-by-size.svg", svg.as_bytes()),
        ("roundtrip-by-size.png", &png[..]),
    ] {
        std::fs::write(dir.join(name), bytes).map_err(|e| format!("{name}: {e}"))?;
    }
    Ok(path)
}

/// The figure, as an SVG document.
fn svg(raw: &Measured, ours: &Measured) -> String {
    let points = |m: &Measured| -> Vec<(f64, f64)> {
        m.echo_us
            .iter()
            .map(|(b, p50, _)| (*b as f64, *p50))
            .collect()
    };
    let (raw_pts, our_pts) = (points(raw), points(ours));
    let all = raw_pts.iter().chain(&our_pts);
    let (xmin, xmax) = decades(all.clone().map(|p| p.0));
    let (ymin, ymax) = decades(all.map(|p| p.1));
    let (l, t, r, b) = AREA;
    let x = |v: f64| l + (v.log10() - xmin) / (xmax - xmin) * (r - l);
    let y = |v: f64| b - (v.log10() - ymin) / (ymax - ymin) * (b - t);
    let mut s = String::new();
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="DejaVu Sans, sans-serif" font-size="13">
<rect width="100%" height="100%" fill="#fff"/>
<text x="{}" y="32" font-size="17" text-anchor="middle" font-weight="bold">Round trip of an echo by payload size (median, {} build, log-log)</text>
"##,
        W / 2.0,
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
    for d in xmin as i32..=xmax as i32 {
        let v = 10f64.powi(d);
        let px = x(v);
        let _ = writeln!(
            s,
            r##"<line x1="{px:.1}" y1="{t}" x2="{px:.1}" y2="{b}" stroke="#ddd"/><text x="{px:.1}" y="{}" text-anchor="middle">{}</text>"##,
            b + 20.0,
            label_bytes(v)
        );
    }
    for d in ymin as i32..=ymax as i32 {
        let v = 10f64.powi(d);
        let py = y(v);
        let _ = writeln!(
            s,
            r##"<line x1="{l}" y1="{py:.1}" x2="{r}" y2="{py:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{}</text>"##,
            l - 8.0,
            py + 4.0,
            label_us(v)
        );
    }
    let _ = writeln!(
        s,
        r##"<rect x="{l}" y="{t}" width="{}" height="{}" fill="none" stroke="#444"/>
<text x="{}" y="{}" text-anchor="middle">payload (characters of text, each way)</text>
<text transform="translate(22 {}) rotate(-90)" text-anchor="middle">round trip</text>"##,
        r - l,
        b - t,
        (l + r) / 2.0,
        b + 45.0,
        (t + b) / 2.0
    );
    for (pts, color, name, dy) in [
        (
            &raw_pts,
            "#888",
            "raw wry (postMessage → evaluate_script)",
            0.0,
        ),
        (&our_pts, "#4f46e5", "rpcview (api.invoke, validated)", 20.0),
    ] {
        let path: Vec<String> = pts
            .iter()
            .map(|(bx, us)| format!("{:.1},{:.1}", x(*bx), y(*us)))
            .collect();
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2.5"/>"##,
            path.join(" ")
        );
        for (bx, us) in pts {
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{color}"/>"##,
                x(*bx),
                y(*us)
            );
        }
        let _ = writeln!(
            s,
            r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{color}" stroke-width="2.5"/><text x="{}" y="{}">{name}</text>"##,
            l + 15.0,
            t + 20.0 + dy,
            l + 45.0,
            t + 20.0 + dy,
            l + 52.0,
            t + 25.0 + dy
        );
    }
    let ratios: Vec<String> = raw
        .echo_us
        .iter()
        .zip(&ours.echo_us)
        .map(|((b, r, _), (_, o, _))| format!("{}: {:.2}×", size(*b), o / r))
        .collect();
    let _ = writeln!(
        s,
        r##"<text x="{}" y="{}" text-anchor="middle" fill="#333">rpcview ÷ raw: {}</text>"##,
        W / 2.0,
        H - 14.0,
        ratios.join(" · ")
    );
    s.push_str("</svg>\n");
    s
}

/// The whole decades (as log10) around `values`.
fn decades(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::MAX, f64::MIN), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if lo > hi {
        return (0.0, 1.0);
    }
    let (lo, hi) = (lo.log10().floor(), hi.log10().ceil());
    (lo, if hi > lo { hi } else { lo + 1.0 })
}

fn label_bytes(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{} MB", v / 1e6),
        v if v >= 1e3 => format!("{} kB", v / 1e3),
        v => format!("{v} B"),
    }
}

fn label_us(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{} s", v / 1e6),
        v if v >= 1e3 => format!("{} ms", v / 1e3),
        v => format!("{v} µs"),
    }
}

/// `svg` as a PNG: shown alone in a real webview and screenshot.
fn render(svg: &str) -> Result<Vec<u8>, String> {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"></head><body style=\"margin:0;background:#fff\">{svg}</body></html>"
    );
    let app = TestApp::builder(Api::new(), Page::html(html))
        .window(|w| w.title("rpcview-bench plot").size(W, H))
        .launch()
        .map_err(|e| e.to_string())?;
    app.screenshot().map_err(|e| e.to_string())
}
