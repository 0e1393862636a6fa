//! Open streams per client IP and per reader, counted in this process: a stream holds a
//! [`StreamGuard`] for as long as it is open, and dropping it (the connection closed, the
//! stream ended) gives the slot back. A limit of 0 means no limit.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::ids::UserId;

/// What is counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Ip(String),
    User(UserId),
}

/// The counts of one instance.
pub struct StreamLimits {
    per_ip: usize,
    per_user: usize,
    open: Mutex<HashMap<Key, usize>>,
}

/// Which limit a new stream would exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitReached {
    /// The limit.
    pub limit: usize,
}

impl StreamLimits {
    /// Limits of `per_ip` streams per client address and `per_user` reader streams per user.
    pub fn new(per_ip: usize, per_user: usize) -> Arc<Self> {
        Arc::new(Self {
            per_ip,
            per_user,
            open: Mutex::new(HashMap::new()),
        })
    }

    /// Takes a slot for a stream from `ip` (and for `user`'s own stream), or says which limit
    /// is reached; nothing is taken then.
    pub fn acquire(
        self: &Arc<Self>,
        ip: String,
        user: Option<UserId>,
    ) -> Result<StreamGuard, LimitReached> {
        let mut keys = vec![(Key::Ip(ip), self.per_ip)];
        if let Some(user) = user {
            keys.push((Key::User(user), self.per_user));
        }
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        for (key, limit) in &keys {
            if *limit > 0 && open.get(key).copied().unwrap_or(0) >= *limit {
                return Err(LimitReached { limit: *limit });
            }
        }
        for (key, _) in &keys {
            *open.entry(key.clone()).or_insert(0) += 1;
        }
        Ok(StreamGuard {
            limits: self.clone(),
            keys: keys.into_iter().map(|(key, _)| key).collect(),
        })
    }

    /// Counts `guard`'s stream against `user`'s limit too, or says the limit is reached (the
    /// guard keeps only what it had). Separate from [`Self::acquire`] because a ticket names
    /// its user only once redeemed, and the per-IP limit is checked before that.
    fn add_user(&self, guard: &mut StreamGuard, user: UserId) -> Result<(), LimitReached> {
        let key = Key::User(user);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let count = open.entry(key.clone()).or_insert(0);
        if self.per_user > 0 && *count >= self.per_user {
            return Err(LimitReached {
                limit: self.per_user,
            });
        }
        *count += 1;
        guard.keys.push(key);
        Ok(())
    }

    fn release(&self, keys: &[Key]) {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        for key in keys {
            if let Some(count) = open.get_mut(key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.remove(key);
                }
            }
        }
    }
}

/// A stream's slot; dropped with the stream.
pub struct StreamGuard {
    limits: Arc<StreamLimits>,
    keys: Vec<Key>,
}

impl StreamGuard {
    /// Also counts this stream as one of `user`'s (their own stream, once they are known).
    pub fn add_user(&mut self, user: UserId) -> Result<(), LimitReached> {
        let limits = self.limits.clone();
        limits.add_user(self, user)
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        self.limits.release(&self.keys);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_counted_per_ip_and_user_and_given_back_on_drop() {
        let limits = StreamLimits::new(2, 1);
        let a = limits.acquire("1.1.1.1".into(), None).expect("first");
        let b = limits
            .acquire("1.1.1.1".into(), Some(UserId(7)))
            .expect("second");
        assert_eq!(
            limits.acquire("1.1.1.1".into(), None).err(),
            Some(LimitReached { limit: 2 })
        );
        assert_eq!(
            limits.acquire("2.2.2.2".into(), Some(UserId(7))).err(),
            Some(LimitReached { limit: 1 })
        );
        drop(b);
        assert!(limits.acquire("2.2.2.2".into(), Some(UserId(7))).is_ok());
        drop(a);
        // The per-user slot can be added once the user is known; refused, the IP slot stays
        // held by its guard until that is dropped.
        let held = limits
            .acquire("2.2.2.2".into(), Some(UserId(7)))
            .expect("one stream of 7");
        let mut later = limits.acquire("4.4.4.4".into(), None).expect("ip slot");
        assert_eq!(later.add_user(UserId(7)), Err(LimitReached { limit: 1 }));
        drop(held);
        assert_eq!(later.add_user(UserId(7)), Ok(()));
        assert_eq!(
            limits.acquire("5.5.5.5".into(), Some(UserId(7))).err(),
            Some(LimitReached { limit: 1 })
        );
        drop(later);
        assert!(limits.acquire("5.5.5.5".into(), Some(UserId(7))).is_ok());
        let unlimited = StreamLimits::new(0, 0);
        let guards: Vec<_> = (0..50)
            .map(|_| unlimited.acquire("3.3.3.3".into(), Some(UserId(1))))
            .collect();
        assert!(guards.iter().all(Result::is_ok));
    }
}
