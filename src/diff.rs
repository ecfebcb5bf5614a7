//! Diff: old text + new text -> the sentences that changed.
//!
//! Pure. Policy pages are long paragraphs in which one sentence moves at a time, so a line diff
//! would flag a whole paragraph. Here each paragraph (line) is split into sentences (Unicode
//! sentence boundaries, UAX #29) and the sentence sequences are diffed with `similar` (patience),
//! paragraph breaks kept as separator units so that a removed sentence does not drag its
//! neighbour into the change. Within an edited sentence, `similar`'s inline refinement marks the
//! words that changed. Counts of added and removed sentences come with the hunks.

use std::collections::HashMap;
use std::ops::Range;
use std::time::{Duration, Instant};

use serde::Serialize;
use similar::{Algorithm, ChangeTag, InlineChange, TextDiff};
use unicode_segmentation::UnicodeSegmentation;

use crate::extract::feed::FeedItem;

/// The separator unit standing for a paragraph break.
const PARAGRAPH: &str = "\n";

/// What one side of a diff line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LineKind {
    /// Unchanged context.
    Context,
    /// Only in the old text.
    Removed,
    /// Only in the new text.
    Added,
}

/// A run of text within a sentence; `changed` runs are the words that differ.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// The text.
    pub text: String,
    /// Whether these words changed (only set inside an edited sentence).
    pub changed: bool,
}

/// One sentence of a hunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    /// Context, removed or added.
    pub kind: LineKind,
    /// The sentence, as runs.
    pub segments: Vec<Segment>,
}

impl Line {
    /// The whole sentence.
    pub fn text(&self) -> String {
        self.segments.iter().map(|s| s.text.as_str()).collect()
    }
}

/// A group of nearby changed sentences with one sentence of context on each side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    /// Sentences in order.
    pub lines: Vec<Line>,
}

/// The difference between two versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The changed places.
    pub hunks: Vec<Hunk>,
    /// Sentences only in the new text.
    pub added: usize,
    /// Sentences only in the old text.
    pub removed: usize,
}

impl Change {
    /// Sentences of the given kind, across hunks.
    pub fn sentences(&self, kind: LineKind) -> impl Iterator<Item = &Line> {
        self.hunks
            .iter()
            .flat_map(|h| h.lines.iter())
            .filter(move |l| l.kind == kind)
    }
}

/// Splits text into sentence units, with a `PARAGRAPH` unit between paragraphs.
pub fn sentences(text: &str) -> Vec<&str> {
    let mut units = Vec::new();
    for (i, para) in text.lines().filter(|l| !l.trim().is_empty()).enumerate() {
        if i > 0 {
            units.push(PARAGRAPH);
        }
        units.extend(whole_sentences(para));
    }
    units
}

/// Abbreviations after which Unicode segmentation would cut a sentence in two, in the languages
/// with rules (`z. B.`, `p. ex.`, `Art. 6`, `bijv.`…): a unit ending with one is joined to the
/// next.
const ABBREVIATIONS: &[&str] = &[
    "z.", "z.b.", "d.", "d.h.", "bzw.", "ca.", "nr.", "art.", "abs.", "lit.", "ggf.", "usw.",
    "vgl.", "inkl.", "gem.", "p.", "ex.", "cf.", "env.", "mme.", "art.", "sr.", "sra.", "núm.",
    "pág.", "ecc.", "pag.", "ad.", "bijv.", "o.a.", "d.w.z.", "blz.", "co.", "inc.", "ltd.", "no.",
    "vs.", "e.g.", "i.e.", "etc.", "s.a.",
];

/// Whether a word (with its full stop) is one of [`ABBREVIATIONS`].
pub(crate) fn is_abbreviation(word: &str) -> bool {
    ABBREVIATIONS.contains(&word.to_lowercase().as_str())
}

/// Two-word abbreviations, whose second word alone would read as an initial.
const PAIRS: &[&str] = &["z. b.", "d. h.", "p. ex.", "u. a.", "o. ä."];

/// Whether `text` ends with an abbreviation (one word, or one of [`PAIRS`]).
pub(crate) fn ends_abbreviated(text: &str) -> bool {
    let mut words = text.split_whitespace().rev();
    let last = words.next().unwrap_or_default();
    if is_abbreviation(last) {
        return true;
    }
    let pair = format!("{} {last}", words.next().unwrap_or_default()).to_lowercase();
    PAIRS.contains(&pair.as_str())
}

