//! Stopping a send or a download that is under way.
//!
//! A flow's `start` (or `open`) hands back a [`Cancel`]; the page's cancel
//! button calls it. The flow's future is dropped at its next step:
//! requests in flight are aborted, workers end, and what the flow made so
//! far is undone (a share being uploaded is revoked, a file being written
//! is deleted).

/// Stops one flow; calling it again, or after the flow ended, does
/// nothing.
#[derive(Clone, Debug, Default)]
pub struct Cancel {
    #[cfg(feature = "hydrate")]
    handle: Option<futures_util::future::AbortHandle>,
}

impl Cancel {
    /// Stops the flow.
    pub fn cancel(&self) {
        #[cfg(feature = "hydrate")]
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }

    /// A cancel button's handle and what the flow runs under.
    #[cfg(feature = "hydrate")]
    pub(crate) fn pair() -> (Cancel, Stop) {
        let (handle, registration) = futures_util::future::AbortHandle::new_pair();
        (
            Cancel {
                handle: Some(handle),
            },
            Stop(registration),
        )
    }
}

/// The flow's side of a [`Cancel`].
#[cfg(feature = "hydrate")]
pub(crate) struct Stop(futures_util::future::AbortRegistration);

#[cfg(feature = "hydrate")]
impl Stop {
    /// Runs `flow` to its end; `None` once the [`Cancel`] was called, and
    /// `flow` is dropped at the step it had reached.
    pub(crate) async fn run<T>(self, flow: impl std::future::Future<Output = T>) -> Option<T> {
        futures_util::future::Abortable::new(flow, self.0)
            .await
            .ok()
    }
}
