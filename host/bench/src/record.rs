//! What the host sees of the page's workloads: when each call arrived, and the marks.

use std::time::Instant;

use crate::Measured;

/// Arrivals and marks, on the Rust side.
#[derive(Debug)]
pub(crate) struct Recorder {
    started: Instant,
    first_call: Option<Instant>,
    phase: String,
    arrivals: Vec<Instant>,
    marks: Vec<(String, Instant)>,
    /// In the `sizes` phase, every arrival: `(kind, bytes, when)`; kind `c`, `d` or `u`.
    sized: Vec<(char, usize, Instant)>,
    /// Resident memory at each mark, in MiB.
    rss: Vec<(String, f64)>,
}

impl Recorder {
    pub(crate) fn new(started: Instant) -> Self {
        Self {
            started,
            first_call: None,
            phase: String::new(),
            arrivals: Vec::new(),
            marks: Vec::new(),
            sized: Vec::new(),
            rss: Vec::new(),
        }
    }

    /// A call arrived: a small one (`c`), a download of `bytes` (`d`) or an upload (`u`).
    pub(crate) fn call(&mut self, kind: char, bytes: usize) {
        let now = Instant::now();
        self.first_call.get_or_insert(now);
        match self.phase.as_str() {
            "sequential" => self.arrivals.push(now),
            "sizes" => self.sized.push((kind, bytes, now)),
            _ => {}
        }
    }

    /// Median milliseconds by size: a download is timed from its request's arrival to the
    /// next arrival (the page received and parsed it, then called again); an upload from the
    /// arrival before it (whose reply started the upload) to its own arrival.
    fn transfers(&self, kind: char) -> Vec<(usize, f64)> {
        let mut by_size: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
        for (i, (k, bytes, at)) in self.sized.iter().enumerate() {
            if *k != kind {
                continue;
            }
            let span = match kind {
                'd' => self.sized.get(i + 1).map(|n| n.2 - *at),
                _ => i.checked_sub(1).map(|p| *at - self.sized[p].2),
            };
            if let Some(span) = span {
                by_size
                    .entry(*bytes)
                    .or_default()
                    .push(span.as_secs_f64() * 1e3);
            }
        }
        by_size
            .into_iter()
            .map(|(bytes, mut v)| {
                v.sort_by(|a, b| a.total_cmp(b));
                (bytes, crate::quantile(&v, 0.5))
            })
            .collect()
    }

    /// A mark arrived; returns whether the page is done.
    pub(crate) fn mark(&mut self, name: &str) -> bool {
        self.phase = name.to_owned();
        self.marks.push((name.to_owned(), Instant::now()));
        self.rss.push((name.to_owned(), rss_mib()));
        name == "done"
    }

    /// What was measured, for `pipelined` calls per pipelined workload.
    pub(crate) fn measured(&self, pipelined: usize) -> Measured {
        let at = |name: &str| self.marks.iter().find(|(n, _)| n == name).map(|(_, t)| *t);
        let per_s = |from: &str, to: &str| match (at(from), at(to)) {
            (Some(a), Some(b)) => pipelined as f64 / (b - a).as_secs_f64(),
            _ => f64::NAN,
        };
        let mut round_trips_us: Vec<f64> = self
            .arrivals
            .windows(2)
            .map(|w| (w[1] - w[0]).as_secs_f64() * 1e6)
            .collect();
        round_trips_us.sort_by(|a, b| a.total_cmp(b));
        Measured {
            round_trips_us,
            windowed_per_s: per_s("windowed", "burst"),
            burst_per_s: per_s("burst", "sizes"),
            first_call_ms: self
                .first_call
                .map(|t| (t - self.started).as_secs_f64() * 1e3)
                .unwrap_or(f64::NAN),
            down_ms: self.transfers('d'),
            up_ms: self.transfers('u'),
            rss_mib: self.rss.clone(),
        }
    }
}

/// Resident memory of this process, in MiB (Linux: `/proc/self/statm`).
fn rss_mib() -> f64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: f64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(f64::NAN);
    pages * 4096.0 / (1024.0 * 1024.0)
}
