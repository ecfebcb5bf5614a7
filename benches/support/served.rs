//! The web view under load: the idle daemon's 20 targets, each edited once and checked again
//! (so each has a change), then `policywatch run` with `[http]` serving them; keep-alive
//! clients on 127.0.0.1 fetch the overview and a change page. Prints requests per second, the
//! median and p99 latency of each, and the daemon's RSS before and after.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

use super::{Idle, command, status_kb};

/// Clients at once.
const CLIENTS: usize = 8;
/// Requests per client per page.
const REQUESTS: usize = 250;

/// A port free on 127.0.0.1 (bound and released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One GET on a keep-alive connection; the body's length.
fn get(conn: &mut BufReader<TcpStream>, path: &str) -> usize {
    conn.get_mut()
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: bench\r\n\r\n").as_bytes())
        .unwrap();
    let mut line = String::new();
    conn.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{path}: {line}");
    let mut length = 0;
    loop {
        line.clear();
        conn.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).unwrap();
    length
}

/// `CLIENTS` threads, `REQUESTS` GETs of `path` each: (requests per second, median, p99).
fn hammer(port: u16, path: &str) -> (f64, Duration, Duration, usize) {
    let start = Instant::now();
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let path = path.to_string();
            std::thread::spawn(move || {
                let mut conn = BufReader::new(TcpStream::connect(("127.0.0.1", port)).unwrap());
                let mut size = 0;
                let times: Vec<Duration> = (0..REQUESTS)
                    .map(|_| {
                        let t = Instant::now();
                        size = get(&mut conn, &path);
                        t.elapsed()
                    })
                    .collect();
                (times, size)
            })
        })
        .collect();
    let mut all = Vec::new();
    let mut size = 0;
    for t in threads {
        let (times, s) = t.join().unwrap();
        all.extend(times);
        size = s;
    }
    let wall = start.elapsed();
    all.sort();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)];
    (
        all.len() as f64 / wall.as_secs_f64(),
        at(0.5),
        at(0.99),
        size,
    )
}

pub fn load(idle: &Idle) {
    let dir = idle.dir.path();
    let (wl, db) = (dir.join("watchlist.toml"), dir.join("pw.db"));
    let (wl, db) = (wl.to_str().unwrap(), db.to_str().unwrap());
    // one edit per page, checked: every target has a change to show
    for p in idle.pages.write().unwrap().iter_mut() {
        p.0 += 1;
    }
    let out = command()
        .args(["--watchlist", wl, "--db", db, "check-now", "--no-mail"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(dir.join("watchlist.toml")).unwrap();
    let port: u16 = text
        .split("listen = \"127.0.0.1:")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .parse()
        .unwrap();
    let change: (String, i64) = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT t.key, max(v.id) FROM version v JOIN target t ON t.id = v.target_id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    // the daemon again (its one-shot schedule has passed: it only serves)
    let mut child = command()
        .args(["--watchlist", wl, "--db", db, "run"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while TcpStream::connect(("127.0.0.1", port)).is_err() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_secs(1));
    let rss = || {
        let kb = |k: &str| status_kb(&child.id().to_string(), k) as f64 / 1024.0;
        format!(
            "RSS {:.1} MB ({:.1} MB private)",
            kb("VmRSS:"),
            kb("RssAnon:")
        )
    };
    let before = rss();
    let change_path = format!("/changes/{}-v{}.html", change.0, change.1);
    for (name, path) in [("overview", "/"), ("change page", change_path.as_str())] {
        // a warm-up pass, then the measured one
        hammer(port, path);
        let (rps, median, p99, size) = hammer(port, path);
        println!(
            "web view, 20 targets, {name} ({:.0} KB): {rps:.0} requests/s, median {:.2} ms, p99 {:.2} ms ({CLIENTS} keep-alive clients × {REQUESTS})",
            size as f64 / 1e3,
            median.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3
        );
    }
    println!(
        "web view: the daemon serving 20 targets, {before} before the load, {} after",
        rss()
    );
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert!(child.wait().unwrap().success());
}
