//! Each channel's payload for a [`Notice`]: pure, one function per kind, pinned by snapshot
//! files in `snapshots/`.

use serde_json::{Value, json};

use super::notice::{MAX_QUOTED, Notice};
use crate::classify::Severity;

/// The webhook document's schema version (README documents it).
pub const WEBHOOK_SCHEMA: u32 = 1;

/// At most this many characters of a quoted sentence in chat.
const QUOTE_CHARS: usize = 400;
/// At most this many digest lines in chat (the rest: a count).
const DIGEST_LINES: usize = 10;

fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

fn quotes(n: &Notice) -> impl Iterator<Item = (&'static str, String)> + '_ {
    n.sentences
        .iter()
        .take(MAX_QUOTED)
        .map(|(side, s)| (*side, cut(&crate::extract::visible(s), QUOTE_CHARS)))
}

fn lines(n: &Notice) -> Vec<String> {
    let mut out: Vec<String> = n
        .lines
        .iter()
        .take(DIGEST_LINES)
        .map(|l| cut(l, 300))
        .collect();
    if n.lines.len() > DIGEST_LINES {
        out.push(format!("… and {} more", n.lines.len() - DIGEST_LINES));
    }
    out
}

/// The signed webhook document: everything the event says, machine-readable. `id` is the
/// event's stable id (also the `Idempotency-Key` header); `sent_at` lets a receiver refuse
/// replays.
pub fn webhook(n: &Notice, id: &str, sent_at: &str) -> Value {
    json!({
        "schema": WEBHOOK_SCHEMA,
        "id": id,
        "event": n.event,
        "sent_at": sent_at,
        "title": n.title,
        "target": n.target,
        "name": n.name,
        "url": n.url,
        "versions": n.versions.map(|(old, new)| json!({"old": old, "new": new})),
        "severity": n.severity,
        "ai_relevant": n.ai_relevant,
        "summary": n.summary,
        "facts_changed": n.facts_changed,
        "sentences": n.sentences.iter().map(|(side, s)| json!({"side": side, "text": s})).collect::<Vec<_>>(),
        "diff_command": n.diff_command,
        "lines": n.lines,
    })
}

fn severity_label(n: &Notice) -> String {
    match (n.event, n.severity) {
        ("alert", Severity::None) => "update notice".into(),
        ("alert", s) if n.ai_relevant => format!("AI-relevant · {s}"),
        ("alert", s) => s.to_string(),
        (e, _) => e.to_string(),
    }
}

/// Slack mrkdwn text: `&`, `<` and `>` escaped, so page text cannot make links or mentions.
fn mrkdwn(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// A Slack Block Kit message: title, severity, summary, up to three quoted sentences, link.
pub fn slack(n: &Notice) -> Value {
    let mut blocks = vec![
        json!({"type": "header", "text": {"type": "plain_text", "text": cut(&n.title, 140)}}),
        json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("*{}*\n{}", mrkdwn(&severity_label(n)), mrkdwn(&n.summary))}}),
    ];
    for (side, q) in quotes(n) {
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": format!("_{side}:_\n>{}", mrkdwn(&q))}}));
    }
    let digest = lines(n);
    if !digest.is_empty() {
        let text = digest
            .iter()
            .map(|l| format!("• {}", mrkdwn(l)))
            .collect::<Vec<_>>()
            .join("\n");
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": text}}));
    }
    if let Some(url) = &n.url {
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("<{}|Open the document>", mrkdwn(url))}]}));
    }
    json!({"text": cut(&n.title, 300), "blocks": blocks})
}

/// A Microsoft Teams message carrying an Adaptive Card with the same content.
pub fn teams(n: &Notice) -> Value {
    let mut body = vec![
        json!({"type": "TextBlock", "text": n.title, "weight": "Bolder", "size": "Medium", "wrap": true}),
        json!({"type": "TextBlock", "text": severity_label(n), "isSubtle": true, "spacing": "None"}),
        json!({"type": "TextBlock", "text": n.summary, "wrap": true}),
    ];
    for (side, q) in quotes(n) {
        body.push(json!({"type": "TextBlock", "text": format!("{side}: “{q}”"), "wrap": true, "isSubtle": true}));
    }
    for l in lines(n) {
        body.push(json!({"type": "TextBlock", "text": format!("• {l}"), "wrap": true}));
    }
    let actions: Vec<Value> = n
        .url
        .iter()
        .map(|u| json!({"type": "Action.OpenUrl", "title": "Open the document", "url": u}))
        .collect();
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
                "actions": actions,
            }
        }]
    })
}

/// A Matrix `m.room.message`: plain `body` and HTML `formatted_body`.
pub fn matrix(n: &Notice) -> Value {
    use html_escape::encode_text as esc;
    let mut plain = format!("{}\n{}\n{}", n.title, severity_label(n), n.summary);
    let mut html = format!(
        "<b>{}</b><br><i>{}</i><p>{}</p>",
        esc(&n.title),
        esc(&severity_label(n)),
        esc(&n.summary)
    );
    for (side, q) in quotes(n) {
        plain.push_str(&format!("\n{side}: “{q}”"));
        html.push_str(&format!("<blockquote>{side}: {}</blockquote>", esc(&q)));
    }
    let digest = lines(n);
    if !digest.is_empty() {
        html.push_str("<ul>");
        for l in &digest {
            plain.push_str(&format!("\n• {l}"));
            html.push_str(&format!("<li>{}</li>", esc(l)));
        }
        html.push_str("</ul>");
    }
    if let Some(url) = &n.url {
        plain.push_str(&format!("\n{url}"));
        html.push_str(&format!(
            "<p><a href=\"{}\">Open the document</a></p>",
            html_escape::encode_double_quoted_attribute(url)
        ));
    }
    json!({"msgtype": "m.text", "body": plain, "format": "org.matrix.custom.html", "formatted_body": html})
}

/// An ntfy message (JSON publishing): title, priority from severity, tags, click URL.
pub fn ntfy(n: &Notice, topic: &str) -> Value {
    let priority = match (n.event, n.severity) {
        ("alert", Severity::High) => 5,
        ("alert", Severity::Medium) | ("incident", _) => 4,
        _ => 3,
    };
    let mut message = n.summary.clone();
    for (side, q) in quotes(n) {
        message.push_str(&format!("\n{side}: “{q}”"));
    }
    for l in lines(n) {
        message.push_str(&format!("\n• {l}"));
    }
    let mut tags = vec!["policywatch".to_string(), n.event.to_string()];
    if n.ai_relevant {
        tags.push("warning".into());
    }
    if n.severity > Severity::None {
        tags.push(n.severity.to_string());
    }
    let mut v = json!({
        "topic": topic,
        "title": cut(&n.title, 250),
        "message": cut(&message, 3500),
        "priority": priority,
        "tags": tags,
    });
    if let Some(url) = &n.url {
        v["click"] = json!(url);
    }
    v
}
