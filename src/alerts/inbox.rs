//! A bounded queue between the flows and the alert task: pushing never waits; when full the
//! oldest notice is dropped and counted (`jlbridge_alerts_dropped_total`).
use std::collections::VecDeque;
use std::sync::Mutex;
use tokio::sync::Notify;

pub struct Inbox<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    ready: Notify,
}

impl<T> Inbox<T> {
    pub fn new(capacity: usize) -> Self {
        Inbox { items: Mutex::new(VecDeque::new()), capacity: capacity.max(1), ready: Notify::new() }
    }

    /// Adds an item; returns `true` when an older one had to be dropped to make room.
    pub fn push(&self, item: T) -> bool {
        let dropped = {
            let mut q = self.items.lock().unwrap_or_else(|p| p.into_inner());
            let full = q.len() >= self.capacity;
            if full {
                q.pop_front();
            }
            q.push_back(item);
            full
        };
        if dropped {
            metrics::counter!("jlbridge_alerts_dropped_total").increment(1);
        }
        self.ready.notify_one();
        dropped
    }

    /// Everything queued so far, oldest first.
    pub fn drain(&self) -> Vec<T> {
        self.items.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()
    }

    /// Resolves once something was pushed since the last wait (a push is never missed).
    pub async fn ready(&self) {
        self.ready.notified().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_inbox_drops_the_oldest() {
        let inbox = Inbox::new(3);
        assert!(!inbox.push(1));
        assert!(!inbox.push(2));
        assert!(!inbox.push(3));
        assert!(inbox.push(4));
        assert_eq!(inbox.drain(), vec![2, 3, 4]);
        assert!(inbox.drain().is_empty());
    }
}
