//! Limits on guessing the console password: five wrong passwords from one
//! address lock it out for 15 minutes, and at most [`GLOBAL_WRONG_PER_MIN`]
//! wrong passwords a minute are checked from all addresses together, so that
//! guessing from many addresses stays slow too.
//!
//! Kept in this instance's memory, on the server's clock; with Redis
//! ([`Lockout::share`]) counted there, so several instances lock an address
//! out once, after five wrong passwords in all (memory stands in while Redis
//! cannot be reached).

use std::{
    collections::{HashMap, VecDeque},
    net::IpAddr,
    sync::{Arc, Mutex, OnceLock},
};

use crate::{
    clock::UnixSecs,
    limits::{LoginCounts, LoginStep, SharedCounts},
};

/// Wrong passwords from one address before it is locked out.
pub(crate) const MAX_WRONG: u32 = 5;
/// How long an address stays locked out; also how long a wrong password counts.
pub(crate) const LOCKOUT_SECS: i64 = 15 * 60;
/// Wrong passwords a minute from all addresses together.
pub(crate) const GLOBAL_WRONG_PER_MIN: usize = 30;
/// Addresses tracked before the quiet ones are forgotten.
const MAX_TRACKED: usize = 10_000;

/// What one address did lately.
#[derive(Clone, Copy, Debug, Default)]
struct Record {
    /// Wrong passwords since `since`.
    wrong: u32,
    /// When counting started.
    since: UnixSecs,
    /// Locked out until then.
    locked_until: Option<UnixSecs>,
}

/// Why a sign-in may not even be checked now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// This address is locked out.
    LockedOut {
        /// Seconds until it may try again.
        retry_after: u64,
    },
    /// Too many wrong passwords from everywhere this minute.
    Busy {
        /// Seconds until a try is checked again.
        retry_after: u64,
    },
}

/// The per-address and global counts.
#[derive(Default)]
pub(crate) struct Lockout {
    by_address: Mutex<HashMap<IpAddr, Record>>,
    recent_wrong: Mutex<VecDeque<UnixSecs>>,
    shared: OnceLock<Arc<dyn SharedCounts>>,
}

impl std::fmt::Debug for Lockout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lockout")
            .field("shared", &self.shared.get().is_some())
            .finish_non_exhaustive()
    }
}

/// The key of an address: IPv6 clients are counted by their /64, which one
/// machine usually holds whole.
pub(crate) fn address_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut seg = v6.segments();
                seg[4..].fill(0);
                IpAddr::V6(seg.into())
            }
        },
        v4 => v4,
    }
}

impl Lockout {
    /// Counts from now on in `counts` (Redis), shared by every instance.
    pub(crate) fn share(&self, counts: Arc<dyn SharedCounts>) {
        let _ = self.shared.set(counts);
    }

