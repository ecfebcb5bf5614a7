//! Import: backfill a target's history from Open Terms Archive versions.
//!
//! OTA keeps one Markdown file per version, named by the date it was recorded
//! (`2024-09-19.md`, `2025-06-01T2001Z.md`). Each is rendered to HTML and read with the same
//! extraction rules as a live page, so imported and live versions are the same kind of text.
//! Pure apart from [`dated_files`], which lists a folder.

use std::path::{Path, PathBuf};

use std::sync::LazyLock;

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

/// The dated `.md` files of a folder, oldest first, and the names of the entries passed over
/// (other names, and anything named like a version that is not a regular file: a folder, a
/// FIFO, a device, a dangling or looping symlink), each with why.
pub fn dated_files(dir: &Path) -> Result<(Vec<Dated>, Vec<String>), String> {
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let (mut files, mut skipped) = (Vec::new(), Vec::new());
    for e in entries {
        let path = e.map_err(|e| format!("{}: {e}", dir.display()))?.path();
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let Some(at) = date_of(&name) else {
            skipped.push(name);
            continue;
        };
        // metadata follows symlinks: a link to a version file is one; a FIFO is never opened
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() => files.push(Dated { at, path }),
            Ok(_) => skipped.push(format!("{name} (not a regular file)")),
            Err(e) => skipped.push(format!("{name} ({e})")),
        }
    }
    files.sort_by_key(|f| f.at);
    Ok((files, skipped))
}

/// Raw HTML that is plain formatting and safe to keep as markup: nothing in it can hide or
/// swallow the text after it.
static INERT_HTML: LazyLock<Option<regex::Regex>> = LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)^\s*(?:</?(?:br|b|i|em|strong|u|s|sup|sub|small|span|mark|abbr|code|p|div|ul|ol|li|h[1-6]|blockquote|hr|dl|dt|dd)(?:\s[^<>]*)?/?>\s*)+$",
    )
    .ok()
});

fn is_inert(html: &str) -> bool {
    INERT_HTML.as_ref().is_some_and(|re| re.is_match(html))
}

/// The text of one OTA Markdown version, as a live page with the same content would give it.
///
/// Raw HTML in the Markdown is kept as markup only when it is plain formatting (`<br>`,
/// `<sup>`…); anything else (a comment, `<script>`, `<textarea>`, a stray `</main>`) is taken
/// as text, so it can never hide the words that follow it.
pub fn markdown_text(markdown: &str) -> Result<String, String> {
    use pulldown_cmark::Event;
    let events = pulldown_cmark::Parser::new(markdown).map(|event| match event {
        Event::Html(h) | Event::InlineHtml(h) if !is_inert(&h) => Event::Text(h),
        other => other,
    });
    let mut html = String::from("<html><body><main>");
    pulldown_cmark::html::push_html(&mut html, events);
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
    fn raw_html_never_hides_the_text_after_it() {
        let tail = "We use your posts to train generative AI models.";
        for raw in [
            "<!-- note",
            "<script>",
            "<textarea>",
            "</main>",
            "<style>",
            "<title>",
            "<plaintext>",
            "<![CDATA[",
        ] {
            let md = format!("# Policy\n\nFirst paragraph.\n\n{raw}\n\n{tail}\n\nLast words.\n");
            let text = markdown_text(&md).unwrap();
            assert!(
                text.contains(tail) && text.contains("Last words."),
                "{raw}: {text}"
            );
            let inline = format!("Before {raw} after. {tail}");
            assert!(
                markdown_text(&inline).unwrap().contains(tail),
                "inline {raw}"
            );
        }
        // formatting markup stays markup
        assert_eq!(markdown_text("a<br>b <sup>1</sup>").unwrap(), "a\nb 1");
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
