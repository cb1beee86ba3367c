//! The polling schedule of unfinished jobs: when each is due, how many at once, and the
//! shared backoff while the manager cannot be reached.

use std::collections::HashMap;

use super::order::sort_dyn;

pub(crate) const FIRST_DELAY_MS: u64 = 1000;
pub(crate) const MAX_INTERVAL_MS: u64 = 10_000;
pub(crate) const MAX_IN_FLIGHT: usize = 4;
/// Connection backoff: 2 s, 4 s, 8 s, 16 s, then 30 s.
pub(crate) const BACKOFF_BASE_MS: u64 = 2000;
pub(crate) const BACKOFF_MAX_MS: u64 = 30_000;
/// Retry-After is honoured up to this.
pub(crate) const RETRY_AFTER_MAX_MS: u64 = 600_000;
/// A job whose word is unrecognised and whose key has not changed is polled once a minute from
/// this long after it was created…
pub(crate) const SLOW_AFTER_MS: u64 = 15 * 60_000;
pub(crate) const SLOW_INTERVAL_MS: u64 = 60_000;
/// …and no longer watched from this long after it was created.
pub(crate) const UNWATCHED_AFTER_MS: f64 = 24.0 * 3_600_000.0;

/// Whether a job created at `created_ms`, still unrecognised at `now_ms`, is past watching.
pub(crate) fn past_watching(created_ms: f64, now_ms: f64) -> bool {
    now_ms - created_ms >= UNWATCHED_AFTER_MS
}

/// How a poll of one job went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollOutcome {
    /// The job's state changed: poll again soon.
    Changed,
    /// No change: back off (1 s, 2 s, 4 s, 8 s, 10 s).
    Unchanged,
    /// The job ended: stop polling it.
    Ended,
    /// The manager does not know the job (404): stop polling it.
    NotFound,
    /// The job's word is unrecognised and its key has not changed: as `Changed` or `Unchanged`
    /// while the job is younger than [`SLOW_AFTER_MS`], then once every [`SLOW_INTERVAL_MS`].
    Unrecognised { changed: bool, age_ms: u64 },
    /// No usable answer: every job waits (connection backoff).
    Failed { retry_after_ms: Option<u64> },
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Tracked {
    next_due_ms: u64,
    interval_ms: u64,
}

/// The schedule. The caller polls what [`PollScheduler::due`] returns, reports each answer
/// with [`PollScheduler::complete`], and sleeps [`PollScheduler::next_wake_ms`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct PollScheduler {
    jobs: HashMap<String, Tracked>,
    /// Jobs in flight, with the failure count when they were sent (so that several requests
    /// failing together count as one failure).
    in_flight: HashMap<String, u32>,
    failures: u32,
    backoff_until_ms: u64,
}

fn backoff_ms(failures: u32) -> u64 {
    if failures == 0 {
        return 0;
    }
    let shift = (failures - 1).min(10);
    (BACKOFF_BASE_MS << shift).min(BACKOFF_MAX_MS)
}

impl PollScheduler {
    pub fn new() -> PollScheduler {
        PollScheduler::default()
    }

    /// Starts polling a job, first at `now + 1 s`. No-op if already tracked.
    pub(crate) fn track(&mut self, job_id: &str, now_ms: u64) {
        if !self.jobs.contains_key(job_id) {
            self.jobs.insert(
                job_id.to_string(),
                Tracked {
                    next_due_ms: now_ms + FIRST_DELAY_MS,
                    interval_ms: FIRST_DELAY_MS,
                },
            );
        }
    }

