//! Import: backfill a target's history from Open Terms Archive versions.
//!
//! OTA keeps one Markdown file per version, named by the date it was recorded
//! (`2024-09-19.md`, `2025-06-01T2001Z.md`). Each is rendered to HTML and read with the same
//! extraction rules as a live page, so imported and live versions are the same kind of text.
//! Pure apart from [`dated_files`], which lists a folder.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};

use crate::extract::{self, CssSelector, Rules};

/// The `extract_key` stamped on a target by an import: the next live check re-baselines against
/// the imported text (recorded, never alerted), because Markdown and live HTML differ in form.
pub const IMPORTED_KEY: &str = "imported";

/// A version file and its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dated {
    /// When OTA recorded it.
    pub at: DateTime<Utc>,
    /// The file.
    pub path: PathBuf,
}

/// The date in an OTA file name: `YYYY-MM-DD`, optionally `THHMMZ`, then `.md`.
pub fn date_of(name: &str) -> Option<DateTime<Utc>> {
    let stem = name.strip_suffix(".md")?;
    let (day, time) = match stem.split_once('T') {
        Some((d, t)) => (d, Some(t.trim_end_matches('Z'))),
        None => (stem, None),
    };
    let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    let time = match time {
        Some(t) if t.len() == 4 => NaiveTime::parse_from_str(t, "%H%M").ok()?,
        Some(t) if t.len() == 6 => NaiveTime::parse_from_str(t, "%H%M%S").ok()?,
        Some(_) => return None,
        None => NaiveTime::MIN,
    };
    Some(Utc.from_utc_datetime(&day.and_time(time)))
}

/// The dated `.md` files of a folder, oldest first; other files are reported.
pub fn dated_files(dir: &Path) -> Result<(Vec<Dated>, Vec<String>), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (mut files, mut skipped) = (Vec::new(), Vec::new());
    for e in entries {
        let path = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        match date_of(&name) {
            Some(at) => files.push(Dated { at, path }),
            None => skipped.push(name),
        }
    }
    files.sort_by_key(|f| f.at);
    Ok((files, skipped))
}

/// The text of one OTA Markdown version, as a live page with the same content would give it.
pub fn markdown_text(markdown: &str) -> Result<String, String> {
    let mut html = String::from("<html><body><main>");
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(markdown));
    html.push_str("</main></body></html>");
    let rules = Rules {
        select: vec![CssSelector::parse("main")?],
        remove: Vec::new(),
        min_chars: 1,
    };
    extract::extract(&html, &rules).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ota_file_names_give_their_dates() {
        assert_eq!(
            date_of("2024-09-19.md").unwrap().to_rfc3339(),
            "2024-09-19T00:00:00+00:00"
        );
        assert_eq!(
            date_of("2025-06-01T2001Z.md").unwrap().to_rfc3339(),
            "2025-06-01T20:01:00+00:00"
        );
        assert_eq!(date_of("MANIFEST.md"), None);
        assert_eq!(date_of("2024-09-19.html"), None);
    }

    #[test]
    fn markdown_becomes_the_same_kind_of_text_as_a_page() {
        let text = markdown_text("Privacy Policy\n==============\n\nWe use *your* [data](https://x).\n\n- Profile\n- Posts\n").unwrap();
        assert_eq!(
            text,
            "# Privacy Policy\nWe use your data.\n- Profile\n- Posts"
        );
    }
}
