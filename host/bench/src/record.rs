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
    /// In the `by_size` phase, every echo's arrival: `(text bytes, when)`.
    echoes: Vec<(usize, Instant)>,
    /// Resident memory at each mark, in MiB.
    rss: Vec<(String, f64)>,
    /// In the `sequential` phase, the stages of each call as they happened.
    stages: Vec<(String, Instant)>,
    /// In the `sizes` phase, the same, with a `#d:BYTES` or `#u:BYTES` mark where a download
    /// or an upload reached its handler.
    sized_stages: Vec<(String, Instant)>,
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
            echoes: Vec::new(),
            stages: Vec::new(),
            sized_stages: Vec::new(),
            rss: Vec::new(),
        }
    }

    /// A call arrived: an echo of a text of `bytes` (`c`, or `e` from the raw page's
    /// by-size workload), a download of `bytes` (`d`) or an upload (`u`) of text, or of
    /// binary data (`D`, `U`).
    pub(crate) fn call(&mut self, kind: char, bytes: usize) {
        let now = Instant::now();
        self.first_call.get_or_insert(now);
        match self.phase.as_str() {
            "sequential" => self.arrivals.push(now),
            "sizes" => {
                self.sized.push((kind, bytes, now));
                if matches!(kind, 'd' | 'u') {
                    self.sized_stages.push((format!("#{kind}:{bytes}"), now));
                }
            }
            "by_size" => self.echoes.push((bytes, now)),
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
                'd' | 'D' => self.sized.get(i + 1).map(|n| n.2 - *at),
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

    /// A call reached `stage` (`arrived` when the host got it, `delivered` when its reply
    /// left, and rpcview's stages between); kept in the `sequential` phase only.
    pub(crate) fn stage(&mut self, stage: &str) {
        match self.phase.as_str() {
            "sequential" => self.stages.push((stage.to_owned(), Instant::now())),
            "sizes" => self.sized_stages.push((stage.to_owned(), Instant::now())),
            _ => {}
        }
    }

    /// The median time between consecutive stages of a sequential call, in microseconds,
    /// in the order they happen: `("arrived → read", µs)`, ..., and `("delivered → next
    /// arrived", µs)`, the page's side of the round trip. Only complete cycles count.
    fn stage_medians(&self) -> Vec<(String, f64)> {
        let starts: Vec<usize> = (0..self.stages.len())
            .filter(|i| self.stages[*i].0 == "arrived")
            .collect();
        let cycles: Vec<Vec<(String, f64)>> = starts
            .windows(2)
            .map(|w| steps(self.stages[w[0]..=w[1]].iter(), 1e6))
            .collect();
        // The full cycle is the most common shape (marks and refusals have fewer stages).
        let longest = cycles.iter().map(Vec::len).max().unwrap_or(0);
        medians(cycles.into_iter().filter(|c| c.len() == longest).flatten())
    }

    /// Where the largest transfer of `kind` (`d` or `u`) went: the median over its repeats of
    /// each step, in milliseconds, starting with the page's side that sent it (from the
    /// previous reply's `delivered` to its `arrived`) and ending with the next call's
    /// arrival. Empty when nothing was recorded.
    fn transfer_stages(&self, kind: char) -> (usize, Vec<(String, f64)>) {
        let prefix = format!("#{kind}:");
        let Some(bytes) = self
            .sized_stages
            .iter()
            .filter_map(|(s, _)| s.strip_prefix(&prefix)?.parse::<usize>().ok())
            .max()
        else {
            return (0, Vec::new());
        };
        let mark = format!("{prefix}{bytes}");
        let stages = &self.sized_stages;
        let mut steps_of: Vec<(String, f64)> = Vec::new();
        for m in (0..stages.len()).filter(|i| stages[*i].0 == mark) {
            let Some(a) = (0..m).rev().find(|i| stages[*i].0 == "arrived") else {
                continue;
            };
            let Some(b) = (m + 1..stages.len()).find(|i| stages[*i].0 == "arrived") else {
                continue;
            };
            if let Some(d) = (0..a).rev().find(|i| stages[*i].0 == "delivered") {
                let ms = (stages[a].1 - stages[d].1).as_secs_f64() * 1e3;
                steps_of.push(("page: previous reply delivered → arrived".into(), ms));
            }
            steps_of.extend(steps(
                stages[a..=b].iter().filter(|(s, _)| !s.starts_with('#')),
                1e3,
            ));
        }
        // The page's side that sent it comes first, whichever repeat saw it first.
        let mut by_step = medians(steps_of);
        by_step.sort_by_key(|(name, _)| !name.starts_with("page:"));
        (bytes, by_step)
    }

    /// Round trips by text size, in microseconds: `(bytes, p50, p99)`, from the gaps between
    /// consecutive echoes of the same size.
    fn echo_round_trips(&self) -> Vec<(usize, f64, f64)> {
        let mut by_size: std::collections::BTreeMap<usize, Vec<f64>> = Default::default();
        for w in self.echoes.windows(2) {
            if w[0].0 == w[1].0 {
                by_size
                    .entry(w[1].0)
                    .or_default()
                    .push((w[1].1 - w[0].1).as_secs_f64() * 1e6);
            }
        }
        by_size
            .into_iter()
            .map(|(bytes, mut v)| {
                v.sort_by(|a, b| a.total_cmp(b));
                (bytes, crate::quantile(&v, 0.5), crate::quantile(&v, 0.99))
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
            burst_per_s: per_s("burst", "memory"),
            first_call_ms: self
                .first_call
                .map(|t| (t - self.started).as_secs_f64() * 1e3)
                .unwrap_or(f64::NAN),
            down_ms: self.transfers('d'),
            up_ms: self.transfers('u'),
            down_bytes_ms: self.transfers('D'),
            up_bytes_ms: self.transfers('U'),
            echo_us: self.echo_round_trips(),
            stages_us: self.stage_medians(),
            down_stages_ms: self.transfer_stages('d'),
            up_stages_ms: self.transfer_stages('u'),
            rss_mib: self.rss.clone(),
        }
    }
}

/// The steps between consecutive stages, in `unit`s per second (1e6: µs), named
/// `a → b` (`a → next arrived` for the step that ends the cycle).
fn steps<'a>(cycle: impl Iterator<Item = &'a (String, Instant)>, unit: f64) -> Vec<(String, f64)> {
    let cycle: Vec<&(String, Instant)> = cycle.collect();
    cycle
        .windows(2)
        .map(|p| {
            let name = if p[1].0 == "arrived" {
                format!("{} → next arrived", p[0].0)
            } else {
                format!("{} → {}", p[0].0, p[1].0)
            };
            (name, (p[1].1 - p[0].1).as_secs_f64() * unit)
        })
        .collect()
}

/// The median of each named step, in the order the names first appear.
fn medians(steps: impl IntoIterator<Item = (String, f64)>) -> Vec<(String, f64)> {
    let mut order: Vec<String> = Vec::new();
    let mut spans: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for (name, value) in steps {
        if !order.contains(&name) {
            order.push(name.clone());
        }
        spans.entry(name).or_default().push(value);
    }
    order
        .into_iter()
        .map(|name| {
            let mut v = spans.remove(&name).unwrap_or_default();
            v.sort_by(|a, b| a.total_cmp(b));
            (name, crate::quantile(&v, 0.5))
        })
        .collect()
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
