//! What every request and the sweeper share: the store, the blobs, the
//! settings, the clock and the abuse limits.

use std::{sync::Arc, time::Instant};

use app::SiteLinks;
use tokio::sync::Semaphore;

use crate::{
    admin::{
        create_tokens::CreateTokens,
        settings::{Console, Operator},
    },
    blobs::Blobs,
    clock::Clock,
    config::Config,
    limits::{AddressSlots, ClientKeys, RateLimiter, SharedCounts},
    metrics::Metrics,
    quota::Quota,
    store::Store,
};

/// The server's state: one shared [`Shared`], so that the clones every
/// request, extractor and middleware takes cost one reference count.
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
#[derive(Clone)]
pub(crate) struct Shared {
    /// Share records.
    pub(crate) store: Arc<dyn Store>,
    /// Payload parts.
    pub(crate) blobs: Blobs,
    /// The server's settings.
    pub(crate) config: Arc<Config>,
    /// The one source of `now`.
    pub(crate) clock: Clock,
    /// How a request's client is told apart (trusted proxies, IPv6 prefix).
    pub(crate) clients: ClientKeys,
    /// Per-address bucket for creates.
    pub(crate) create_limiter: Arc<RateLimiter>,
    /// Per-address bucket for claims.
    pub(crate) claim_limiter: Arc<RateLimiter>,
    /// Bound on part uploads in flight.
    pub(crate) uploads: Arc<Semaphore>,
    /// This server's metrics.
    pub(crate) metrics: Arc<Metrics>,
    /// Who may create shares (none configured: anyone).
    pub(crate) create_tokens: Arc<CreateTokens>,
    /// The operator's console, when a password hash is set.
    pub(crate) console: Option<Arc<Console>>,
    /// The operator's footer links.
    pub(crate) links: SiteLinks,
    /// When this instance started.
    pub(crate) started: Instant,
    /// The storage quota.
    pub(crate) quota: Quota,
    /// Part uploads in flight per client address.
    pub(crate) uploads_per_address: Arc<AddressSlots>,
    /// Downloads streaming per client address.
    pub(crate) downloads_per_address: Arc<AddressSlots>,
}

impl AppState {
    /// State over a store and the blobs, with limits from `config`.
    pub(crate) fn new(
        store: Arc<dyn Store>,
        blobs: Blobs,
        config: Arc<Config>,
        clock: Clock,
    ) -> Self {
        let quota = Quota::new(config.max_stored_bytes, blobs.local_root());
        Self(Arc::new(Shared {
            store,
            blobs,
            create_limiter: Arc::new(RateLimiter::per_minute(config.rate_create_per_min)),
            claim_limiter: Arc::new(RateLimiter::per_minute(config.rate_claim_per_min)),
            uploads: Arc::new(Semaphore::new(config.max_concurrent_uploads.max(1) as usize)),
            metrics: Arc::new(Metrics::new(clock.clone())),
            create_tokens: Arc::default(),
            console: None,
            links: SiteLinks::default(),
            started: Instant::now(),
            uploads_per_address: Arc::new(AddressSlots::new(config.max_uploads_per_address)),
            downloads_per_address: Arc::new(AddressSlots::new(config.max_downloads_per_address)),
            quota,
            clients: ClientKeys::new(config.trusted_proxies.clone(), config.ipv6_prefix_len),
            config,
            clock,
        }))
    }

    /// The shared state to change while it is being built (before any clone).
    fn building(&mut self) -> &mut Shared {
        Arc::make_mut(&mut self.0)
    }

    /// With the create and claim limits and the console's sign-in limits
    /// counted in `counts` (Redis), so that every instance on it enforces each
    /// limit once, not once per instance. Call after [`AppState::with_operator`].
    pub(crate) fn with_shared_limits(mut self, counts: Arc<dyn SharedCounts>) -> Self {
        let create = RateLimiter::per_minute(self.config.rate_create_per_min)
            .shared("create", counts.clone());
        let claim =
            RateLimiter::per_minute(self.config.rate_claim_per_min).shared("claim", counts.clone());
        let building = self.building();
        building.create_limiter = Arc::new(create);
        building.claim_limiter = Arc::new(claim);
        if let Some(console) = &self.console {
            console.share_limits(counts);
        }
        self
    }

    /// With the console, create tokens and links the operator's settings switch on.
    pub(crate) fn with_operator(mut self, operator: Operator) -> Self {
        let building = self.building();
        building.console = operator.console;
        building.create_tokens = operator.create_tokens;
        building.links = operator.links;
        self
    }
}
