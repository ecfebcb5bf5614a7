//! `follow_links`: fetch the article behind an AI-relevant feed item (same politeness,
//! timeout and size cap as the feed) and quote the sentences the rules match in it.

use crate::classify::classify;
use crate::config::Target;
use crate::diff;
use crate::extract;
use crate::fetch::{FetchRequest, Fetched};

use super::{ItemVerdict, Pipeline};

/// At most this many articles are fetched for one check.
const MAX_ARTICLES: usize = 5;
/// At most this many sentences are quoted from one article.
const MAX_QUOTES: usize = 5;

/// What an article said, or why it could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleQuotes {
    /// The item's link.
    pub link: String,
    /// Matched sentences.
    pub quotes: Vec<String>,
    /// Why the article could not be read.
    pub error: Option<String>,
}

/// Quotes for each AI-relevant new item with a link.
pub(super) async fn quotes(
    p: &Pipeline,
    target: &Target,
    items: &[ItemVerdict],
) -> Vec<ArticleQuotes> {
    let mut out = Vec::new();
    for i in items
        .iter()
        .filter(|i| i.new && i.verdict.ai_relevant && !i.item.link.is_empty())
        .take(MAX_ARTICLES)
    {
        let link = i.item.link.clone();
        let result = match url::Url::parse(&link) {
            Ok(url) if matches!(url.scheme(), "http" | "https") => article(p, target, &url).await,
            _ => Err(format!("not an http link: {link}")),
        };
        out.push(match result {
            Ok(quotes) => ArticleQuotes {
                link,
                quotes,
                error: None,
            },
            Err(error) => {
                tracing::warn!(%link, %error, "could not read the linked article");
                ArticleQuotes {
                    link,
                    quotes: Vec::new(),
                    error: Some(error),
                }
            }
        });
    }
    out
}

async fn article(p: &Pipeline, target: &Target, url: &url::Url) -> Result<Vec<String>, String> {
    let request = FetchRequest {
        public_only: !target.follow_private,
        ..super::request(target, url)
    };
    let Fetched::Page(page) = p
        .fetcher
        .fetch(&request, &p.settings.retry)
        .await
        .map_err(|e| e.to_string())?
    else {
        return Err("HTTP 304 to an unconditional request".into());
    };
    let settings = std::sync::Arc::clone(&p.settings);
    let language = target.language.clone();
    tokio::task::spawn_blocking(move || {
        let html = extract::decode(&page.body, page.content_type.as_deref());
        let text = extract::article_text(&html).map_err(|e| e.to_string())?;
        let verdict = classify(&diff::diff("", &text), settings.rules.get(&language));
        let mut quotes: Vec<String> = Vec::new();
        for m in verdict.matches {
            if !quotes.contains(&m.sentence) && quotes.len() < MAX_QUOTES {
                quotes.push(m.sentence);
            }
        }
        Ok(quotes)
    })
    .await
    .map_err(|e| format!("article task failed: {e}"))?
}
