//! An executor for the native tests that only queues what the reactive
//! runtime spawns, so that a test decides when, and after what, it runs.

use std::{
    cell::RefCell,
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    task::{Context, Poll, Wake, Waker},
};

use any_spawner::{CustomExecutor, Executor, PinnedFuture, PinnedLocalFuture};

thread_local! {
    static QUEUE: RefCell<Vec<PinnedFuture<()>>> = const { RefCell::new(Vec::new()) };
}

struct Queue;

impl CustomExecutor for Queue {
    fn spawn(&self, fut: PinnedFuture<()>) {
        QUEUE.with_borrow_mut(|q| q.push(fut));
    }

    fn spawn_local(&self, _fut: PinnedLocalFuture<()>) {
        unreachable!("the server's side spawns no local futures");
    }

    fn poll_local(&self) {}
}

/// Makes the queue the process's executor (once; every test may call this).
pub fn install() {
    // Err only when another test has installed it already.
    let _ = Executor::init_custom_executor(Queue);
}

/// What [`poll_spawned`] found: the futures still pending are kept, so
/// that what wakes them is counted.
pub struct Polled {
    /// How many panicked.
    pub panicked: usize,
    wakes: Arc<Wakes>,
    _pending: Vec<PinnedFuture<()>>,
}

impl Polled {
    /// How many times the pending futures were woken since.
    pub fn wakes(&self) -> usize {
        self.wakes.0.load(Ordering::SeqCst)
    }
}

#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// Polls once each future this thread spawned so far.
pub fn poll_spawned() -> Polled {
    let spawned = QUEUE.with_borrow_mut(std::mem::take);
    let wakes = Arc::new(Wakes::default());
    let waker = Waker::from(Arc::clone(&wakes));
    let mut cx = Context::from_waker(&waker);
    let mut panicked = 0;
    let mut pending = Vec::new();
    for mut fut in spawned {
        match catch_unwind(AssertUnwindSafe(|| fut.as_mut().poll(&mut cx))) {
            Err(_) => panicked += 1,
            Ok(Poll::Pending) => pending.push(fut),
            Ok(Poll::Ready(())) => {}
        }
    }
    Polled {
        panicked,
        wakes,
        _pending: pending,
    }
}