/// A paragraph's sentences: Unicode sentence bounds, joined again after an abbreviation.
fn whole_sentences(para: &str) -> impl Iterator<Item = &str> {
    let mut out: Vec<&str> = Vec::new();
    let mut start: Option<usize> = None;
    for (at, piece) in para.split_sentence_bound_indices() {
        let from = start.unwrap_or(at);
        let end = at + piece.len();
        if ends_abbreviated(&para[from..end]) && end < para.len() {
            start = Some(from);
            continue;
        }
        out.push(para[from..end].trim());
        start = None;
    }
    if let Some(from) = start {
        out.push(para[from..].trim());
    }
    out.into_iter().filter(|s| !s.is_empty())
}

/// The time one diff may take before it settles for a coarser answer. Past it, `similar`
/// stops searching for the shortest edit (what is left is reported as removed and added) and
/// changed words are no longer marked: a hostile page costs a bounded time, not minutes.
const BUDGET: Duration = Duration::from_millis(1500);

/// The most sentences (old and new together) one edit may span for its changed words to be
/// marked, and the most bytes of text: word-diffing costs memory in proportion to the words.
const MAX_REFINED: usize = 64;
const MAX_REFINED_BYTES: usize = 64 * 1024;

/// Diffs two texts by sentence.
///
/// Paragraphs are compared first, and only the changed ones (with one paragraph of context on
/// each side) are split into sentences: sentence segmentation is the costly part, and a policy
/// edit touches a few paragraphs out of hundreds. A paragraph removed in one place and added
/// verbatim in another is a move, not a change, and so is a sentence: reordering a page
/// changes nothing it says. The whole diff runs within a fixed time budget (1.5 s).
pub fn diff(old: &str, new: &str) -> Change {
    let deadline = Instant::now() + BUDGET;
    let (old_p, new_p) = (paragraphs(old), paragraphs(new));
    let ops =
        similar::capture_diff_slices_deadline(Algorithm::Patience, &old_p, &new_p, Some(deadline));
    let (old_moved, new_moved) = moved_paragraphs(&ops, &old_p, &new_p);
    let mut regions: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    for op in ops.iter().filter(|op| op.tag() != similar::DiffTag::Equal) {
        let (o, n) = (op.old_range(), op.new_range());
        if o.clone().all(|i| old_moved[i]) && n.clone().all(|j| new_moved[j]) {
            continue;
        }
        let o = o.start.saturating_sub(1)..(o.end + 1).min(old_p.len());
        let n = n.start.saturating_sub(1)..(n.end + 1).min(new_p.len());
        match regions.last_mut() {
            Some((lo, ln)) if o.start <= lo.end && n.start <= ln.end => {
                lo.end = lo.end.max(o.end);
                ln.end = ln.end.max(n.end);
            }
            _ => regions.push((o, n)),
        }
    }
    let kept = |paras: &[&str], moved: &[bool], r: Range<usize>| {
        r.filter(|&i| !moved[i])
            .map(|i| paras[i])
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut change = Change::default();
    for (o, n) in regions {
        diff_sentences(
            &kept(&old_p, &old_moved, o),
            &kept(&new_p, &new_moved, n),
            deadline,
            &mut change,
        );
    }
    drop_moved_sentences(&mut change);
    change
}

fn paragraphs(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

/// Which removed paragraphs reappear verbatim among the added ones, paired one to one.
fn moved_paragraphs(ops: &[similar::DiffOp], old: &[&str], new: &[&str]) -> (Vec<bool>, Vec<bool>) {
    let (mut old_moved, mut new_moved) = (vec![false; old.len()], vec![false; new.len()]);
    let changed = || ops.iter().filter(|op| op.tag() != similar::DiffTag::Equal);
    let mut removed: HashMap<&str, Vec<usize>> = HashMap::new();
    for op in changed() {
        for i in op.old_range().rev() {
            removed.entry(old[i]).or_default().push(i);
        }
    }
    for op in changed() {
        for j in op.new_range() {
            if let Some(i) = removed.get_mut(new[j]).and_then(Vec::pop) {
                old_moved[i] = true;
                new_moved[j] = true;
            }
        }
    }
    (old_moved, new_moved)
}

/// Removes sentences that were removed in one place and added verbatim in another (in pairs),
/// then hunks left with nothing but context.
fn drop_moved_sentences(change: &mut Change) {
    let mut removed: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
    for (h, hunk) in change.hunks.iter().enumerate().rev() {
        for (l, line) in hunk.lines.iter().enumerate().rev() {
            if line.kind == LineKind::Removed {
                removed.entry(line.text()).or_default().push((h, l));
            }
        }
    }
    if removed.is_empty() {
        return;
    }
    let mut gone = vec![Vec::new(); change.hunks.len()];
    for (h, hunk) in change.hunks.iter().enumerate() {
        for (l, line) in hunk.lines.iter().enumerate() {
            if line.kind == LineKind::Added
                && let Some(at) = removed.get_mut(&line.text()).and_then(Vec::pop)
            {
                gone[h].push(l);
                gone[at.0].push(at.1);
            }
        }
    }
    for (hunk, mut gone) in change.hunks.iter_mut().zip(gone) {
        if gone.is_empty() {
            continue;
        }
        gone.sort_unstable();
        let mut l = 0;
        hunk.lines.retain(|_| {
            l += 1;
            gone.binary_search(&(l - 1)).is_err()
        });
    }
    change
        .hunks
        .retain(|h| h.lines.iter().any(|l| l.kind != LineKind::Context));
    change.added = change.sentences(LineKind::Added).count();
    change.removed = change.sentences(LineKind::Removed).count();
}

/// The sentence diff of one changed region, appended to `change`.
fn diff_sentences(old: &str, new: &str, deadline: Instant, change: &mut Change) {
    let old_units = sentences(old);
    let new_units = sentences(new);
    let text_diff = TextDiff::configure()
        .algorithm(Algorithm::Patience)
        .deadline(deadline)
        .diff_slices(&old_units, &new_units);
    for group in text_diff.grouped_ops(1) {
        let mut hunk = Hunk { lines: Vec::new() };
        for op in &group {
            // Changed words are marked within a few edited sentences; a block rewritten
            // wholesale is shown sentence by sentence (word-diffing it would cost its words
            // squared in time and memory, and mark everything anyway).
            let changes: Box<dyn Iterator<Item = InlineChange<'_, str>>> =
                if op.old_range().len() + op.new_range().len() <= MAX_REFINED
                    && op_bytes(&old_units, &new_units, op) <= MAX_REFINED_BYTES
                {
                    Box::new(text_diff.iter_inline_changes_deadline(op, Some(deadline)))
                } else {
                    Box::new(text_diff.iter_changes(op).map(InlineChange::from))
                };
            for inline in changes {
                let segments: Vec<Segment> = inline
                    .iter_strings_lossy()
                    .map(|(changed, text)| Segment {
                        text: text.into_owned(),
                        changed,
                    })
                    .collect();
                if segments
                    .iter()
                    .all(|s| s.text == PARAGRAPH || s.text.is_empty())
                {
                    continue;
                }
                let kind = match inline.tag() {
                    ChangeTag::Equal => LineKind::Context,
                    ChangeTag::Delete => {
                        change.removed += 1;
                        LineKind::Removed
                    }
                    ChangeTag::Insert => {
                        change.added += 1;
                        LineKind::Added
                    }
                };
                hunk.lines.push(Line { kind, segments });
            }
        }
        if hunk.lines.iter().any(|l| l.kind != LineKind::Context) {
            change.hunks.push(hunk);
        }
    }
}

/// The bytes of text an op spans, old and new together.
fn op_bytes(old: &[&str], new: &[&str], op: &similar::DiffOp) -> usize {
    let sum = |units: &[&str], r: Range<usize>| units[r].iter().map(|u| u.len()).sum::<usize>();
    sum(old, op.old_range()) + sum(new, op.new_range())
}

/// What changed between two versions of a feed, item by item.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ItemDiff<'a> {
    /// Items only in the new version.
    pub new: Vec<&'a FeedItem>,
    /// Items in both whose title, link or text changed: (old, new).
    pub changed: Vec<(&'a FeedItem, &'a FeedItem)>,
    /// Items only in the old version (feeds roll: not a change of terms).
    pub dropped: Vec<&'a FeedItem>,
}

/// Compares two feed versions by item id (both sorted by id, as extraction leaves them).
pub fn items<'a>(old: &'a [FeedItem], new: &'a [FeedItem]) -> ItemDiff<'a> {
    let mut d = ItemDiff::default();
    for n in new {
        match old.iter().find(|o| o.id == n.id) {
            None => d.new.push(n),
            Some(o) if o.title != n.title || o.link != n.link || o.text != n.text => {
                d.changed.push((o, n))
            }
            Some(_) => {}
        }
    }
    d.dropped = old
        .iter()
        .filter(|o| !new.iter().any(|n| n.id == o.id))
        .collect();
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "# Data\nWe collect data. We use it to provide Services. We share it with partners.\nContact us.";

    #[test]
    fn one_sentence_edit_in_a_long_paragraph_is_one_sentence() {
        let new = OLD.replace(
            "We use it to provide Services.",
            "We use it to provide and improve Services.",
        );
        let c = diff(OLD, &new);
        assert_eq!((c.added, c.removed), (1, 1));
        assert_eq!(c.hunks.len(), 1);
        let added: Vec<_> = c.sentences(LineKind::Added).collect();
        assert_eq!(
            added[0].text(),
            "We use it to provide and improve Services."
        );
        let marked: Vec<_> = added[0]
            .segments
            .iter()
            .filter(|s| s.changed)
            .map(|s| s.text.trim())
            .collect();
        assert!(marked.iter().any(|m| m.contains("improve")), "{marked:?}");
        assert!(!marked.iter().any(|m| m.contains("provide")), "{marked:?}");
        // context: the neighbouring sentences, unchanged
        assert!(
            c.hunks[0]
                .lines
                .iter()
                .any(|l| l.kind == LineKind::Context && l.text() == "We collect data.")
        );
    }

    #[test]
    fn an_added_sentence_is_counted_alone() {
        let new = OLD.replace(
            "We share it with partners.",
            "We share it with partners. We train AI models.",
        );
        let c = diff(OLD, &new);
        assert_eq!((c.added, c.removed), (1, 0));
        assert_eq!(
            c.sentences(LineKind::Added).next().unwrap().text(),
            "We train AI models."
        );
    }

    #[test]
    fn removing_the_last_sentence_of_a_paragraph_leaves_its_neighbour_alone() {
        let new = OLD.replace(" We share it with partners.", "");
        let c = diff(OLD, &new);
        assert_eq!((c.added, c.removed), (0, 1));
    }

    #[test]
    fn equal_texts_have_no_hunks() {
        let c = diff(OLD, OLD);
        assert_eq!(c, Change::default());
    }

    #[test]
    fn feed_items_are_new_changed_or_dropped_by_id() {
        let item = |id: &str, text: &str| FeedItem {
            id: id.into(),
            title: format!("T {id}"),
            link: String::new(),
            date: "2025-01-01".into(),
            text: text.into(),
        };
        let old = vec![item("a", "x"), item("b", "y"), item("c", "z")];
        let mut dated = item("a", "x");
        dated.date = "2025-02-02".into();
        let new = vec![dated, item("b", "y2"), item("d", "w")];
        let d = items(&old, &new);
        assert_eq!(
            d.new.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
            vec!["d"]
        );
        assert_eq!(d.changed.len(), 1);
        assert_eq!(d.changed[0].1.text, "y2");
        assert_eq!(d.dropped[0].id, "c");
    }

    #[test]
    fn sentence_units_keep_paragraph_breaks() {
        assert_eq!(sentences("A b. C d.\nE."), vec!["A b.", "C d.", "\n", "E."]);
    }
}

#[cfg(test)]
mod abbreviation_tests {
    use super::sentences;

    #[test]
    fn abbreviations_and_quotes_of_each_language_do_not_end_a_sentence() {
        let units = |t: &'static str| sentences(t);
        assert_eq!(
            units("Wir nutzen z. B. Ihre Beiträge. Dann mehr."),
            ["Wir nutzen z. B. Ihre Beiträge.", "Dann mehr."]
        );
        assert_eq!(
            units("Gemäß Art. 6 Abs. 1 lit. f DSGVO verarbeiten wir Daten. Weiter."),
            [
                "Gemäß Art. 6 Abs. 1 lit. f DSGVO verarbeiten wir Daten.",
                "Weiter."
            ]
        );
        assert_eq!(
            units("Nous utilisons « vos publications ». Ensuite, p. ex. Les données."),
            [
                "Nous utilisons « vos publications ».",
                "Ensuite, p. ex. Les données."
            ]
        );
        assert_eq!(
            units("Er sagte „Hallo.“ Dann ging er."),
            ["Er sagte „Hallo.“", "Dann ging er."]
        );
    }
}
