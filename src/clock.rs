//! The clock: the one "now" that checks, the daemon's plan, the outbox's backoff, the digest
//! schedule and incident records read.
//!
//! It is the system clock, moved by `POLICYWATCH_CLOCK_OFFSET` (a duration such as `"2h"` or
//! `"-30m"`, read once when the process starts). That is how the tests move time: they run the
//! real binary "an hour later" to see a backoff run out or a digest come due, without sleeping
//! and without editing the database. Time inside a process still flows: the offset is constant.

use std::sync::LazyLock;

use chrono::{DateTime, TimeDelta, Utc};

/// The variable that moves the clock.
pub const OFFSET_VAR: &str = "POLICYWATCH_CLOCK_OFFSET";

static OFFSET: LazyLock<Result<TimeDelta, String>> = LazyLock::new(|| {
    std::env::var(OFFSET_VAR)
        .ok()
        .map_or(Ok(TimeDelta::zero()), |v| parse_offset(&v))
});

/// Now, as policywatch sees it.
pub fn now() -> DateTime<Utc> {
    Utc::now()
        + OFFSET
            .as_ref()
            .copied()
            .unwrap_or_else(|_| TimeDelta::zero())
}

/// Whether the clock's setting is usable: an unreadable offset is an error at start (the
/// binary refuses to run rather than run at the wrong time).
pub fn check() -> Result<(), String> {
    OFFSET.as_ref().map(drop).map_err(Clone::clone)
}

/// `"2h"`, `"90s"`, `"-30m"`: a humantime duration, optionally negative.
fn parse_offset(text: &str) -> Result<TimeDelta, String> {
    let text = text.trim();
    let (sign, magnitude) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text.strip_prefix('+').unwrap_or(text)),
    };
    let bad = |e: String| format!("{OFFSET_VAR}={text:?}: {e}: write it like \"2h\" or \"-30m\"");
    let d = humantime::parse_duration(magnitude).map_err(|e| bad(e.to_string()))?;
    let d = TimeDelta::from_std(d).map_err(|e| bad(e.to_string()))?;
    Ok(d * sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_read_like_durations_either_way() {
        assert_eq!(parse_offset("2h").unwrap(), TimeDelta::hours(2));
        assert_eq!(parse_offset("+90s").unwrap(), TimeDelta::seconds(90));
        assert_eq!(parse_offset("-30m").unwrap(), TimeDelta::minutes(-30));
        assert!(parse_offset("soon").unwrap_err().contains(OFFSET_VAR));
    }
}
