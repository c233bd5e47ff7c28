//! The one retry policy: how errors are classified at every boundary, and when a failed job
//! runs again. Clients never loop on their own; they classify, and the job queue retries.
use std::time::Duration;

/// How a failed operation should be treated by the job queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transience {
    /// Try again later; `retry_after` (e.g. from a `429` or `Retry-After`) overrides the schedule.
    Retryable { retry_after: Option<Duration> },
    /// Trying again will not help (a 4xx refusal, bad data): dead-letter at once.
    Permanent,
}

/// Implemented by every boundary's error type (Edge, Magento, SFTP, database …).
pub trait Classify {
    fn transience(&self) -> Transience;
}

/// Retry timing as data: the delay before attempt n+1 is `schedule[n-1]`, with ± `jitter`.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    pub schedule: Vec<Duration>,
    /// Fraction of the delay applied as random jitter either way (0.2 = ±20 %).
    pub jitter: f64,
    /// Upper bound for a `Retry-After` override, so a hostile value cannot park a job for days.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            schedule: [1, 5, 30, 120, 600, 1800, 3600, 3600]
                .into_iter()
                .map(Duration::from_secs)
                .collect(),
            jitter: 0.2,
            max_retry_after: Duration::from_secs(3600),
        }
    }
}

impl RetryPolicy {
    /// Total attempts allowed, the first included.
    pub fn max_attempts(&self) -> u32 {
        self.schedule.len() as u32 + 1
    }

    /// Delay before the next attempt after `attempts` failed ones, or `None` when exhausted.
    /// `unit_random` is a number in [0, 1) supplied by the caller (keeps this pure).
    pub fn next_delay(&self, attempts: u32, retry_after: Option<Duration>, unit_random: f64) -> Option<Duration> {
        let idx = attempts.checked_sub(1)? as usize;
        let base = *self.schedule.get(idx)?;
        if let Some(wait) = retry_after {
            return Some(wait.min(self.max_retry_after));
        }
        let spread = self.jitter.clamp(0.0, 1.0) * (2.0 * unit_random.clamp(0.0, 1.0) - 1.0);
        Some(base.mul_f64((1.0 + spread).max(0.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            schedule: vec![Duration::from_secs(10), Duration::from_secs(60)],
            jitter: 0.2,
            max_retry_after: Duration::from_secs(300),
        }
    }

    #[test]
    fn follows_schedule_within_jitter() {
        let p = policy();
        assert_eq!(p.next_delay(1, None, 0.5), Some(Duration::from_secs(10)));
        assert_eq!(p.next_delay(1, None, 0.0), Some(Duration::from_secs(8)));
        assert_eq!(p.next_delay(2, None, 1.0), Some(Duration::from_secs(72)));
        assert_eq!(p.next_delay(3, None, 0.5), None, "exhausted after the schedule");
        assert_eq!(p.max_attempts(), 3);
    }

    #[test]
    fn retry_after_overrides_and_is_capped() {
        let p = policy();
        assert_eq!(p.next_delay(1, Some(Duration::from_secs(42)), 0.9), Some(Duration::from_secs(42)));
        assert_eq!(p.next_delay(1, Some(Duration::from_secs(9999)), 0.9), Some(Duration::from_secs(300)));
        assert_eq!(p.next_delay(2, Some(Duration::from_secs(1)), 0.9), Some(Duration::from_secs(1)));
    }
}
