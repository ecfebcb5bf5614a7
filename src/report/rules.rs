//! The classification rules of the change pages, compiled once and shared by the pages (and by
//! `serve`'s requests), then
//! dropped when unused for [`KEEP_UNUSED`]: compiling them takes milliseconds, holding them a
//! megabyte, and an idle daemon should hold nothing it does not need.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::classify::{RuleSet, RuleSpec};
use crate::config::Watchlist;

/// How long compiled rules are kept without a request that needs them.
pub const KEEP_UNUSED: Duration = Duration::from_secs(300);

/// One language's rules, as compiled from the watchlist's own rules.
struct Entry {
    language: String,
    user: Vec<RuleSpec>,
    rules: Arc<RuleSet>,
    used: Instant,
}

/// The cache.
#[derive(Default)]
pub struct RuleCache(Mutex<Vec<Entry>>);

impl RuleCache {
    /// `wl`'s rules for `language`: cached, or compiled now (outside the lock).
    pub fn get(&self, wl: &Watchlist, language: &str) -> Arc<RuleSet> {
        if let Ok(mut entries) = self.0.lock()
            && let Some(e) = entries
                .iter_mut()
                .find(|e| e.language == language && e.user == wl.user_rules)
        {
            e.used = Instant::now();
            return Arc::clone(&e.rules);
        }
        let rules = Arc::new(wl.rule_set_for(language));
        if let Ok(mut entries) = self.0.lock() {
            // the rules of a watchlist replaced since (SIGHUP) go
            entries.retain(|e| e.language != language);
            entries.push(Entry {
                language: language.to_string(),
                user: wl.user_rules.clone(),
                rules: Arc::clone(&rules),
                used: Instant::now(),
            });
        }
        rules
    }

    /// Drops the rules unused for `keep`; returns how many are left.
    pub fn sweep(&self, keep: Duration) -> usize {
        self.0.lock().map_or(0, |mut entries| {
            entries.retain(|e| e.used.elapsed() < keep);
            entries.len()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_shared_until_unused_or_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.toml");
        std::fs::write(
            &path,
            "[[target]]\nid = \"a\"\nurl = \"https://example.com/\"\nselect = [\"main\"]\n",
        )
        .unwrap();
        let wl = crate::config::load(&path).unwrap();
        let cache = RuleCache::default();
        let a = cache.get(&wl, "en");
        assert!(Arc::ptr_eq(&a, &cache.get(&wl, "en")));
        assert!(!Arc::ptr_eq(&a, &cache.get(&wl, "de")));
        assert_eq!(cache.sweep(KEEP_UNUSED), 2);
        // another watchlist's own rules are compiled anew
        std::fs::write(&path, "[[target]]\nid = \"a\"\nurl = \"https://example.com/\"\nselect = [\"main\"]\n[[rule]]\nid = \"x\"\nseverity = \"low\"\nterms = [\"zebra\"]\n").unwrap();
        let other = crate::config::load(&path).unwrap();
        assert!(!Arc::ptr_eq(&a, &cache.get(&other, "en")));
        assert_eq!(cache.sweep(Duration::ZERO), 0);
    }
}
