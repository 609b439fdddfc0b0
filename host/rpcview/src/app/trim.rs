//! Memory that comes back: once the app goes idle after handling calls, the allocator is asked
//! to return its free pages to the operating system.
//!
//! glibc keeps what a burst of calls freed in its per-thread arenas (tokio's workers each have
//! one), so a host's RSS stays at its peak long after a flood; `malloc_trim(0)` releases the
//! free pages of every arena. rpcview-bench measures the effect (BENCHMARKS.md, "Memory").

use std::cell::Cell;

/// Ticks of the app's heartbeat (every 500 ms) without a handler starting before a trim.
const IDLE_TICKS: u32 = 2;

/// Whether the app handled calls since it last gave memory back, and how long it is idle.
#[derive(Debug, Default)]
pub(crate) struct Trim {
    runs: Cell<u64>,
    idle: Cell<u32>,
    owed: Cell<bool>,
}

impl Trim {
    /// One heartbeat, with the count of handlers started so far; returns whether it trimmed.
    pub(crate) fn tick(&self, runs: u64) -> bool {
        if runs != self.runs.get() {
            self.runs.set(runs);
            self.idle.set(0);
            self.owed.set(true);
            return false;
        }
        self.idle.set(self.idle.get().saturating_add(1));
        if !self.owed.get() || self.idle.get() < IDLE_TICKS {
            return false;
        }
        self.owed.set(false);
        release();
        true
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn release() {
    // SAFETY: malloc_trim only returns free memory to the OS; it is thread-safe and has no
    // preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn release() {}

#[cfg(test)]
mod tests {
    use super::Trim;

    #[test]
    fn trims_once_per_busy_spell_after_two_idle_ticks() {
        let trim = Trim::default();
        assert!(!trim.tick(0), "nothing handled yet");
        assert!(!trim.tick(0));
        assert!(!trim.tick(5), "busy");
        assert!(!trim.tick(5), "idle one tick");
        assert!(trim.tick(5), "idle two ticks: trimmed");
        assert!(!trim.tick(5), "once");
        assert!(!trim.tick(9));
        assert!(!trim.tick(9));
        assert!(trim.tick(9));
    }
}
