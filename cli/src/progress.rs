//! A progress bar with rate and ETA on stderr, shown only when stderr is a
//! terminal so that scripts and logs see nothing of it.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};

/// A progress bar, or nothing when stderr is not a terminal. Cheap to clone.
#[derive(Clone)]
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A bar over `total` bytes labelled `label`.
    pub fn new(total: u64, label: &'static str) -> Self {
        if !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template(
            "{msg} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        // Dropping the last clone (also on an error) leaves the screen clean.
        let bar = bar.with_style(style).with_finish(ProgressFinish::AndClear);
        bar.set_message(label);
        Self(Some(bar))
    }

    /// `bytes` more are done.
    pub fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(bytes);
        }
    }

    /// Removes the bar from the screen.
    pub fn clear(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
