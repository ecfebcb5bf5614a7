//! Extract: a fetched page's bytes become the policy text that is versioned and diffed.
//!
//! Pure and synchronous: bytes in, text out. [`decode`] picks the charset (header, then
//! `<meta>`, then UTF-8); [`extract`] parses with scraper, keeps what the target's `select`
//! selectors match, drops its `remove` selectors and page chrome, and writes stable structured
//! text (see `html`). Refusals are errors, never versions: a selector that matches nothing, a
//! login wall, or a result too short to be the document.
//!
//! scraper's `Html` is not `Send`: it is created and dropped inside [`extract`], so callers can
//! run this on a blocking thread and never hold a DOM across an `.await`.

pub mod feed;
mod html;
mod language;
pub mod links;
mod normalize;
mod parse;

pub use parse::MAX_DEPTH;

use std::fmt;

pub use language::{declared_language, language_tag, same_language};
pub use normalize::{normalize_line, visible};

/// A CSS selector parsed once, when the watchlist loads, with the text it came from.
#[derive(Clone)]
pub struct CssSelector {
    source: String,
    selector: scraper::Selector,
}

impl CssSelector {
    /// Parses a selector, turning scraper's borrowed error into an owned message.
    pub fn parse(source: &str) -> Result<Self, String> {
        if source.trim().is_empty() {
            return Err("empty CSS selector".to_string());
        }
        scraper::Selector::parse(source)
            .map(|selector| Self {
                source: source.to_string(),
                selector,
            })
            .map_err(|e| format!("invalid CSS selector {source:?}: {}", selector_problem(&e)))
    }

    /// The selector as written.
    pub fn source(&self) -> &str {
        &self.source
    }
}

/// scraper's message for most parse errors is "please report this to the developer" followed by a
/// debug dump; the dumped kind (`DanglingCombinator`, `EmptySelector`…) is the useful part.
fn selector_problem(e: &scraper::error::SelectorErrorKind) -> String {
    match e {
        scraper::error::SelectorErrorKind::UnexpectedSelectorParseError(kind) => {
            let name = format!("{kind:?}");
            let name = name.split(['(', ' ', '{']).next().unwrap_or_default();
            let mut words = String::new();
            for (i, c) in name.chars().enumerate() {
                if c.is_uppercase() && i > 0 {
                    words.push(' ');
                }
                words.extend(c.to_lowercase());
            }
            words
        }
        other => other.to_string().to_lowercase(),
    }
}

impl fmt::Debug for CssSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CssSelector({:?})", self.source)
    }
}

/// What to keep of a page.
#[derive(Debug, Clone)]
pub struct Rules {
    /// Every selector must match at least one element; the text of all matches is kept.
    pub select: Vec<CssSelector>,
    /// Elements matching these are dropped from the kept text.
    pub remove: Vec<CssSelector>,
    /// A result shorter than this many characters is refused as implausible.
    pub min_chars: usize,
}

/// Why a page yielded no text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// A `select` selector matched nothing: the page changed shape or is not the document.
    #[error("selector {0:?} matched nothing: the page layout changed or this is not the document")]
    SelectorMissed(String),
    /// The page is a login or sign-up wall.
    #[error("got a login wall instead of the document (the site asked to sign in)")]
    LoginWall,
    /// A feed that cannot be read, or has no items.
    #[error("not a readable feed: {0}")]
    Feed(String),
    /// An Open Terms Archive version that cannot be read.
    #[error("not a readable Open Terms Archive version: {0}")]
    Markdown(String),
    /// The page nests elements deeper than any document does (a hostile or broken page).
    #[error("the page nests elements more than {max} levels deep: refused as hostile or broken")]
    TooDeep {
        /// The bound.
        max: usize,
    },
    /// The page is not in the language asked for (a CDN or a geo-redirect answered in another).
    #[error("asked for {asked}, got {got}: the page is in another language")]
    WrongLanguage {
        /// The target's language.
        asked: String,
        /// The language the page declares.
        got: String,
    },
    /// The text is empty or implausibly short.
    #[error(
        "the extracted text is {chars} characters, below the minimum of {min}: empty or blocked page"
    )]
    TooShort {
        /// Characters extracted.
        chars: usize,
        /// The target's minimum.
        min: usize,
    },
}

/// Decodes a body: charset from the `Content-Type` header, else from a `<meta>` in the first
/// 1024 bytes, else a BOM, else UTF-8. When the header's charset does not fit the bytes but the
/// page's own `<meta>` does (servers mislabel), the meta wins. Invalid sequences become U+FFFD
/// rather than failing, the same way every time, so a broken page never flaps.
pub fn decode(body: &[u8], content_type: Option<&str>) -> String {
    let label = |l: Option<String>| l.and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()));
    let header = label(content_type.and_then(charset_param));
    let meta = label(meta_charset(&body[..body.len().min(1024)]));
    let first = header.or(meta).unwrap_or(encoding_rs::UTF_8);
    let (text, _, malformed) = first.decode(body);
    if malformed
        && let Some(meta) = meta.filter(|m| *m != first)
        && let (fixed, _, false) = meta.decode(body)
    {
        return fixed.into_owned();
    }
    text.into_owned()
}

fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// The HTML prescan, simplified: the first `charset=` inside a `<meta` tag.
fn meta_charset(head: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(head).to_ascii_lowercase();
    let mut rest = text.as_str();
    while let Some(i) = rest.find("<meta") {
        let tag = &rest[i..];
        let end = tag.find('>').unwrap_or(tag.len());
        let tag = &tag[..end];
        if let Some(j) = tag.find("charset=") {
            let value: String = tag[j + 8..]
                .trim_start_matches(['"', '\''])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || "-_:.".contains(*c))
                .collect();
            if !value.is_empty() {
                return Some(value);
            }
        }
        rest = &rest[i + 5..];
    }
    None
}

/// Extracts the policy text of one page.
pub fn extract(page: &str, rules: &Rules) -> Result<String, ExtractError> {
    let doc = parse::document(page)?;
    if html::is_login_wall(&doc) {
        return Err(ExtractError::LoginWall);
    }
    let text = html::select_text(&doc, rules)?;
    let chars = text.chars().filter(|c| !c.is_whitespace()).count();
    if chars < rules.min_chars {
        return Err(ExtractError::TooShort {
            chars,
            min: rules.min_chars,
        });
    }
    Ok(text)
}

/// The text of an article page linked from a feed: `article`, else `main`, else `body`.
pub fn article_text(page: &str) -> Result<String, ExtractError> {
    let doc = parse::document(page)?;
    if html::is_login_wall(&doc) {
        return Err(ExtractError::LoginWall);
    }
    for sel in ["article", "main", "body"] {
        let rules = Rules {
            select: vec![CssSelector::parse(sel).map_err(ExtractError::SelectorMissed)?],
            remove: ["nav", "header", "footer", "aside"]
                .iter()
                .filter_map(|s| CssSelector::parse(s).ok())
                .collect(),
            min_chars: 1,
        };
        if let Ok(text) = html::select_text(&doc, &rules)
            && !text.is_empty()
        {
            return Ok(text);
        }
    }
    Err(ExtractError::TooShort { chars: 0, min: 1 })
}

#[cfg(test)]
mod tests;
