//! Faults of a window's page and what the app does about them: its web process gone (crashed,
//! killed for memory, terminated), or not answering.
//!
//! A window's web process can die under it (a WebKit crash, the kernel's OOM killer): WebKitGTK
//! says so with `web-process-terminated`. A page stuck in a loop never dies but never answers:
//! the host notices by sending it a probe (an empty script in the isolated world) every half
//! second and timing the answer. Each window has a policy for both;
//! [`App::on_fault`](crate::App::on_fault) sees every fault.

use std::time::Duration;

pub use crate::bridge::GoneReason;

/// What to do when a window's web process is gone.
///
/// ```
/// use rpcview::{CrashPolicy, Window};
/// let w = Window::new("main").on_crash(CrashPolicy::Reload { max_per_minute: 5 });
/// assert_eq!(CrashPolicy::default(), CrashPolicy::Reload { max_per_minute: 3 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrashPolicy {
    /// Load the page anew in a new web process; after `max_per_minute` crashes within a
    /// minute, close the window instead (a page that crashes as it starts must not loop).
    Reload {
        /// Reloads allowed in any 60 s. Default: 3.
        max_per_minute: u32,
    },
    /// Close the window (the app ends if it was the last, with code 0).
    Close,
    /// End the app with this exit code.
    Exit(i32),
}

impl Default for CrashPolicy {
    fn default() -> Self {
        CrashPolicy::Reload { max_per_minute: 3 }
    }
}

/// When a window's web process was last gone, to hold [`CrashPolicy::Reload`] to its limit.
#[derive(Debug, Default)]
pub(crate) struct Crashes(std::collections::VecDeque<std::time::Instant>);

impl Crashes {
    /// Counts a crash at `now`; whether a reload is still allowed (at most `max_per_minute`
    /// within the last 60 s, this one included).
    pub(crate) fn allow_reload(&mut self, max_per_minute: u32, now: std::time::Instant) -> bool {
        while self
            .0
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            self.0.pop_front();
        }
        self.0.push_back(now);
        self.0.len() <= max_per_minute as usize
    }

    /// Crashes within the last minute.
    pub(crate) fn recent(&self) -> usize {
        self.0.len()
    }
}

/// What to do when a window's page stops answering.
///
/// ```
/// use std::time::Duration;
/// use rpcview::{UnresponsivePolicy, Window};
/// let w = Window::new("main").on_unresponsive(Duration::from_secs(10), UnresponsivePolicy::Reload);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UnresponsivePolicy {
    /// Log it, tell [`App::on_fault`](crate::App::on_fault), and wait: a long computation may
    /// end. The default.
    #[default]
    Wait,
    /// End the page's web process and load the page anew.
    Reload,
    /// Close the window.
    Close,
}

/// What the app did about a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Recovery {
    /// The page is loading anew.
    Reloaded,
    /// The window was closed.
    Closed,
    /// The app is ending with this code.
    Exiting(i32),
    /// Nothing yet: the page may answer again.
    Waiting,
}

/// A fault of a window's page, as [`App::on_fault`](crate::App::on_fault) sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// The window's web process is gone. Its running async handlers were cancelled
    /// (`cancelled` of them) and replies to the dead page are dropped.
    WebProcessGone {
        /// The window's label.
        window: String,
        /// Why.
        reason: GoneReason,
        /// Async handlers cancelled.
        cancelled: usize,
        /// What the app did.
        recovery: Recovery,
    },
    /// The window's page has not answered for `after`.
    Unresponsive {
        /// The window's label.
        window: String,
        /// How long it had been silent when noticed.
        after: Duration,
        /// What the app did.
        recovery: Recovery,
    },
    /// The page answers again after being unresponsive.
    Responsive {
        /// The window's label.
        window: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_page_that_keeps_crashing_stops_being_reloaded() {
        let mut crashes = Crashes::default();
        let t0 = Instant::now();
        let at = |s| t0 + Duration::from_secs(s);
        assert!(crashes.allow_reload(3, at(0)));
        assert!(crashes.allow_reload(3, at(10)));
        assert!(crashes.allow_reload(3, at(20)));
        assert!(
            !crashes.allow_reload(3, at(30)),
            "a fourth crash within a minute"
        );
        assert_eq!(crashes.recent(), 4);
        // A minute after the first ones, reloads are allowed again.
        assert!(crashes.allow_reload(3, at(85)));
    }
}
