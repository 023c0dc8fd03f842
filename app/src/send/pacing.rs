//! How many parts upload at once: enough to fill the link, found while
//! the upload runs. It starts at [`Pacing::START`]. After every
//! [`Pacing::WINDOW`] parts the server acknowledged it compares the rate of
//! that window with the window before: one more upload at a time while a
//! wider window was faster, back to the last width when it was not, then
//! it stays there, at most at the server's default limit per address.
#![cfg_attr(not(feature = "hydrate"), allow(dead_code))]

/// The uploads in flight beside the parts being sealed.
#[derive(Debug, Clone)]
pub(super) struct Pacing {
    uploads: usize,
    /// Bytes, parts and start (ms) of the window being measured.
    window_bytes: u64,
    window_parts: usize,
    window_start: f64,
    /// The rate (bytes per ms) of the last window and the width it ran at.
    before: Option<(f64, usize)>,
    /// Set once a wider window did not help: the width is found.
    settled: bool,
}

impl Pacing {
    /// Uploads in flight at the start.
    pub const START: usize = 2;
    /// The most uploads in flight: a server takes four at once from one
    /// address by default (`--max-uploads-per-address`) and answers more
    /// with `503 busy`.
    pub const MAX: usize = 4;
    /// Acknowledged parts per measurement.
    pub const WINDOW: usize = 4;
    /// A rate must grow by more than this fraction to count as faster.
    const GAIN: f64 = 0.05;

    /// Pacing for an upload that starts at `now_ms`.
    pub fn new(now_ms: f64) -> Pacing {
        Pacing {
            uploads: Self::START,
            window_bytes: 0,
            window_parts: 0,
            window_start: now_ms,
            before: None,
            settled: false,
        }
    }

    /// Uploads to keep in flight now.
    pub fn uploads(&self) -> usize {
        self.uploads
    }

    /// The server acknowledged a part of `bytes` at `now_ms`; answers the
    /// uploads to keep in flight from now on.
    pub fn acknowledged(&mut self, bytes: u64, now_ms: f64) -> usize {
        self.window_bytes += bytes;
        self.window_parts += 1;
        if self.window_parts < Self::WINDOW {
            return self.uploads;
        }
        let rate = self.window_bytes as f64 / (now_ms - self.window_start).max(1.0);
        let width = self.uploads;
        self.window_bytes = 0;
        self.window_parts = 0;
        self.window_start = now_ms;
        if self.settled {
            return self.uploads;
        }
        match self.before {
            Some((faster, narrower)) if width > narrower && rate <= faster * (1.0 + Self::GAIN) => {
                // The wider window was no faster: back, and stay.
                self.uploads = narrower;
                self.settled = true;
            }
            _ => {
                self.before = Some((rate, width));
                if width < Self::MAX {
                    self.uploads = width + 1;
                } else {
                    self.settled = true;
                }
            }
        }
        self.uploads
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PART: u64 = 8 * 1024 * 1024;

    /// Acknowledges parts at `rate(width)` bytes per ms until `windows`
    /// windows passed; the widths each window ran at.
    fn run(windows: usize, rate: impl Fn(usize) -> f64) -> Vec<usize> {
        let mut pacing = Pacing::new(0.0);
        let mut now = 0.0;
        let mut widths = Vec::new();
        for _ in 0..windows {
            let width = pacing.uploads();
            widths.push(width);
            for _ in 0..Pacing::WINDOW {
                now += PART as f64 / rate(width);
                pacing.acknowledged(PART, now);
            }
        }
        widths
    }

    #[test]
    fn widens_while_it_helps_then_stays() {
        // The link fills at three uploads.
        let widths = run(7, |w| 100.0 * w.min(3) as f64);
        assert_eq!(widths, vec![2, 3, 4, 3, 3, 3, 3]);
    }

    #[test]
    fn a_link_that_two_fill_stays_at_two() {
        let widths = run(5, |_| 500.0);
        assert_eq!(widths, vec![2, 3, 2, 2, 2]);
    }

    #[test]
    fn never_past_the_most() {
        let widths = run(6, |w| 100.0 * w as f64);
        assert_eq!(widths, vec![2, 3, 4, 4, 4, 4]);
        assert!(widths.iter().all(|&w| w <= Pacing::MAX));
    }

    #[test]
    fn noise_does_not_count_as_faster() {
        // Three uploads are 3% faster than two: within the noise.
        let widths = run(4, |w| if w >= 3 { 103.0 } else { 100.0 });
        assert_eq!(widths, vec![2, 3, 2, 2]);
    }

    #[test]
    fn nothing_changes_within_a_window() {
        let mut pacing = Pacing::new(0.0);
        for i in 1..Pacing::WINDOW as u64 {
            assert_eq!(pacing.acknowledged(PART, i as f64 * 10.0), Pacing::START);
        }
    }
}
