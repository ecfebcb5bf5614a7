//! `validate --online`: each target fetched once and read as its kind expects, nothing recorded.

use crate::config::{Kind, Target};
use crate::fetch::{Fetched, Fetcher, RetryPolicy};

/// What a target's URL answered: what was read, or why it is not what the target expects.
pub async fn probe(
    fetcher: &Fetcher,
    target: &Target,
    retry: &RetryPolicy,
) -> Result<String, String> {
    let request = super::request(target, &target.url);
    let page = match fetcher.fetch(&request, retry).await {
        Ok(Fetched::Page(page)) => page,
        Ok(Fetched::NotModified) => {
            return Err("answered 304 to a request without validators".into());
        }
        Err(e) => return Err(e.to_string()),
    };
    let reading =
        super::analyse::read(&page, String::new(), target, None, &[]).map_err(|e| e.to_string())?;
    let moved = if page.final_url == target.url {
        String::new()
    } else {
        format!(", redirected to {}", page.final_url)
    };
    Ok(match (target.kind, reading.item_count()) {
        (Kind::Feed | Kind::Links, Some(n)) => format!("{n} item(s){moved}"),
        _ => format!("{} characters of text{moved}", reading.text_len()),
    })
}
