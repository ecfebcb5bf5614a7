//! WARC 1.1 (ISO 28500:2017) records of stored responses, each gzip-compressed on its own (a
//! `.warc.gz` that tools can seek in). Pure: responses in, bytes out.
//!
//! Per stored response: a `response` record (the status line, the headers as received, the
//! body as stored) and a `request` record (the request line and headers as sent), concurrent to
//! each other. Bodies are stored decoded, so the framing headers of a compressed transfer
//! (`Content-Encoding`, `Transfer-Encoding`) were never kept and `Content-Length` is that of the
//! body written. Digests are SHA-256 in hex (`sha256:…`, RFC 3548 base 16), which warcio and
//! pywb check. Record ids are derived from the content, so exporting twice gives the same file.

use std::io::Write;

use sha2::Digest as _;

use crate::store::{RawResponse, sha256_hex};

/// The record id of `parts`: a version-8 UUID from their SHA-256.
fn record_id(parts: &[&[u8]]) -> String {
    let mut bytes = Vec::new();
    for p in parts {
        bytes.extend_from_slice(&(p.len() as u64).to_be_bytes());
        bytes.extend_from_slice(p);
    }
    let digest = sha2::Sha256::digest(&bytes);
    let mut id = [0u8; 16];
    id.copy_from_slice(&digest[..16]);
    format!("<urn:uuid:{}>", uuid::Uuid::new_v8(id))
}

/// WARC-Date: RFC 3339, UTC, with the stored milliseconds (WARC 1.1 allows fractions).
fn warc_date(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts).map_or_else(
        |_| ts.to_string(),
        |d| {
            d.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        },
    )
}

