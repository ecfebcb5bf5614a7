//! The CPU-bound stages of one check, chained: extract -> diff -> classify. Pure: bytes and
//! the previous version in, text, change and verdict out. The parsed DOM lives only inside
//! [`read`], which the pipeline runs on a blocking thread.

use crate::classify::{RuleSet, Verdict, classify};
use crate::config::{Kind, Target};
use crate::diff::{self, Change};
use crate::extract::{self, ExtractError, feed::FeedItem};
use crate::facts::{self, FactRules, Facts, summary::Plain};
use crate::fetch::Page;
use crate::store::{ItemNote, Version, VersionId};

/// A feed item that was new or changed, with its own verdict.
#[derive(Debug, Clone)]
pub struct ItemVerdict {
    /// The item as it is now.
    pub item: FeedItem,
    /// New, or changed since the previous version.
    pub new: bool,
    /// What the classifier says of it.
    pub verdict: Verdict,
}

/// What the pure stages made of a fetched page or feed.
pub struct Analysis {
    /// The extracted text (for a feed, its canonical item text).
    pub text: String,
    /// sha256 of the text.
    pub text_hash: String,
    /// The raw body's identity (`raw_hash`).
    pub raw_hash: String,
    /// Whether the text is new: it differs from the previous version and from every recent one.
    pub changed: bool,
    /// The recent version the page flipped back to, when it did.
    pub seen: Option<VersionId>,
    /// The sentence diff against the previous version.
    pub change: Option<Change>,
    /// The verdict: of the sentence diff for a page, of the new and changed items for a feed.
    pub verdict: Verdict,
    /// Feeds: every new or changed item, with its verdict.
    pub items: Vec<ItemVerdict>,
    /// Feeds: the number of new items.
    pub new_items: Option<usize>,
    /// Pages: the facts of the new text (when it is new).
    pub facts: Option<Facts>,
    /// Pages: the change in plain words (moved facts, summary).
    pub plain: Plain,
    /// Pages: the language the page declared.
    pub language: Option<String>,
}

impl Analysis {
    /// The new items, as the store keeps them for the digest.
    pub fn item_notes(&self) -> Vec<ItemNote> {
        self.items
            .iter()
            .filter(|i| i.new)
            .map(|i| ItemNote {
                title: i.item.title.clone(),
                link: i.item.link.clone(),
                date: i.item.date.clone(),
                ai_relevant: i.verdict.ai_relevant,
                severity: i.verdict.severity,
            })
            .collect()
    }
}

/// A raw page's identity, compared with the last snapshot's to skip re-reading identical bytes:
/// BLAKE3, four times faster than SHA-256 here (every fetched byte is hashed, changed or not).
/// Prefixed, so a snapshot stored with a plain SHA-256 hex by an earlier release never equals
/// it: that page is read once more rather than skipped.
pub(super) fn raw_hash(bytes: &[u8]) -> String {
    format!("blake3:{}", blake3::hash(bytes).to_hex())
}

/// A page read: its text and whether that text is new.
pub struct Reading {
    text: String,
    text_hash: String,
    raw_hash: String,
    /// Whether the text is new (see [`Analysis::changed`]).
    pub changed: bool,
    seen: Option<VersionId>,
    feed: Option<Vec<FeedItem>>,
    language: Option<String>,
}