    /// Polls exactly the `running` jobs: tracks the new ones, stops polling the others (a
    /// request already in flight still counts until it completes). Costs what the running jobs
    /// cost, not the whole ledger.
    pub(crate) fn follow<'a>(&mut self, running: impl IntoIterator<Item = &'a str>, now_ms: u64) {
        let running: std::collections::HashSet<&str> = running.into_iter().collect();
        self.jobs.retain(|id, _| running.contains(id.as_str()));
        for id in running {
            self.track(id, now_ms);
        }
    }

    #[cfg(test)]
    fn is_tracked(&self, job_id: &str) -> bool {
        self.jobs.contains_key(job_id)
    }

    #[cfg(test)]
    fn tracked_count(&self) -> usize {
        self.jobs.len()
    }

    pub(crate) fn in_flight_count(&self) -> usize {
        self.in_flight.len()
    }

    fn cap(&self) -> usize {
        // After a failure, one request probes the connection before the others follow.
        if self.failures > 0 {
            1
        } else {
            MAX_IN_FLIGHT
        }
    }

    /// The jobs to poll now, earliest due first, marked in flight. `in_flight` is the caller's
    /// own count of requests under way; the larger of it and this scheduler's count is used.
    pub(crate) fn due(&mut self, now_ms: u64, in_flight: usize) -> Vec<String> {
        if now_ms < self.backoff_until_ms {
            return Vec::new();
        }
        let busy = in_flight.max(self.in_flight.len());
        let room = self.cap().saturating_sub(busy);
        if room == 0 {
            return Vec::new();
        }
        let mut ready: Vec<(u64, &String)> = self
            .jobs
            .iter()
            .filter(|(id, t)| t.next_due_ms <= now_ms && !self.in_flight.contains_key(*id))
            .map(|(id, t)| (t.next_due_ms, id))
            .collect();
        sort_dyn(&mut ready, &|a, b| a.cmp(b));
        let picked: Vec<String> = ready
            .into_iter()
            .take(room)
            .map(|(_, id)| id.clone())
            .collect();
        for id in &picked {
            self.in_flight.insert(id.clone(), self.failures);
        }
        picked
    }

    /// Reports the answer to a poll sent by [`PollScheduler::due`].
    pub(crate) fn complete(&mut self, job_id: &str, now_ms: u64, outcome: PollOutcome) {
        let sent_at_failures = self.in_flight.remove(job_id);
        match outcome {
            PollOutcome::Failed { retry_after_ms } => {
                // Requests sent before an already counted failure do not count again.
                if sent_at_failures.is_none_or(|f| f == self.failures) {
                    self.failures = self.failures.saturating_add(1);
                }
                let wait = backoff_ms(self.failures)
                    .max(retry_after_ms.unwrap_or(0).min(RETRY_AFTER_MAX_MS));
                self.backoff_until_ms = self.backoff_until_ms.max(now_ms + wait);
                if let Some(t) = self.jobs.get_mut(job_id) {
                    t.next_due_ms = t.next_due_ms.max(self.backoff_until_ms);
                }
            }
            ok => {
                self.failures = 0;
                self.backoff_until_ms = 0;
                match ok {
                    PollOutcome::Ended | PollOutcome::NotFound => {
                        self.jobs.remove(job_id);
                    }
                    PollOutcome::Unrecognised { age_ms, .. } if age_ms >= SLOW_AFTER_MS => {
                        if let Some(t) = self.jobs.get_mut(job_id) {
                            t.interval_ms = SLOW_INTERVAL_MS;
                            t.next_due_ms = now_ms + t.interval_ms;
                        }
                    }
                    PollOutcome::Changed | PollOutcome::Unrecognised { changed: true, .. } => {
                        if let Some(t) = self.jobs.get_mut(job_id) {
                            t.interval_ms = FIRST_DELAY_MS;
                            t.next_due_ms = now_ms + t.interval_ms;
                        }
                    }
                    _ => {
                        if let Some(t) = self.jobs.get_mut(job_id) {
                            t.interval_ms = (t.interval_ms * 2).min(MAX_INTERVAL_MS);
                            t.next_due_ms = now_ms + t.interval_ms;
                        }
                    }
                }
            }
        }
    }

    /// While the manager cannot be reached: ms until the next try (0 = trying now).
    pub(crate) fn connection_lost(&self, now_ms: u64) -> Option<u64> {
        (self.failures > 0).then(|| self.backoff_until_ms.saturating_sub(now_ms))
    }

    /// How long until something is due (0 = now); `None` when nothing is waiting.
    pub(crate) fn next_wake_ms(&self, now_ms: u64) -> Option<u64> {
        let next = self
            .jobs
            .iter()
            .filter(|(id, _)| !self.in_flight.contains_key(*id))
            .map(|(_, t)| t.next_due_ms)
            .min()?;
        Some(next.max(self.backoff_until_ms).saturating_sub(now_ms))
    }

    /// Everything due now (the tab became visible again); still capped by [`PollScheduler::due`].
    pub(crate) fn reset_due_now(&mut self, now_ms: u64) {
        for t in self.jobs.values_mut() {
            t.next_due_ms = t.next_due_ms.min(now_ms);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn following_tracks_the_running_and_forgets_the_others() {
        let mut s = PollScheduler::new();
        s.follow(["a", "b"], 0);
        s.follow(["b", "c"], 5_000);
        let mut due = s.due(u64::MAX / 2, 0);
        due.sort();
        assert_eq!(due, ["b", "c"]);
        s.follow([], 10_000);
        assert!(s.due(u64::MAX / 2, 0).is_empty());
    }

    fn ids(n: usize) -> Vec<String> {
        (0..n).map(|i| format!("job-{i:04}")).collect()
    }

    #[test]
    fn first_poll_after_one_second() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        assert_eq!(s.next_wake_ms(0), Some(1000));
        assert!(s.due(999, 0).is_empty());
        assert_eq!(s.due(1000, 0), vec!["a".to_string()]);
        assert_eq!(s.in_flight_count(), 1);
        assert!(
            s.due(1000, 0).is_empty(),
            "not returned twice while in flight"
        );
        // Tracking again is a no-op.
        s.track("a", 5000);
        assert_eq!(s.tracked_count(), 1);
    }

    #[test]
    fn unchanged_doubles_to_ten_seconds_and_changed_resets() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        let mut now = 1000;
        let mut gaps = Vec::new();
        for _ in 0..7 {
            assert_eq!(s.due(now, 0), vec!["a".to_string()]);
            s.complete("a", now, PollOutcome::Unchanged);
            let wait = s.next_wake_ms(now).unwrap();
            gaps.push(wait);
            now += wait;
        }
        assert_eq!(gaps, [2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000]);
        s.due(now, 0);
        s.complete("a", now, PollOutcome::Changed);
        assert_eq!(s.next_wake_ms(now), Some(1000));
    }

    #[test]
    fn nothing_tracked_means_no_wake() {
        let mut s = PollScheduler::new();
        assert_eq!(s.next_wake_ms(0), None);
        s.track("a", 0);
        s.due(1000, 0);
        assert_eq!(s.next_wake_ms(1000), None, "the only job is in flight");
    }

    #[test]
    fn cap_of_four_with_a_thousand_jobs() {
        let mut s = PollScheduler::new();
        for id in ids(1000) {
            s.track(&id, 0);
        }
        let mut now = 1000;
        let mut polled = std::collections::HashSet::new();
        for _ in 0..400 {
            let batch = s.due(now, 0);
            assert!(batch.len() <= MAX_IN_FLIGHT);
            assert!(s.in_flight_count() <= MAX_IN_FLIGHT);
            assert_eq!(s.due(now, 0), Vec::<String>::new(), "cap reached");
            for id in batch {
                s.complete(&id, now, PollOutcome::Unchanged);
                polled.insert(id);
            }
            now += 10;
        }
        assert_eq!(polled.len(), 1000, "every job gets its turn");
        assert_eq!(s.tracked_count(), 1000);
    }

    #[test]
    fn callers_in_flight_count_is_respected() {
        let mut s = PollScheduler::new();
        for id in ids(10) {
            s.track(&id, 0);
        }
        assert_eq!(s.due(1000, 3).len(), 1);
        assert_eq!(s.due(1000, 0).len(), 3);
        assert!(s.due(1000, 0).is_empty());
        assert!(s.due(1000, 9).is_empty());
    }

    #[test]
    fn earliest_due_first() {
        let mut s = PollScheduler::new();
        s.track("late", 500);
        s.track("early", 0);
        assert_eq!(s.due(2000, 3), vec!["early".to_string()]);
    }

    #[test]
    fn backoff_sequence_and_recovery() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        let mut now = 1000;
        let mut waits = Vec::new();
        for _ in 0..7 {
            assert_eq!(s.due(now, 0), vec!["a".to_string()]);
            s.complete(
                "a",
                now,
                PollOutcome::Failed {
                    retry_after_ms: None,
                },
            );
            let wait = s.connection_lost(now).unwrap();
            assert_eq!(s.next_wake_ms(now), Some(wait));
            assert!(s.due(now + wait - 1, 0).is_empty());
            waits.push(wait);
            now += wait;
        }
        assert_eq!(waits, [2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
        assert_eq!(s.tracked_count(), 1, "never dropped on failure");
        assert_eq!(s.due(now, 0), vec!["a".to_string()]);
        s.complete("a", now, PollOutcome::Unchanged);
        assert_eq!(s.connection_lost(now), None);
    }

    #[test]
    fn simultaneous_failures_count_once_and_nothing_is_dropped() {
        let mut s = PollScheduler::new();
        for id in ids(20) {
            s.track(&id, 0);
        }
        let batch = s.due(1000, 0);
        assert_eq!(batch.len(), 4);
        for id in &batch {
            s.complete(
                id,
                1000,
                PollOutcome::Failed {
                    retry_after_ms: None,
                },
            );
        }
        assert_eq!(s.connection_lost(1000), Some(2000));
        // After the wait, a single probe goes first.
        assert!(s.due(2999, 0).is_empty());
        let probe = s.due(3000, 0);
        assert_eq!(probe.len(), 1);
        assert!(s.due(3000, 0).is_empty());
        s.complete(&probe[0], 3000, PollOutcome::Changed);
        assert_eq!(s.connection_lost(3000), None);
        assert_eq!(s.due(3000, 0).len(), 4);
        assert_eq!(s.tracked_count(), 20);
    }

    #[test]
    fn retry_after_is_honoured_when_larger() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        s.due(1000, 0);
        s.complete(
            "a",
            1000,
            PollOutcome::Failed {
                retry_after_ms: Some(7000),
            },
        );
        assert_eq!(s.connection_lost(1000), Some(7000));
        assert!(s.due(7999, 0).is_empty());
        assert_eq!(s.due(8000, 0).len(), 1);
        s.complete(
            "a",
            8000,
            PollOutcome::Failed {
                retry_after_ms: Some(500),
            },
        );
        assert_eq!(
            s.connection_lost(8000),
            Some(4000),
            "backoff larger than Retry-After"
        );
        s.due(12_000, 0);
        s.complete(
            "a",
            12_000,
            PollOutcome::Failed {
                retry_after_ms: Some(u64::MAX),
            },
        );
        assert_eq!(s.connection_lost(12_000), Some(RETRY_AFTER_MAX_MS));
    }

    #[test]
    fn long_unchanged_job_is_polled_rarely() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        let mut polls = 0;
        let mut now = 0;
        while now <= 60_000 {
            for id in s.due(now, 0) {
                polls += 1;
                s.complete(&id, now + 50, PollOutcome::Unchanged);
            }
            now += 100;
        }
        assert!(polls < 25, "{polls}");
        assert!(polls >= 6, "{polls}");
    }

    /// A fake clock over a day and a half: a job whose word stays unrecognised and whose key
    /// never changes is polled as a young job for 15 minutes, then once a minute, and not at
    /// all once past watching (the poller then reports it ended).
    #[test]
    fn unrecognised_job_slows_after_15_minutes_and_stops_after_a_day() {
        let mut s = PollScheduler::new();
        let created = 0u64;
        s.track("a", created);
        let mut polls: Vec<u64> = Vec::new();
        let mut now = 0;
        while now <= 36 * 3_600_000 {
            for id in s.due(now, 0) {
                polls.push(now);
                let outcome = if past_watching(created as f64, now as f64) {
                    PollOutcome::Ended
                } else {
                    PollOutcome::Unrecognised {
                        changed: polls.len() == 1,
                        age_ms: now - created,
                    }
                };
                s.complete(&id, now, outcome);
            }
            now = match s.next_wake_ms(now) {
                Some(w) => now + w.max(1),
                None => break,
            };
        }
        let young: Vec<u64> = polls
            .windows(2)
            .filter(|w| w[1] <= SLOW_AFTER_MS)
            .map(|w| w[1] - w[0])
            .collect();
        assert_eq!(&young[..5], [1000, 2000, 4000, 8000, 10_000]);
        assert!(young.iter().all(|g| *g <= MAX_INTERVAL_MS), "{young:?}");
        let old: Vec<u64> = polls
            .windows(2)
            .filter(|w| w[0] >= SLOW_AFTER_MS)
            .map(|w| w[1] - w[0])
            .collect();
        assert!(
            !old.is_empty() && old.iter().all(|g| *g == SLOW_INTERVAL_MS),
            "{old:?}"
        );
        let last = *polls.last().unwrap();
        assert!(
            last as f64 >= UNWATCHED_AFTER_MS
                && (last as f64) < UNWATCHED_AFTER_MS + SLOW_INTERVAL_MS as f64,
            "{last}"
        );
        assert!(!s.is_tracked("a"));
        assert_eq!(s.next_wake_ms(now), None);
        // About 90 polls in the first quarter hour, then one a minute: ~1,500 in a day, not 8,600.
        assert!(polls.len() < 1_600, "{}", polls.len());
        assert!(polls.len() > 1_400, "{}", polls.len());
    }

    #[test]
    fn an_old_unrecognised_job_found_on_reload_is_polled_once_a_minute() {
        let mut s = PollScheduler::new();
        let now = 3_600_000;
        s.track("a", now);
        assert_eq!(s.due(now + 1000, 0), vec!["a".to_string()]);
        s.complete(
            "a",
            now + 1000,
            PollOutcome::Unrecognised {
                changed: true,
                age_ms: 3_601_000,
            },
        );
        assert_eq!(s.next_wake_ms(now + 1000), Some(SLOW_INTERVAL_MS));
        // A young one whose unrecognised word changed is polled again soon; unchanged, it backs off.
        s.track("b", 0);
        s.due(1000, 0);
        s.complete(
            "b",
            1000,
            PollOutcome::Unrecognised {
                changed: true,
                age_ms: 1000,
            },
        );
        s.due(2000, 0);
        s.complete(
            "b",
            2000,
            PollOutcome::Unrecognised {
                changed: false,
                age_ms: 2000,
            },
        );
        assert!(s.due(3999, 0).is_empty());
        assert_eq!(s.due(4000, 0), vec!["b".to_string()]);
        assert!(!past_watching(0.0, UNWATCHED_AFTER_MS - 1.0));
        assert!(past_watching(0.0, UNWATCHED_AFTER_MS));
    }

    #[test]
    fn ended_and_not_found_are_never_polled_again() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        s.track("b", 0);
        let batch = s.due(1000, 0);
        assert_eq!(batch.len(), 2);
        s.complete("a", 1000, PollOutcome::Ended);
        s.complete("b", 1000, PollOutcome::NotFound);
        for t in (1000..100_000).step_by(500) {
            assert!(s.due(t, 0).is_empty());
        }
        s.reset_due_now(200_000);
        assert!(s.due(200_000, 0).is_empty());
        assert_eq!(s.next_wake_ms(0), None);
    }

    #[test]
    fn stopped_while_in_flight() {
        let mut s = PollScheduler::new();
        s.track("a", 0);
        s.due(1000, 0);
        s.follow([], 0);
        assert_eq!(s.in_flight_count(), 1);
        s.complete("a", 1100, PollOutcome::Unchanged);
        assert_eq!(s.in_flight_count(), 0);
        assert!(!s.is_tracked("a"));
        assert!(s.due(100_000, 0).is_empty());
    }

    #[test]
    fn visible_again_makes_all_due_but_capped() {
        let mut s = PollScheduler::new();
        for id in ids(10) {
            s.track(&id, 0);
        }
        for id in s.due(1000, 0) {
            s.complete(&id, 1000, PollOutcome::Unchanged);
        }
        s.reset_due_now(1200);
        assert_eq!(s.next_wake_ms(1200), Some(0));
        assert_eq!(s.due(1200, 0).len(), MAX_IN_FLIGHT);
    }
}
