//! Cron schedules as users write them.
//!
//! Users write standard 5-field crontab (`min hour dom month dow`). The `cron` crate wants 6 or 7
//! fields with seconds first and numbers weekdays 1 = Sunday … 7 = Saturday, so a crontab `1-5`
//! would silently mean Sunday–Thursday there. [`Schedule::parse`] translates the crontab form
//! (seconds field prepended, numeric weekdays rewritten as names) and passes the cron crate's own
//! 6/7-field form and `@daily`-style macros through unchanged.
//!
//! Pure: no clock is read here; callers pass the instant to count from.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

/// A validated schedule: the text the user wrote and the cron expression it means.
#[derive(Clone)]
pub struct Schedule {
    source: String,
    inner: cron::Schedule,
}

impl fmt::Debug for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Schedule({:?})", self.source)
    }
}

impl PartialEq for Schedule {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

const FIELD_NAMES: [&str; 5] = [
    "minute (0-59)",
    "hour (0-23)",
    "day of month (1-31)",
    "month (1-12)",
    "day of week (0-7)",
];
const DAY_NAMES: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// How far ahead a schedule must have its next run to be accepted.
const HORIZON_DAYS: i64 = 9 * 365;

impl Schedule {
    /// Parses a 5-field crontab line, a 6/7-field cron-crate line or a `@macro`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let fields: Vec<&str> = trimmed.split_whitespace().collect();
        let expr = if trimmed.starts_with('@') {
            trimmed.to_string()
        } else {
            match fields.len() {
                5 => {
                    let dow = crontab_weekdays(fields[4])?;
                    format!(
                        "0 {} {} {} {} {}",
                        fields[0], fields[1], fields[2], fields[3], dow
                    )
                }
                6 | 7 => fields.join(" "),
                n => {
                    return Err(format!(
                        "a schedule has 5 fields (minute hour day-of-month month day-of-week), found {n}"
                    ));
                }
            }
        };
        let inner = cron::Schedule::from_str(&expr).map_err(|_| {
            // The cron crate's error only repeats the expression; name the field at fault.
            let culprit = (fields.len() == 5)
                .then(|| {
                    FIELD_NAMES.iter().enumerate().find_map(|(i, name)| {
                        let mut probe = ["*"; 5];
                        probe[i] = fields[i];
                        let dow = crontab_weekdays(probe[4]).ok()?;
                        let alone = format!(
                            "0 {} {} {} {} {dow}",
                            probe[0], probe[1], probe[2], probe[3]
                        );
                        cron::Schedule::from_str(&alone)
                            .is_err()
                            .then(|| format!("{name} {:?}", fields[i]))
                    })
                })
                .flatten();
            match culprit {
                Some(c) => format!("invalid schedule: {c} is out of range or malformed"),
                None => "invalid schedule".to_string(),
            }
        })?;
        let schedule = Self {
            source: trimmed.to_string(),
            inner,
        };
        // "0 0 31 2 *" or a past year parse, but never fire: a target that would silently
        // never be checked is an error. Every valid day comes round within eight years
        // (29 February skips a century year at most).
        let now = crate::clock::now();
        match schedule.next_after(now) {
            Some(next) if next - now <= chrono::Duration::days(HORIZON_DAYS) => Ok(schedule),
            _ => Err(format!(
                "schedule {trimmed:?} never runs in the next {} years: no such date",
                HORIZON_DAYS / 365
            )),
        }
    }

    /// The text as the user wrote it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The first tick strictly after `after`, if the schedule has one.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.inner.after(&after).next()
    }
}

/// Rewrites a crontab day-of-week field (0 or 7 = Sunday) with day names, which mean the same in
/// both dialects. A range ending on 7 (`5-7`) is split so that it does not wrap.
fn crontab_weekdays(field: &str) -> Result<String, String> {
    let mut parts = Vec::new();
    for item in field.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, Some(s)),
            None => (item, None),
        };
        let rewritten = match range.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                if b == "SUN" && a != "SUN" && step.is_none() {
                    format!("{a}-SAT,SUN")
                } else {
                    format!("{a}-{b}")
                }
            }
            None => day(range)?,
        };
        parts.push(match step {
            Some(s) => format!("{rewritten}/{s}"),
            None => rewritten,
        });
    }
    Ok(parts.join(","))
}

fn day(token: &str) -> Result<String, String> {
    if token == "*" || token.chars().any(|c| c.is_ascii_alphabetic()) {
        return Ok(token.to_string());
    }
    match token.parse::<usize>() {
        Ok(n) if n <= 7 => Ok(DAY_NAMES[n].to_string()),
        _ => Err(format!("invalid day of week {token:?}: use 0-7 or SUN-SAT")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Datelike, TimeZone, Timelike, Weekday};

    fn next(expr: &str, from: DateTime<Utc>) -> DateTime<Utc> {
        Schedule::parse(expr).unwrap().next_after(from).unwrap()
    }

    #[test]
    fn five_field_crontab_is_accepted_with_minutes_first() {
        // Sunday 2026-11-29 10:00
        let from = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
        let t = next("17 */6 * * *", from);
        assert_eq!((t.hour(), t.minute(), t.second()), (12, 17, 0));
    }

    #[test]
    fn crontab_weekdays_mean_monday_to_friday() {
        let sunday = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
        let t = next("30 9 * * 1-5", sunday);
        assert_eq!(t.weekday(), Weekday::Mon);
        let friday = Utc.with_ymd_and_hms(2026, 12, 4, 10, 0, 0).unwrap();
        assert_eq!(next("30 9 * * 1-5", friday).weekday(), Weekday::Mon);
    }

    #[test]
    fn zero_and_seven_are_sunday() {
        let monday = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap();
        assert_eq!(next("0 8 * * 0", monday).weekday(), Weekday::Sun);
        assert_eq!(next("0 8 * * 7", monday).weekday(), Weekday::Sun);
        let t = next("0 8 * * 5-7", monday);
        assert_eq!(t.weekday(), Weekday::Fri);
    }

    #[test]
    fn six_field_form_and_macros_pass_through() {
        let from = Utc.with_ymd_and_hms(2026, 11, 29, 10, 0, 0).unwrap();
        assert_eq!(next("*/5 * * * * *", from).second(), 5);
        assert_eq!(next("@daily", from).day(), 30);
    }

    #[test]
    fn schedules_that_never_fire_are_rejected() {
        for never in ["0 0 31 2 *", "0 0 30 2 *", "0 0 31 4 *", "0 0 0 1 1 * 2001"] {
            let e = Schedule::parse(never).unwrap_err();
            assert!(e.contains("never runs"), "{never}: {e}");
        }
        assert!(
            Schedule::parse("0 0 29 2 *").is_ok(),
            "leap days come round"
        );
    }

    #[test]
    fn bad_schedules_are_rejected_with_a_reason() {
        assert!(Schedule::parse("61 * * * *").is_err());
        assert!(Schedule::parse("* * *").unwrap_err().contains("5 fields"));
        assert!(
            Schedule::parse("0 8 * * 9")
                .unwrap_err()
                .contains("day of week")
        );
    }
}
