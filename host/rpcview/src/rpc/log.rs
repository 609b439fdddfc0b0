//! Log lines that a page or a peer cannot forge or flood.
//!
//! What arrives from outside (a page's console text, a frame's URL, an `Origin` header, an
//! asset path) goes into a log line through [`clean`]: control characters are escaped (a
//! newline cannot start a line that looks like the host's own, an escape sequence cannot
//! reach a terminal) and the text is cut at a bound (a 50 MB URL costs a few hundred bytes of
//! log). Refusals that a page can repeat at will go through a [`Throttle`]: a burst per
//! second is logged, the rest is counted and the count is logged with the next line.

use std::fmt;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The most characters of outside text one log field shows.
pub(crate) const FIELD_CHARS: usize = 256;
/// The most characters of a page's log message the host logs (the rest is cut).
pub(crate) const MESSAGE_CHARS: usize = 2048;

/// `text` from outside, for a log line: control characters escaped (`\n`, `\u{1b}`), at most
/// `max` characters, then how many more there were.
pub(crate) fn clean(text: &str, max: usize) -> Clean<'_> {
    Clean(text, max)
}

/// Text a page sent (a log message, a name, a URL), made safe to print or log: newlines and
/// other control characters (terminal escape sequences among them) are escaped, so the text
/// cannot start a line that looks like the app's own nor steer a terminal, and it is cut after
/// 2,048 characters. rpcview's own logs show page text this way; do the same when a handler
/// prints what a page sent.
///
/// ```
/// let shown = rpcview::for_log("done\n[INFO] forged line\x1b[2J").to_string();
/// assert_eq!(shown, "done\\n[INFO] forged line\\u{1b}[2J");
/// ```
pub fn for_log(text: &str) -> Clean<'_> {
    Clean(text, MESSAGE_CHARS)
}

/// Outside text as [`for_log`] shows it (its `Display`).
#[derive(Debug, Clone, Copy)]
pub struct Clean<'a>(&'a str, usize);

impl fmt::Display for Clean<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (shown, (at, c)) in self.0.char_indices().enumerate() {
            if shown == self.1 {
                let rest = self.0[at..].chars().count();
                return write!(f, "… ({rest} more characters)");
            }
            match c {
                '\n' => f.write_str("\\n")?,
                '\r' => f.write_str("\\r")?,
                '\t' => f.write_str("\\t")?,
                c if c.is_control() || is_invisible_format(c) => {
                    write!(f, "\\u{{{:x}}}", u32::from(c))?
                }
                c => fmt::Write::write_char(f, c)?,
            }
        }
        Ok(())
    }
}

/// Characters that change how a line reads without showing (bidirectional overrides, line
/// and paragraph separators).
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{2028}' | '\u{2029}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// At most [`Throttle::BURST`] lines of one kind per second; the rest are counted, and the
/// next line logged says how many were dropped.
#[derive(Debug)]
pub(crate) struct Throttle(Mutex<State>);

#[derive(Debug)]
struct State {
    since: Option<Instant>,
    taken: u32,
    dropped: u64,
}

impl Throttle {
    /// Lines of one kind logged per second.
    pub(crate) const BURST: u32 = 20;
    const PERIOD: Duration = Duration::from_secs(1);

    /// A throttle with nothing logged yet (usable in a `static`).
    pub(crate) const fn new() -> Self {
        Self(Mutex::new(State {
            since: None,
            taken: 0,
            dropped: 0,
        }))
    }

    /// `Some(dropped)` if one more line may be logged now (`dropped`: how many were not,
    /// since the last one that was); `None` if this one is dropped (and counted).
    pub(crate) fn take(&self) -> Option<u64> {
        self.take_at(Instant::now())
    }

    fn take_at(&self, now: Instant) -> Option<u64> {
        let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if s.since
            .is_none_or(|t| now.duration_since(t) >= Self::PERIOD)
        {
            s.since = Some(now);
            s.taken = 0;
        }
        if s.taken >= Self::BURST {
            s.dropped += 1;
            return None;
        }
        s.taken += 1;
        Some(std::mem::take(&mut s.dropped))
    }
}

/// ` (N similar lines dropped)`, or nothing.
pub(crate) fn dropped(n: u64) -> String {
    if n == 0 {
        String::new()
    } else {
        format!(" ({n} similar lines dropped in the last second)")
    }
}

/// Logs a refusal that a page or a peer can repeat at will, through `throttle`.
macro_rules! refusal {
    ($throttle:expr, $($arg:tt)+) => {
        if let Some(n) = $throttle.take() {
            let dropped = $crate::rpc::log::dropped(n);
            tracing::warn!(dropped = %dropped, $($arg)+);
        }
    };
}
pub(crate) use refusal;

/// A request on the blob channel without the window's key (another frame, a page script's
/// own `fetch`).
#[cfg_attr(not(feature = "webview"), allow(dead_code))]
pub(crate) fn refused_blob(window: &str) {
    static THROTTLE: Throttle = Throttle::new();
    refusal!(THROTTLE, %window, "refused a blob-channel request without the window's key (only the window's preload may use it)");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outside_text_cannot_start_a_line_nor_reach_the_terminal() {
        let shown = clean("ok\n2026-01-01 INFO rpcview: forged\x1b[31m\u{202e}", 100).to_string();
        assert_eq!(
            shown,
            "ok\\n2026-01-01 INFO rpcview: forged\\u{1b}[31m\\u{202e}"
        );
        assert!(!shown.contains('\n') && !shown.contains('\x1b'));
    }

    #[test]
    fn outside_text_is_cut_at_its_bound() {
        let long = "é".repeat(1_000_000);
        let shown = clean(&long, 10).to_string();
        assert_eq!(
            shown,
            format!("{}… (999990 more characters)", "é".repeat(10))
        );
        assert_eq!(clean("short", 10).to_string(), "short");
    }

    #[test]
    fn a_burst_is_logged_and_the_rest_counted() {
        let t = Throttle::new();
        let now = Instant::now();
        let taken = (0..5000).filter(|_| t.take_at(now).is_some()).count();
        assert_eq!(taken, Throttle::BURST as usize);
        let later = now + Duration::from_secs(1);
        assert_eq!(t.take_at(later), Some(5000 - u64::from(Throttle::BURST)));
        assert_eq!(t.take_at(later), Some(0));
    }
}
