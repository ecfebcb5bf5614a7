//! `kind = "ota"` targets: a document followed through an Open Terms Archive versions
//! repository (`repository`, `path`, `branch`) instead of fetched from its site, and `[ota]`,
//! the base URLs of the commit feed and the raw content (settings, so tests use 127.0.0.1).

use serde::Deserialize;
use toml::Spanned;
use url::Url;

use super::Validator;
use super::raw::RawTarget;

/// `[ota]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOta {
    pub feed_base: Option<Spanned<String>>,
    pub raw_base: Option<Spanned<String>>,
}

/// Where commit feeds and raw contents are read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtaBases {
    /// GitHub's web base: `{feed_base}/{repository}/commits/{branch}/{path}.atom`.
    pub feed_base: Url,
    /// The raw content base: `{raw_base}/{repository}/{commit}/{path}`.
    pub raw_base: Url,
}

/// An OTA-followed document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtaTarget {
    /// `OWNER/REPO` of the versions repository (a collection: `OpenTermsArchive/pga-versions`).
    pub repository: String,
    /// The document's file in it (`LinkedIn/Privacy Policy.md`).
    pub path: String,
    /// The branch followed.
    pub branch: String,
    /// On the first check, record every commit (without mail) rather than the latest only.
    pub backfill: bool,
    /// Where the file's content at a commit is read.
    pub raw_base: Url,
}

impl OtaTarget {
    /// The URL of the file at `commit`.
    pub fn raw_url(&self, commit: &str) -> Url {
        let mut url = self.raw_base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            segments
                .pop_if_empty()
                .extend(self.repository.split('/'))
                .push(commit)
                .extend(self.path.split('/'));
        }
        url
    }

    /// The source recorded with a version from `commit`.
    pub fn source(&self, commit: &str) -> String {
        format!("ota:{}@{commit}", self.repository)
    }
}

fn base(v: &Option<Spanned<String>>, default: &str) -> Result<Url, (usize, String)> {
    let (text, at) = v
        .as_ref()
        .map_or((default, 0), |s| (s.get_ref().as_str(), s.span().start));
    match Url::parse(text) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u),
        _ => Err((at, format!("{text:?} is not an http(s) base URL"))),
    }
}

fn safe_part(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.chars()
            .all(|c| !c.is_control() && !matches!(c, '/' | '\\' | '?' | '#'))
}

impl Validator<'_> {
    pub(super) fn ota_bases(&mut self, raw: Option<RawOta>) -> OtaBases {
        let raw = raw.unwrap_or_default();
        let mut pick = |v: &Option<Spanned<String>>, key: &str, default: &str| {
            base(v, default).unwrap_or_else(|(at, msg)| {
                self.err(at, key, msg);
                // a valid constant: the error above stops the load
                Url::parse(default).unwrap_or_else(|e| unreachable!("{e}"))
            })
        };
        OtaBases {
            feed_base: pick(&raw.feed_base, "ota.feed_base", "https://github.com"),
            raw_base: pick(
                &raw.raw_base,
                "ota.raw_base",
                "https://raw.githubusercontent.com",
            ),
        }
    }

    /// An `ota` target's repository and path, checked, and its commit feed's URL.
    pub(super) fn ota_target(
        &mut self,
        name: &str,
        raw: &RawTarget,
        bases: &OtaBases,
    ) -> Option<(OtaTarget, Url)> {
        let at = raw.id.span().start;
        let repository = match &raw.repository {
            Some(r)
                if r.get_ref().split('/').count() == 2 && r.get_ref().split('/').all(safe_part) =>
            {
                Some(r.get_ref().clone())
            }
            Some(r) => {
                self.err(
                    r.span().start,
                    &format!("{name}.repository"),
                    format!(
                        "{:?}: use OWNER/REPO, such as \"OpenTermsArchive/pga-versions\"",
                        r.get_ref()
                    ),
                );
                None
            }
            None => {
                self.err(at, &format!("{name}.repository"), "missing: the Open Terms Archive versions repository, such as \"OpenTermsArchive/pga-versions\"");
                None
            }
        };
        let path = match &raw.path {
            Some(p) if p.get_ref().split('/').all(safe_part) => Some(p.get_ref().clone()),
            Some(p) => {
                self.err(p.span().start, &format!("{name}.path"), format!("{:?}: a file path in the repository, such as \"LinkedIn/Privacy Policy.md\"", p.get_ref()));
                None
            }
            None => {
                self.err(at, &format!("{name}.path"), "missing: the document's file in the repository, such as \"LinkedIn/Privacy Policy.md\"");
                None
            }
        };
        let branch = raw.branch.clone().unwrap_or_else(|| "main".into());
        if !safe_part(&branch) {
            self.err(
                at,
                &format!("{name}.branch"),
                format!("{branch:?} is not a branch name"),
            );
            return None;
        }
        let (repository, path) = (repository?, path?);
        let mut feed = bases.feed_base.clone();
        if let Ok(mut segments) = feed.path_segments_mut() {
            let mut parts: Vec<&str> = path.split('/').collect();
            let file = format!("{}.atom", parts.pop().unwrap_or_default());
            segments
                .pop_if_empty()
                .extend(repository.split('/'))
                .push("commits")
                .push(&branch)
                .extend(parts)
                .push(&file);
        }
        Some((
            OtaTarget {
                repository,
                path,
                branch,
                backfill: raw.backfill.unwrap_or(false),
                raw_base: bases.raw_base.clone(),
            },
            feed,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_with_each_part_encoded() {
        let t = OtaTarget {
            repository: "OpenTermsArchive/pga-versions".into(),
            path: "LinkedIn/Privacy Policy.md".into(),
            branch: "main".into(),
            backfill: false,
            raw_base: Url::parse("https://raw.githubusercontent.com").unwrap(),
        };
        assert_eq!(
            t.raw_url("0123abc").as_str(),
            "https://raw.githubusercontent.com/OpenTermsArchive/pga-versions/0123abc/LinkedIn/Privacy%20Policy.md"
        );
        assert_eq!(
            t.source("0123abc"),
            "ota:OpenTermsArchive/pga-versions@0123abc"
        );
        assert!(!safe_part("..") && !safe_part("a?b") && safe_part("Privacy Policy.md"));
    }
}