/// One record, gzip-compressed on its own.
fn record(headers: &[(&str, String)], block: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut head = String::from("WARC/1.1\r\n");
    for (name, value) in headers {
        // a value never carries a line break into the record's header
        let value: String = value.chars().filter(|c| !c.is_control()).collect();
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", block.len()));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(head.as_bytes())?;
    gz.write_all(block)?;
    gz.write_all(b"\r\n\r\n")?;
    gz.finish()
}

/// The `warcinfo` record that opens a file.
pub fn warcinfo(filename: &str, now: &str, description: &str) -> std::io::Result<Vec<u8>> {
    let fields = format!(
        "software: policywatch/{}\r\nformat: WARC File Format 1.1\r\nconformsTo: https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/\r\ndescription: {}\r\n",
        env!("CARGO_PKG_VERSION"),
        description.replace(['\r', '\n'], " ")
    );
    record(
        &[
            ("WARC-Type", "warcinfo".into()),
            (
                "WARC-Record-ID",
                record_id(&[b"warcinfo", filename.as_bytes(), now.as_bytes()]),
            ),
            ("WARC-Date", warc_date(now)),
            ("WARC-Filename", filename.to_string()),
            ("Content-Type", "application/warc-fields".into()),
            (
                "WARC-Block-Digest",
                format!("sha256:{}", sha256_hex(fields.as_bytes())),
            ),
        ],
        fields.as_bytes(),
    )
}

/// The status line and header block of a stored response (reconstructed, with status 200 and
/// its `Content-Type`, for responses stored before they were kept whole).
pub fn response_head(r: &RawResponse) -> String {
    let status = r.status.unwrap_or(200);
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
    match &r.headers {
        Some(h) => head.push_str(h),
        None => {
            if let Some(ct) = &r.content_type {
                head.push_str(&format!("Content-Type: {ct}\r\n"));
            }
        }
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", r.body.len()));
    head
}

/// The request as sent (or, for responses stored before requests were kept, its request line
/// and `Host`).
fn request_head(r: &RawResponse) -> String {
    match &r.request {
        Some(req) => format!("{req}\r\n"),
        None => {
            let url = url::Url::parse(&r.url).ok();
            let target = url.as_ref().map_or_else(
                || "/".to_string(),
                |u| match u.query() {
                    Some(q) => format!("{}?{q}", u.path()),
                    None => u.path().to_string(),
                },
            );
            let host = url
                .as_ref()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            format!("GET {target} HTTP/1.1\r\nHost: {host}\r\n\r\n")
        }
    }
}

/// The `response` and `request` records of one stored response.
pub fn exchange(r: &RawResponse) -> std::io::Result<Vec<u8>> {
    let head = response_head(r);
    let mut block = Vec::with_capacity(head.len() + r.body.len());
    block.extend_from_slice(head.as_bytes());
    block.extend_from_slice(&r.body);
    let body_hash = sha256_hex(&r.body);
    let response_id = record_id(&[
        b"response",
        r.target.as_bytes(),
        r.fetched_at.as_bytes(),
        body_hash.as_bytes(),
    ]);
    let date = warc_date(&r.fetched_at);
    let mut out = record(
        &[
            ("WARC-Type", "response".into()),
            ("WARC-Record-ID", response_id.clone()),
            ("WARC-Date", date.clone()),
            ("WARC-Target-URI", r.url.clone()),
            ("Content-Type", "application/http;msgtype=response".into()),
            ("WARC-Payload-Digest", format!("sha256:{body_hash}")),
            (
                "WARC-Block-Digest",
                format!("sha256:{}", sha256_hex(&block)),
            ),
        ],
        &block,
    )?;
    let request = request_head(r);
    out.extend(record(
        &[
            ("WARC-Type", "request".into()),
            (
                "WARC-Record-ID",
                record_id(&[b"request", response_id.as_bytes()]),
            ),
            ("WARC-Date", date),
            ("WARC-Target-URI", r.url.clone()),
            ("WARC-Concurrent-To", response_id),
            ("Content-Type", "application/http;msgtype=request".into()),
            (
                "WARC-Block-Digest",
                format!("sha256:{}", sha256_hex(request.as_bytes())),
            ),
        ],
        request.as_bytes(),
    )?);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(headers: Option<&str>) -> RawResponse {
        RawResponse {
            id: 1,
            target: "pp".into(),
            fetched_at: "2025-11-03T18:13:28.000Z".into(),
            url: "https://www.linkedin.com/legal/privacy-policy?x=1".into(),
            content_type: Some("text/html".into()),
            status: headers.map(|_| 200),
            headers: headers.map(str::to_string),
            request: None,
            body: b"<p>We train AI.</p>".to_vec(),
        }
    }

    fn gunzip(bytes: &[u8]) -> String {
        let mut out = String::new();
        std::io::Read::read_to_string(&mut flate2::read::MultiGzDecoder::new(bytes), &mut out)
            .unwrap();
        out
    }

    #[test]
    fn an_exchange_is_two_records_with_digests_of_what_they_hold() {
        let r = raw(Some(
            "Content-Type: text/html; charset=utf-8\r\nETag: \"x\"\r\n",
        ));
        let text = gunzip(&exchange(&r).unwrap());
        let records: Vec<&str> = text.split("WARC/1.1\r\n").skip(1).collect();
        assert_eq!(records.len(), 2, "{text}");
        let response = records[0];
        assert!(response.contains("WARC-Type: response\r\n"));
        assert!(
            response
                .contains("WARC-Target-URI: https://www.linkedin.com/legal/privacy-policy?x=1\r\n")
        );
        assert!(response.contains("WARC-Date: 2025-11-03T18:13:28.000Z\r\n"));
        assert!(response.contains(&format!(
            "WARC-Payload-Digest: sha256:{}\r\n",
            sha256_hex(&r.body)
        )));
        let block_start = response.find("\r\n\r\n").unwrap() + 4;
        let block = &response[block_start..response.len() - 4];
        assert!(block.starts_with("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nETag: \"x\"\r\nContent-Length: 19\r\n\r\n<p>We train AI.</p>"), "{block}");
        assert!(response.contains(&format!(
            "WARC-Block-Digest: sha256:{}\r\n",
            sha256_hex(block.as_bytes())
        )));
        assert!(response.contains(&format!("Content-Length: {}\r\n", block.len())));
        let request = records[1];
        assert!(
            request.contains("WARC-Type: request")
                && request.contains(
                    "GET /legal/privacy-policy?x=1 HTTP/1.1\r\nHost: www.linkedin.com\r\n"
                )
        );
        let id = response
            .split("WARC-Record-ID: ")
            .nth(1)
            .unwrap()
            .split("\r\n")
            .next()
            .unwrap();
        assert!(
            request.contains(&format!("WARC-Concurrent-To: {id}")) && id.starts_with("<urn:uuid:")
        );
        // the same response exports to the same bytes
        assert_eq!(exchange(&r).unwrap(), exchange(&r).unwrap());
    }

    #[test]
    fn a_response_stored_before_headers_were_kept_gets_a_plain_head() {
        let text = gunzip(&exchange(&raw(None)).unwrap());
        assert!(
            text.contains(
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 19\r\n\r\n"
            ),
            "{text}"
        );
    }
}
