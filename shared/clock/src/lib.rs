//! The one clock of the OMS.
//!
//! Every decision about "now" — order timestamps, coupon and offer windows, idempotency and
//! event-id expiry (the store's TTL view included), webhook timestamp windows, token `exp`/`nbf`
//! — asks the same [`Clock`], injected once where the components are composed. A test that pins
//! the clock therefore pins all of it: nothing compares a pinned date with the wall clock.

use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, Utc};

/// What time it is. Implementations must be cheap: the store asks once per call.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;

    /// `now` in unix seconds (the unit of the store's `expires_at` attribute).
    fn now_unix(&self) -> i64 {
        self.now().timestamp()
    }
}

/// The machine's clock (production and `oms serve`).
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system clock, shared.
pub fn system() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

/// A clock that stands still until moved: tests pin "now" with it and move it forward to let
/// windows, holds and TTLs lapse without waiting.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        ManualClock(Mutex::new(at))
    }

    /// Pins the clock at `at` (may go backwards: tests of stale input need that).
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The machine's clock moved forward by an adjustable offset: end-to-end tests run on real time
/// (tokens, webhook signatures) and jump ahead to let holds and windows lapse without waiting.
#[derive(Debug, Default)]
pub struct ShiftedClock(Mutex<Duration>);

impl ShiftedClock {
    /// Moves the clock forward by `by` (on top of earlier shifts).
    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) += by;
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn a_manual_clock_stands_still_until_moved() {
        let clock = ManualClock::new(at("2026-11-25T10:00:00Z"));
        assert_eq!(clock.now(), at("2026-11-25T10:00:00Z"));
        assert_eq!(clock.now(), at("2026-11-25T10:00:00Z"));
        clock.advance(Duration::minutes(31));
        assert_eq!(clock.now(), at("2026-11-25T10:31:00Z"));
        clock.set(at("2020-01-01T00:00:00Z"));
        assert_eq!(clock.now_unix(), 1_577_836_800);
    }

    #[test]
    fn a_shared_clock_is_the_same_clock() {
        let clock = Arc::new(ManualClock::new(at("2026-11-25T10:00:00Z")));
        let shared: Arc<dyn Clock> = clock.clone();
        clock.advance(Duration::seconds(5));
        assert_eq!(shared.now(), at("2026-11-25T10:00:05Z"));
    }
}