/// Extracts one fetched body and compares its hash with the previous and recent versions.
///
/// `known` are recent versions' ids and hashes: a text equal to one of them is a flip back to a
/// known state (A/B tests, rollbacks), not a change. Only a new text needs the previous text
/// (for [`judge`]), so the store loads it only then.
pub fn read(
    page: &Page,
    raw_hash: String,
    target: &Target,
    previous_hash: Option<&str>,
    known: &[(VersionId, String)],
) -> Result<Reading, ExtractError> {
    let mut language = None;
    let (text, feed) = match target.kind {
        Kind::Page => {
            let decoded = extract::decode(&page.body, page.content_type.as_deref());
            // a page in another language than asked is never a version of this target
            let declared = extract::declared_language(page.content_language.as_deref(), &decoded);
            if let Some(got) = &declared
                && target.language_set
                && !extract::same_language(&target.language, got)
            {
                return Err(ExtractError::WrongLanguage {
                    asked: target.language.clone(),
                    got: got.clone(),
                });
            }
            language = declared;
            (extract::extract(&decoded, &target.rules)?, None)
        }
        Kind::Feed => {
            let items = extract::feed::parse_feed(&page.body, &page.final_url, target.max_items)?;
            (extract::feed::feed_text(&items), Some(items))
        }
        Kind::Links => {
            let decoded = extract::decode(&page.body, page.content_type.as_deref());
            let items = extract::links::parse_links(
                &decoded,
                &page.final_url,
                &target.rules.select,
                target.max_items,
            )?;
            (extract::feed::feed_text(&items), Some(items))
        }
        Kind::Ota => {
            // an Open Terms Archive version: Markdown, read exactly as `import` reads it
            let markdown = std::str::from_utf8(&page.body)
                .map_err(|e| ExtractError::Markdown(format!("not UTF-8 ({e})")))?;
            let text = crate::import::markdown_text(markdown).map_err(ExtractError::Markdown)?;
            let chars = text.chars().filter(|c| !c.is_whitespace()).count();
            if chars < target.rules.min_chars {
                return Err(ExtractError::TooShort {
                    chars,
                    min: target.rules.min_chars,
                });
            }
            (text, None)
        }
    };
    let text_hash = crate::store::sha256_hex(text.as_bytes());
    let same = previous_hash == Some(text_hash.as_str());
    let seen = known
        .iter()
        .find(|(_, h)| *h == text_hash)
        .map(|(id, _)| *id)
        .filter(|_| !same);
    let changed = !same && seen.is_none();
    Ok(Reading {
        raw_hash,
        text,
        text_hash,
        changed,
        seen,
        feed,
        language,
    })
}

impl Reading {
    /// Characters of text read.
    pub fn text_len(&self) -> usize {
        self.text.chars().count()
    }

    /// A feed's items, if it is one.
    pub fn item_count(&self) -> Option<usize> {
        self.feed.as_ref().map(Vec::len)
    }
}

/// Diffs and classifies a reading against the previous version (given only when the text is
/// new and there is one).
pub fn judge(r: Reading, rules: &RuleSet, previous: Option<&Version>) -> Analysis {
    let Reading {
        text,
        text_hash,
        raw_hash,
        changed,
        seen,
        feed,
        language,
    } = r;
    let previous = previous.filter(|_| changed);
    let change = previous.map(|p| diff::diff(&p.text, &text));
    let (verdict, items, new_items) = match (&feed, previous) {
        // A feed's first version is a baseline: none of its old items is news.
        (Some(_), None) => (Verdict::default(), Vec::new(), Some(0)),
        (Some(now), Some(prev)) => {
            let before = extract::feed::parse_feed_text(&prev.text);
            let d = diff::items(&before, now);
            let mut items: Vec<ItemVerdict> = d
                .new
                .iter()
                .map(|n| ItemVerdict {
                    item: (*n).clone(),
                    new: true,
                    verdict: classify(&diff::diff("", &n.full_text()), rules),
                })
                .collect();
            items.extend(d.changed.iter().map(|(o, n)| ItemVerdict {
                item: (*n).clone(),
                new: false,
                verdict: classify(&diff::diff(&o.full_text(), &n.full_text()), rules),
            }));
            let mut verdict = Verdict::default();
            for i in &items {
                verdict.merge(i.verdict.clone());
            }
            (verdict, items, Some(d.new.len()))
        }
        (None, _) => (
            change
                .as_ref()
                .map(|c| classify(c, rules))
                .unwrap_or_default(),
            Vec::new(),
            None,
        ),
    };
    Analysis {
        raw_hash,
        text,
        text_hash,
        changed,
        seen,
        change,
        verdict,
        items,
        new_items,
        facts: None,
        plain: Plain::default(),
        language,
    }
}

/// Reads the facts of a new page text, and tells the change from the previous version in
/// plain words. The previous version's stored facts are used when the same rules read them;
/// otherwise its text is read again, so both sides are read alike.
pub fn read_facts(
    a: &mut Analysis,
    target: &Target,
    rules: &FactRules,
    previous: Option<&Version>,
    stored: Option<(String, Facts)>,
) {
    let new = facts::read(&a.text, rules);
    if let Some(p) = previous {
        let old = match stored {
            Some((fingerprint, f)) if fingerprint == rules.fingerprint => f,
            _ => facts::read(&p.text, rules),
        };
        a.plain = Plain::tell(
            &target.name,
            target.region.as_deref(),
            &old,
            &new,
            &a.verdict,
        );
    }
    a.facts = Some(new);
}
