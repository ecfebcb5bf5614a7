//! The plan: when each target is checked next. Pure; the daemon feeds it the time.
//!
//! Each target's next check is its schedule's next tick after *now*, plus a random jitter, so
//! ticks missed while the machine slept or a check ran long are skipped, never replayed. A target
//! whose check is still running is not started again; its tick is skipped.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::TargetId;
use crate::schedule::Schedule;

/// The next tick after `after`, delayed by `jitter × unit` (`unit` in `[0, 1)`).
pub fn jittered(
    schedule: &Schedule,
    after: DateTime<Utc>,
    jitter: Duration,
    unit: f64,
) -> Option<DateTime<Utc>> {
    let tick = schedule.next_after(after)?;
    let extra = jitter.mul_f64(unit.clamp(0.0, 1.0));
    Some(tick + chrono::Duration::from_std(extra).unwrap_or_default())
}

#[derive(Debug, Clone)]
struct Entry {
    schedule: Schedule,
    next: Option<DateTime<Utc>>,
    running: bool,
}

/// The schedule of every target.
#[derive(Debug, Default)]
pub struct Plan {
    entries: HashMap<TargetId, Entry>,
    jitter: Duration,
}

impl Plan {
    /// Plans `targets` (id and schedule) from `now`.
    pub fn new(
        targets: &[(TargetId, Schedule)],
        jitter: Duration,
        now: DateTime<Utc>,
        rand: &mut dyn FnMut() -> f64,
    ) -> Self {
        let mut plan = Self {
            entries: HashMap::new(),
            jitter,
        };
        plan.reload(targets, jitter, now, rand);
        plan
    }

    /// Takes a new set of targets: unchanged ones keep their next tick and running state, new or
    /// rescheduled ones are planned from `now`, removed ones are dropped.
    pub fn reload(
        &mut self,
        targets: &[(TargetId, Schedule)],
        jitter: Duration,
        now: DateTime<Utc>,
        rand: &mut dyn FnMut() -> f64,
    ) {
        self.jitter = jitter;
        let mut entries = HashMap::new();
        for (id, schedule) in targets {
            let entry = match self.entries.remove(id) {
                Some(e) if e.schedule == *schedule => e,
                old => Entry {
                    schedule: schedule.clone(),
                    next: jittered(schedule, now, jitter, rand()),
                    running: old.is_some_and(|e| e.running),
                },
            };
            entries.insert(id.clone(), entry);
        }
        self.entries = entries;
    }

    /// The targets due at `now`, marked running, each planned again from `now`. A target still
    /// running is skipped (and planned again too), so ticks never pile up.
    pub fn due(&mut self, now: DateTime<Utc>, rand: &mut dyn FnMut() -> f64) -> Vec<TargetId> {
        let mut due = Vec::new();
        for (id, e) in &mut self.entries {
            if e.next.is_some_and(|n| n <= now) {
                e.next = jittered(&e.schedule, now, self.jitter, rand());
                if !e.running {
                    e.running = true;
                    due.push(id.clone());
                }
            }
        }
        due.sort();
        due
    }

    /// Marks a target's check finished.
    pub fn finished(&mut self, id: &TargetId) {
        if let Some(e) = self.entries.get_mut(id) {
            e.running = false;
        }
    }

    /// Whether a target's check is running.
    #[cfg(test)]
    pub fn is_running(&self, id: &TargetId) -> bool {
        self.entries.get(id).is_some_and(|e| e.running)
    }

    /// The earliest next check.
    pub fn next_wake(&self) -> Option<DateTime<Utc>> {
        self.entries.values().filter_map(|e| e.next).min()
    }

    /// A target's next check.
    #[cfg(test)]
    pub fn next_of(&self, id: &TargetId) -> Option<DateTime<Utc>> {
        self.entries.get(id).and_then(|e| e.next)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn id(s: &str) -> TargetId {
        TargetId::parse(s).unwrap()
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 29, h, m, s).unwrap()
    }

    #[test]
    fn jitter_stays_within_its_bound() {
        let s = Schedule::parse("0 * * * *").unwrap();
        let j = Duration::from_secs(60);
        assert_eq!(jittered(&s, at(10, 0, 0), j, 0.0), Some(at(11, 0, 0)));
        let late = jittered(&s, at(10, 0, 0), j, 0.999).unwrap();
        assert!(late >= at(11, 0, 59) && late < at(11, 1, 0), "{late}");
    }

    #[test]
    fn missed_ticks_are_skipped_not_replayed() {
        let targets = vec![(id("a"), Schedule::parse("*/10 * * * *").unwrap())];
        let mut zero = || 0.0;
        let mut plan = Plan::new(&targets, Duration::ZERO, at(10, 0, 0), &mut zero);
        assert_eq!(plan.next_wake(), Some(at(10, 10, 0)));
        // the machine slept through five ticks
        assert_eq!(plan.due(at(11, 3, 0), &mut zero), vec![id("a")]);
        assert_eq!(plan.next_of(&id("a")), Some(at(11, 10, 0)));
        plan.finished(&id("a"));
        assert!(plan.due(at(11, 4, 0), &mut zero).is_empty());
    }

    #[test]
    fn a_running_target_is_never_started_twice() {
        let targets = vec![(id("a"), Schedule::parse("* * * * * *").unwrap())];
        let mut zero = || 0.0;
        let mut plan = Plan::new(&targets, Duration::ZERO, at(10, 0, 0), &mut zero);
        assert_eq!(plan.due(at(10, 0, 1), &mut zero), vec![id("a")]);
        assert!(
            plan.due(at(10, 0, 2), &mut zero).is_empty(),
            "still running"
        );
        assert!(plan.is_running(&id("a")));
        plan.finished(&id("a"));
        assert_eq!(plan.due(at(10, 0, 3), &mut zero), vec![id("a")]);
    }

    #[test]
    fn reload_keeps_unchanged_targets_and_plans_new_ones() {
        let a = (id("a"), Schedule::parse("0 8 * * *").unwrap());
        let mut zero = || 0.0;
        let mut plan = Plan::new(
            std::slice::from_ref(&a),
            Duration::ZERO,
            at(7, 0, 0),
            &mut zero,
        );
        plan.due(at(8, 0, 0), &mut zero);
        let b = (id("b"), Schedule::parse("30 9 * * *").unwrap());
        plan.reload(&[a.clone(), b], Duration::ZERO, at(8, 0, 5), &mut zero);
        assert!(
            plan.is_running(&id("a")),
            "a reload does not forget a running check"
        );
        assert_eq!(plan.next_of(&id("b")), Some(at(9, 30, 0)));
        plan.reload(&[a], Duration::ZERO, at(8, 0, 6), &mut zero);
        assert_eq!(plan.next_of(&id("b")), None);
    }
}
