//! Container requests on their way to YARN, a bounded number at a time.
//!
//! Each request the services decide is one YARN request with its own priority, which the shim
//! holds (`AMRMClient`'s tables) and the ResourceManager's scheduler walks on every node
//! heartbeat. A scale to thousands would put them all there at once; the window keeps at most
//! `limit` outstanding and queues the rest here (a few dozen bytes each), sending more as
//! allocations and withdrawals make room. YARN cannot allocate more than the cluster has free
//! anyway, so a window of hundreds does not slow a large scale on any cluster that could
//! satisfy it quickly.

use std::collections::{HashSet, VecDeque};

use crate::runtime::ContainerRequest;

/// What the edge sends the shim for a withdrawn request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// The shim has it: remove it there.
    RemoveFromYarn,
    /// It never left the queue (or was never known): nothing to send.
    Dropped,
}

/// Outstanding container requests: at most `limit` sent, the rest queued in request order.
///
/// A queued request that is withdrawn leaves only its priority's set: the queue drops it when
/// it reaches the front, so a scale-down of many queued requests costs one step each, not a
/// walk of the queue each.
#[derive(Debug, Clone)]
pub struct RequestWindow {
    limit: usize,
    sent: HashSet<i32>,
    queued: VecDeque<ContainerRequest>,
    /// The priorities of `queued` that are not withdrawn.
    waiting: HashSet<i32>,
}

impl RequestWindow {
    /// A window of `limit` outstanding requests (at least 1).
    pub fn new(limit: usize) -> Self {
        RequestWindow {
            limit: limit.max(1),
            sent: HashSet::new(),
            queued: VecDeque::new(),
            waiting: HashSet::new(),
        }
    }

    /// A new request: returned when it may be sent now, else queued.
    pub fn request(&mut self, request: ContainerRequest) -> Option<ContainerRequest> {
        if self.sent.len() < self.limit && self.waiting.is_empty() {
            self.sent.insert(request.priority);
            Some(request)
        } else {
            self.waiting.insert(request.priority);
            self.queued.push_back(request);
            None
        }
    }

    /// A request allocated, withdrawn or failed: whether the shim must be told to remove it.
    /// Call [`RequestWindow::refill`] afterwards for what may be sent in its place.
    pub fn withdraw(&mut self, priority: i32) -> Withdrawal {
        if self.sent.remove(&priority) {
            return Withdrawal::RemoveFromYarn;
        }
        if self.waiting.remove(&priority) && self.waiting.is_empty() {
            self.queued.clear();
        }
        Withdrawal::Dropped
    }

    /// Queued requests that now fit in the window, oldest first.
    pub fn refill(&mut self) -> Vec<ContainerRequest> {
        let mut room = self.limit.saturating_sub(self.sent.len());
        let mut batch = Vec::new();
        while room > 0
            && let Some(request) = self.queued.pop_front()
        {
            if self.waiting.remove(&request.priority) {
                self.sent.insert(request.priority);
                batch.push(request);
                room -= 1;
            }
        }
        batch
    }

    /// Requests sent to the shim and not yet allocated or withdrawn.
    pub fn sent(&self) -> usize {
        self.sent.len()
    }

    /// Requests waiting for room.
    pub fn queued(&self) -> usize {
        self.waiting.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(priority: i32) -> ContainerRequest {
        ContainerRequest {
            priority,
            memory_mb: 64,
            vcores: 1,
            gpus: 0,
            fpgas: 0,
            nodes: Vec::new(),
            racks: Vec::new(),
            relax_locality: true,
            node_label: String::new(),
        }
    }

    #[test]
    fn a_large_scale_reaches_yarn_a_window_at_a_time_in_request_order() {
        let mut window = RequestWindow::new(3);
        let sent: Vec<i32> = (1..=10)
            .filter_map(|p| window.request(request(p)))
            .map(|r| r.priority)
            .collect();
        assert_eq!(sent, [1, 2, 3]);
        assert_eq!((window.sent(), window.queued()), (3, 7));

        // An allocation (the services then withdraw its request) makes room for one more.
        assert_eq!(window.withdraw(2), Withdrawal::RemoveFromYarn);
        let next: Vec<i32> = window.refill().iter().map(|r| r.priority).collect();
        assert_eq!(next, [4]);
        assert!(window.refill().is_empty(), "the window is full again");
    }

    #[test]
    fn a_queued_request_withdrawn_never_reaches_yarn() {
        let mut window = RequestWindow::new(1);
        assert!(window.request(request(1)).is_some());
        assert!(window.request(request(2)).is_none());
        assert!(window.request(request(3)).is_none());
        // Scaled down before it was sent: nothing to tell the shim.
        assert_eq!(window.withdraw(2), Withdrawal::Dropped);
        assert_eq!(window.withdraw(1), Withdrawal::RemoveFromYarn);
        let next: Vec<i32> = window.refill().iter().map(|r| r.priority).collect();
        assert_eq!(next, [3]);
        assert_eq!(window.withdraw(99), Withdrawal::Dropped);
        assert_eq!((window.sent(), window.queued()), (1, 0));
    }

    #[test]
    fn withdrawing_a_large_queue_leaves_nothing_behind() {
        let mut window = RequestWindow::new(2);
        for p in 1..=100_000 {
            window.request(request(p));
        }
        // A scale-down withdraws them all, queued ones included (each in constant time).
        for p in (1..=100_000).rev() {
            window.withdraw(p);
        }
        assert_eq!((window.sent(), window.queued()), (0, 0));
        assert!(window.refill().is_empty());
        assert!(
            window.request(request(100_001)).is_some(),
            "nothing queued ahead"
        );
        assert!(window.request(request(100_002)).is_some());
        // Withdrawn requests in the middle of the queue are skipped, not sent.
        for p in 100_003..=100_006 {
            assert!(window.request(request(p)).is_none());
        }
        assert_eq!(window.withdraw(100_004), Withdrawal::Dropped);
        assert_eq!(window.withdraw(100_001), Withdrawal::RemoveFromYarn);
        let next: Vec<i32> = window.refill().iter().map(|r| r.priority).collect();
        assert_eq!(next, [100_003]);
        window.withdraw(100_002);
        let next: Vec<i32> = window.refill().iter().map(|r| r.priority).collect();
        assert_eq!(next, [100_005]);
        assert_eq!(window.queued(), 1);
    }

    #[test]
    fn new_requests_wait_behind_queued_ones() {
        let mut window = RequestWindow::new(2);
        for p in 1..=3 {
            window.request(request(p));
        }
        window.withdraw(1);
        // Room for one, but 3 was asked first: 4 queues behind it.
        assert!(window.request(request(4)).is_none());
        let next: Vec<i32> = window.refill().iter().map(|r| r.priority).collect();
        assert_eq!(next, [3]);
    }
}
