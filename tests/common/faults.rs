//! Misbehaving servers on 127.0.0.1 that wiremock cannot play: one that never answers, one that
//! trickles, one that lies about Content-Length, one that streams without end, and an HTTPS
//! server with a certificate nobody trusts.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

#[derive(Clone, Copy)]
pub enum Fault {
    /// Accept, read the request, never answer.
    Hang,
    /// Headers at once, then the body one byte every 300 ms.
    Trickle,
    /// Content-Length: 100000, then 100 bytes and close.
    Truncated,
    /// A chunked body of `n` bytes, as fast as the client reads.
    Endless(usize),
}

pub struct FaultServer {
    pub url: String,
    stop: Arc<AtomicBool>,
}

fn read_request(s: &mut TcpStream) {
    let mut buf = [0u8; 4096];
    let mut got = Vec::new();
    s.set_read_timeout(Some(Duration::from_secs(5))).ok();
    while !got.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

fn serve(mut s: TcpStream, fault: Fault, stop: Arc<AtomicBool>) {
    read_request(&mut s);
    let page = "<html><body><section id=\"component-container\"><p>Some policy text.</p></section></body></html>";
    match fault {
        Fault::Hang => {
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        Fault::Trickle => {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\r\n",
                page.len()
            );
            for b in page.bytes() {
                if stop.load(Ordering::SeqCst) || s.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(300));
            }
        }
        Fault::Truncated => {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100000\r\n\r\n"
            );
            let _ = s.write_all(&page.as_bytes()[..50]);
        }
        Fault::Endless(n) => {
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"
            );
            let chunk = vec![b'x'; 64 * 1024];
            let mut sent = 0;
            while sent < n && !stop.load(Ordering::SeqCst) {
                if write!(s, "{:x}\r\n", chunk.len())
                    .and_then(|_| s.write_all(&chunk))
                    .and_then(|_| s.write_all(b"\r\n"))
                    .is_err()
                {
                    return;
                }
                sent += chunk.len();
            }
            let _ = s.write_all(b"0\r\n\r\n");
        }
    }
}

impl FaultServer {
    pub fn start(fault: Fault) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/legal/privacy-policy",
            listener.local_addr().unwrap()
        );
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        listener.set_nonblocking(true).unwrap();
        std::thread::spawn(move || {
            while !flag.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((s, _)) => {
                        s.set_nonblocking(false).ok();
                        let f = Arc::clone(&flag);
                        std::thread::spawn(move || serve(s, fault, f));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        Self { url, stop }
    }
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// A URL on which nothing listens.
pub fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    drop(l);
    format!("http://127.0.0.1:{port}/legal/privacy-policy")
}

/// An HTTPS server (openssl s_server) with a self-signed certificate.
pub struct BadTlsServer {
    pub url: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl BadTlsServer {
    pub fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        super::smtp::make_cert(dir.path());
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new("openssl")
            .args(["s_server", "-quiet", "-www", "-accept", &port.to_string()])
            .arg("-cert")
            .arg(dir.path().join("cert.pem"))
            .arg("-key")
            .arg(dir.path().join("key.pem"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "openssl s_server did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Self {
            url: format!("https://127.0.0.1:{port}/legal/privacy-policy"),
            child,
            _dir: dir,
        }
    }
}

impl Drop for BadTlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
