//! A download in flight. While its body lives it keeps its ticket alive
//! (protocol §5, 1.1: a ticket never dies while its bytes are flowing), and
//! when it ends, finished or broken, it gives back to the ticket's budget the
//! bytes it took but never sent, and starts the ticket's last window from
//! its last byte. A body lives while its bytes flow: a client that stops
//! reading is cut off by the connection's write timeout, which drops it.
//! Everything goes through the store, one call per renewal, so it works the
//! same whether the bytes come from files or another store.

use std::{
    io,
    pin::Pin,
    sync::Arc,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use futures_util::Stream;
use ots_proto::ShareId;
use tokio::task::JoinHandle;

use crate::{
    clock::Clock,
    limits::AddressSlot,
    store::{Digest, Store, UnixSecs},
};

/// The bytes of one download, as a boxed stream.
pub(crate) type ByteStream = Pin<Box<dyn Stream<Item = io::Result<Bytes>> + Send>>;

/// Which ticket a download uses, and how to renew it.
pub(crate) struct TicketUse {
    /// The store that keeps the ticket.
    pub(crate) store: Arc<dyn Store>,
    /// The clock renewals read.
    pub(crate) clock: Clock,
    /// The share.
    pub(crate) id: ShareId,
    /// The ticket's hash.
    pub(crate) ticket: Digest,
    /// The ticket's life after its last use, in seconds.
    pub(crate) ttl_secs: i64,
    /// The `now` the store opened the blob with: the ticket lives at least
    /// until `opened_at + ttl_secs`.
    pub(crate) opened_at: UnixSecs,
}

impl TicketUse {
    /// Renews the ticket now and gives `refund` bytes back to its budget.
    async fn touch(&self, refund: u64) {
        let now = self.clock.now();
        let renewed = self
            .store
            .touch_ticket(self.id.clone(), self.ticket, now, self.ttl_secs, refund)
            .await;
        if let Err(e) = renewed {
            tracing::warn!(share = %self.id.short(), error = %e, "could not renew a ticket");
        }
    }
}

/// How often a live download renews its ticket: a quarter of its life, at
/// most a minute, so that it is renewed several times before it could die.
pub(crate) fn renew_every(ttl_secs: i64) -> Duration {
    let millis = u64::try_from(ttl_secs.saturating_mul(250)).unwrap_or(0);
    Duration::from_millis(millis.clamp(250, 60_000))
}

/// The bytes of a download, metered: see the module's notes.
pub(crate) struct Metered {
    inner: ByteStream,
    ticket: Arc<TicketUse>,
    /// Bytes taken from the ticket's budget for this download.
    taken: u64,
    sent: u64,
    /// Renews the ticket every [`renew_every`] while the body lives.
    renewer: Option<JoinHandle<()>>,
    /// The client address's download slot, held as long as the body lives.
    _slot: Option<AddressSlot>,
}

impl Metered {
    /// Meters `inner`, which took `taken` bytes of the ticket's budget.
    pub(crate) fn new(
        inner: ByteStream,
        ticket: TicketUse,
        taken: u64,
        slot: Option<AddressSlot>,
    ) -> Self {
        let ticket = Arc::new(ticket);
        let every = renew_every(ticket.ttl_secs);
        let renewer = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let ticket = ticket.clone();
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(every);
                // The first tick is now: the ticket was just extended by opening it.
                tick.tick().await;
                loop {
                    tick.tick().await;
                    ticket.touch(0).await;
                }
            })
        });
        Self {
            inner,
            ticket,
            taken,
            sent: 0,
            renewer,
            _slot: slot,
        }
    }
}

impl Stream for Metered {
    type Item = io::Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let next = this.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(bytes))) = &next {
            this.sent = this.sent.saturating_add(bytes.len() as u64);
        }
        next
    }
}

impl Drop for Metered {
    fn drop(&mut self) {
        if let Some(renewer) = self.renewer.take() {
            renewer.abort();
        }
        // The last window starts now, and what was never sent goes back to the budget.
        let refund = self.taken.saturating_sub(self.sent);
        // Nothing to give back and still the second the blob was opened in:
        // opening already kept the ticket alive until `now + ttl`, so the
        // store's touch would change nothing (a touch only ever extends).
        if refund == 0 && self.ticket.clock.now() <= self.ticket.opened_at {
            return;
        }
        let ticket = self.ticket.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { ticket.touch(refund).await });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ticket_is_renewed_several_times_within_its_life() {
        assert_eq!(renew_every(600), Duration::from_secs(60));
        assert_eq!(renew_every(2), Duration::from_millis(500));
        assert_eq!(renew_every(0), Duration::from_millis(250));
    }
}