    /// One step in the shared counts; `None` without them or when they fail.
    async fn shared_step(&self, step: LoginStep, ip: IpAddr, now: UnixSecs) -> Option<LoginCounts> {
        let counts = self.shared.get()?;
        let address = address_key(ip).to_string();
        let limits = (MAX_WRONG, LOCKOUT_SECS, GLOBAL_WRONG_PER_MIN as u32);
        match counts.login(step, &address, now, limits).await {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(error = %e, "shared sign-in limits unavailable: counting here");
                None
            }
        }
    }

    /// [`Lockout::check`], in the shared counts when there are some.
    pub(crate) async fn admit(&self, ip: IpAddr, now: UnixSecs) -> Result<(), Refusal> {
        match self.shared_step(LoginStep::Check, ip, now).await {
            Some(c) if c.locked_for > 0 => Err(Refusal::LockedOut {
                retry_after: c.locked_for,
            }),
            Some(c) if c.busy_for > 0 => Err(Refusal::Busy {
                retry_after: c.busy_for,
            }),
            Some(_) => Ok(()),
            None => self.check(ip, now),
        }
    }

    /// [`Lockout::wrong`] and then [`Lockout::attempts_left`], in the shared
    /// counts when there are some: the lockout's end when this one locked the
    /// address out, and the wrong passwords it may still try.
    pub(crate) async fn count_wrong(&self, ip: IpAddr, now: UnixSecs) -> (Option<UnixSecs>, u32) {
        match self.shared_step(LoginStep::Wrong, ip, now).await {
            Some(c) if c.locked_for > 0 => (
                Some(now.saturating_add(i64::try_from(c.locked_for).unwrap_or(LOCKOUT_SECS))),
                0,
            ),
            Some(c) => (None, c.left),
            None => {
                let until = self.wrong(ip, now);
                (until, self.attempts_left(ip))
            }
        }
    }

    /// [`Lockout::success`], in the shared counts too.
    pub(crate) async fn forget(&self, ip: IpAddr, now: UnixSecs) {
        let _ = self.shared_step(LoginStep::Success, ip, now).await;
        self.success(ip);
    }

    /// Whether a sign-in from `ip` may be checked at `now`.
    pub(crate) fn check(&self, ip: IpAddr, now: UnixSecs) -> Result<(), Refusal> {
        let key = address_key(ip);
        let by = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(until) = by.get(&key).and_then(|r| r.locked_until) {
            if now < until {
                return Err(Refusal::LockedOut {
                    retry_after: secs(until - now),
                });
            }
        }
        drop(by);
        let mut recent = self.recent_wrong.lock().unwrap_or_else(|p| p.into_inner());
        while recent.front().is_some_and(|&t| now - t >= 60) {
            recent.pop_front();
        }
        if recent.len() >= GLOBAL_WRONG_PER_MIN {
            let oldest = recent.front().copied().unwrap_or(now);
            return Err(Refusal::Busy {
                retry_after: secs(oldest + 60 - now),
            });
        }
        Ok(())
    }

    /// Counts a wrong password from `ip`; returns the lockout's end when this one locked it out.
    pub(crate) fn wrong(&self, ip: IpAddr, now: UnixSecs) -> Option<UnixSecs> {
        self.recent_wrong
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(now);
        let key = address_key(ip);
        let mut by = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        if by.len() >= MAX_TRACKED {
            by.retain(|_, r| {
                r.locked_until.is_some_and(|u| now < u) || now - r.since < LOCKOUT_SECS
            });
        }
        let r = by.entry(key).or_default();
        let expired = r.locked_until.is_some_and(|u| now >= u);
        if expired || r.wrong == 0 || now - r.since >= LOCKOUT_SECS {
            *r = Record {
                wrong: 0,
                since: now,
                locked_until: None,
            };
        }
        r.wrong += 1;
        if r.wrong >= MAX_WRONG {
            let until = now + LOCKOUT_SECS;
            r.locked_until = Some(until);
            return Some(until);
        }
        None
    }

    /// Wrong passwords `ip` may still try before the lockout.
    pub(crate) fn attempts_left(&self, ip: IpAddr) -> u32 {
        let by = self.by_address.lock().unwrap_or_else(|p| p.into_inner());
        MAX_WRONG.saturating_sub(by.get(&address_key(ip)).map_or(0, |r| r.wrong))
    }

    /// A right password from `ip`: its count starts again.
    pub(crate) fn success(&self, ip: IpAddr) {
        self.by_address
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&address_key(ip));
    }
}

fn secs(n: i64) -> u64 {
    u64::try_from(n.max(1)).unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn the_fifth_wrong_password_locks_an_address_out_for_fifteen_minutes() {
        let l = Lockout::default();
        let a = ip("192.0.2.1");
        for n in 1..MAX_WRONG {
            assert_eq!(l.check(a, 1000), Ok(()));
            assert_eq!(l.wrong(a, 1000), None, "wrong password {n}");
        }
        assert_eq!(l.wrong(a, 1000), Some(1000 + LOCKOUT_SECS));
        assert_eq!(
            l.check(a, 1000),
            Err(Refusal::LockedOut { retry_after: 900 })
        );
        assert_eq!(l.check(ip("192.0.2.2"), 1000), Ok(()), "others may try");
        assert_eq!(l.check(a, 1000 + LOCKOUT_SECS), Ok(()));
        assert_eq!(
            l.wrong(a, 1000 + LOCKOUT_SECS),
            None,
            "counting starts again"
        );
    }

    #[test]
    fn a_right_password_resets_the_count_and_old_mistakes_expire() {
        let l = Lockout::default();
        let a = ip("192.0.2.1");
        for _ in 0..4 {
            l.wrong(a, 0);
        }
        l.success(a);
        assert_eq!(l.attempts_left(a), MAX_WRONG);
        for _ in 0..4 {
            l.wrong(a, 0);
        }
        assert_eq!(
            l.wrong(a, LOCKOUT_SECS),
            None,
            "four old ones no longer count"
        );
    }

    #[test]
    fn an_ipv6_64_counts_as_one_address() {
        let l = Lockout::default();
        for i in 0..MAX_WRONG {
            l.wrong(ip(&format!("2001:db8:1:2::{i:x}")), 0);
        }
        assert!(l.check(ip("2001:db8:1:2:ffff::1"), 1).is_err());
        assert!(l.check(ip("2001:db8:1:3::1"), 1).is_ok());
    }

    #[test]
    fn many_addresses_together_are_slowed_down() {
        let l = Lockout::default();
        for i in 0..GLOBAL_WRONG_PER_MIN {
            l.wrong(ip(&format!("198.51.100.{i}")), 100);
        }
        assert_eq!(
            l.check(ip("203.0.113.9"), 110),
            Err(Refusal::Busy { retry_after: 50 })
        );
        assert_eq!(l.check(ip("203.0.113.9"), 160), Ok(()));
    }
}
