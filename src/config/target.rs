//! One `[[target]]`: its id, URL, selectors, schedule, limits, language and document, checked.

use super::raw::RawTarget;
use super::*;

impl Validator<'_> {
    pub(super) fn target(&mut self, name: &str, raw: RawTarget, d: &Defaults) -> Option<Target> {
        let before = self.errors.len();
        let language = match &raw.language {
            None => Some("en".to_string()),
            Some(l) if crate::extract::language_tag(l.get_ref()).is_some() => {
                crate::extract::language_tag(l.get_ref())
            }
            Some(l) => {
                self.err(
                    l.span().start,
                    &format!("{name}.language"),
                    format!(
                        "invalid language {:?}: a BCP 47 tag such as \"de\" or \"pt-BR\"",
                        l.get_ref()
                    ),
                );
                None
            }
        };
        let id = TargetId::parse(raw.id.get_ref())
            .map_err(|m| self.err(raw.id.span().start, &format!("{name}.id"), m))
            .ok();
        let kind = match raw
            .kind
            .as_ref()
            .map(|k| (k.get_ref().as_str(), k.span().start))
        {
            None | Some(("page", _)) => Kind::Page,
            Some(("feed", _)) => Kind::Feed,
            Some(("ota", _)) => Kind::Ota,
            Some(("links", _)) => Kind::Links,
            Some((other, at)) => {
                let msg = format!(
                    "unknown kind {other:?}, expected \"page\", \"feed\", \"links\" or \"ota\""
                );
                self.err(at, &format!("{name}.kind"), msg);
                Kind::Page
            }
        };
        // an `ota` target reads its file's commit feed; pages and feeds their `url`
        let (ota, url) = match (kind, &raw.url) {
            (Kind::Ota, None) => match self.ota_target(name, &raw, &d.ota) {
                Some((ota, feed)) => (Some(ota), Some(feed)),
                None => (None, None),
            },
            (Kind::Ota, Some(u)) => {
                self.err(
                    u.span().start,
                    &format!("{name}.url"),
                    "an ota target is read from its repository and path: drop the url",
                );
                (None, None)
            }
            (_, Some(u)) => (None, self.url(&format!("{name}.url"), u)),
            (_, None) => {
                self.err(
                    raw.id.span().start,
                    &format!("{name}.url"),
                    "missing: the address of the page or feed",
                );
                (None, None)
            }
        };
        for (key, set) in [
            ("repository", raw.repository.as_ref().map(Spanned::span)),
            ("path", raw.path.as_ref().map(Spanned::span)),
        ] {
            if let Some(span) = set.filter(|_| kind != Kind::Ota) {
                self.err(
                    span.start,
                    &format!("{name}.{key}"),
                    "only ota targets take this",
                );
            }
        }
        let select_key = format!("{name}.select");
        let select = self.selectors(
            &select_key,
            raw.select.as_ref().map(|s| s.get_ref().as_slice()),
        );
        let already = self
            .errors
            .iter()
            .any(|e| e.key.as_deref() == Some(select_key.as_str()));
        match (&raw.select, kind) {
            (Some(s), Kind::Page) if s.get_ref().is_empty() => self.err(
                s.span().start,
                &select_key,
                "must list at least one CSS selector",
            ),
            (None, Kind::Page | Kind::Links) if !already => self.err(
                raw.id.span().start,
                &select_key,
                "missing: give the CSS selectors of the text to keep",
            ),
            (Some(s), Kind::Feed | Kind::Ota) => self.err(
                s.span().start,
                &select_key,
                "only pages take selectors (feeds and ota versions are read whole)",
            ),
            _ => {}
        }
        for (key, set) in [
            ("follow_links", raw.follow_links.as_ref().map(Spanned::span)),
            (
                "follow_private",
                raw.follow_private.as_ref().map(Spanned::span),
            ),
            ("max_items", raw.max_items.as_ref().map(Spanned::span)),
        ] {
            // an ota target reads at most `max_items` commits per check
            let refused = match kind {
                Kind::Page => true,
                Kind::Ota => key != "max_items",
                Kind::Feed | Kind::Links => false,
            };
            if let (Some(span), true) = (set, refused) {
                self.err(
                    span.start,
                    &format!("{name}.{key}"),
                    "only feed targets take this",
                );
            }
        }
        let remove = self.selectors(&format!("{name}.remove"), Some(&raw.remove));
        let schedule = match raw.schedule.as_ref() {
            Some(s) => self.schedule(&format!("{name}.schedule"), Some(s)),
            None => Some(d.schedule.clone()),
        };
        let timeout = match raw.timeout.as_ref() {
            Some(t) => self.duration(&format!("{name}.timeout"), Some(t), d.timeout),
            None => d.timeout,
        };
        let max_body = match raw.max_body.as_ref() {
            Some(m) => self.size(&format!("{name}.max_body"), Some(m), d.max_body),
            None => d.max_body,
        };
        let user_agent = self.user_agent(
            &format!("{name}.user_agent"),
            raw.user_agent.as_ref(),
            &d.user_agent,
        );
        if self.errors.len() > before {
            return None;
        }
        let id = id?;
        let document = raw
            .document
            .as_ref()
            .map_or_else(|| id.to_string(), |d| d.get_ref().trim().to_string());
        let extract_key = {
            let select: Vec<&str> = select.iter().map(extract::CssSelector::source).collect();
            let remove: Vec<&str> = remove.iter().map(extract::CssSelector::source).collect();
            let min_chars = raw
                .min_chars
                .as_ref()
                .map_or(d.min_chars, |m| *m.get_ref() as usize);
            let max_items = raw.max_items.as_ref().map_or(500, |m| *m.get_ref());
            let key = format!(
                "{kind:?}|{select:?}|{remove:?}|{min_chars}|{max_items}|{}",
                env!("CARGO_PKG_VERSION")
            );
            format!("{:x}", sha2::Sha256::digest(key.as_bytes()))
        };
        Some(Target {
            extract_key,
            name: raw.name.unwrap_or_else(|| id.to_string()),
            id,
            url: url?,
            kind,
            rules: extract::Rules {
                select,
                remove,
                min_chars: raw
                    .min_chars
                    .map_or(d.min_chars, |m| m.into_inner() as usize),
            },
            schedule: schedule?,
            timeout,
            max_body,
            user_agent,
            enabled: raw.enabled.unwrap_or(true),
            follow_links: raw.follow_links.is_some_and(|f| *f.get_ref()),
            follow_private: raw.follow_private.is_some_and(|f| *f.get_ref()),
            max_items: raw
                .max_items
                .map_or(500, |m| (*m.get_ref()).max(1) as usize),
            ota,
            // set by the watchlist, which knows `[store]`'s default
            keep_snapshots: None,
            region: raw
                .region
                .map(|r| r.into_inner().trim().to_string())
                .filter(|r| !r.is_empty()),
            language_set: raw.language.is_some(),
            language: language?,
            document,
        })
    }
}
