//! A real SMTP server (aiosmtpd, `tests/support/smtp_server.py`) on 127.0.0.1, in one of its
//! modes, with a self-signed certificate made by openssl for the TLS modes.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

pub const USER: &str = "alerts@example.com";
pub const PASSWORD: &str = "s3cret-pa55word";

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Plain,
    StartTls,
    Tls,
}

pub struct SmtpServer {
    pub port: u16,
    pub dir: TempDir,
    pub mode: Mode,
    extra: Vec<String>,
    child: Option<Child>,
}

/// A certificate rustls accepts for 127.0.0.1 (not a CA; see NOTES-stack.md).
pub fn make_cert(dir: &Path) {
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "3650",
        ])
        .args([
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        .args([
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .arg("-keyout")
        .arg(dir.join("key.pem"))
        .arg("-out")
        .arg(dir.join("cert.pem"))
        .stderr(Stdio::null())
        .status()
        .expect("openssl runs");
    assert!(
        status.success(),
        "openssl could not make a test certificate"
    );
}

impl SmtpServer {
    /// Starts a server with AUTH (user [`USER`], password [`PASSWORD`]) and `extra` fault flags.
    pub fn start(mode: Mode, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        make_cert(dir.path());
        let mut s = Self {
            port: 0,
            dir,
            mode,
            extra: extra.iter().map(|s| s.to_string()).collect(),
            child: None,
        };
        s.spawn();
        s
    }

    fn spawn(&mut self) {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/smtp_server.py");
        let mode = match self.mode {
            Mode::Plain => "plain",
            Mode::StartTls => "starttls",
            Mode::Tls => "tls",
        };
        let mut cmd = Command::new("/usr/bin/python3");
        cmd.arg(script)
            .args(["--mode", mode, "--user", USER, "--password", PASSWORD]);
        cmd.arg("--maildir").arg(self.maildir());
        cmd.arg("--cert")
            .arg(self.cert())
            .arg("--key")
            .arg(self.dir.path().join("key.pem"));
        if self.port != 0 {
            cmd.args(["--port", &self.port.to_string()]);
        }
        cmd.args(&self.extra);
        let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect(
            "the test SMTP server needs /usr/bin/python3 with aiosmtpd (Debian: python3-aiosmtpd)",
        );
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .strip_prefix("READY ")
            .unwrap_or_else(|| panic!("SMTP server did not start: {line:?}"));
        self.port = port.trim().parse().unwrap();
        self.child = Some(child);
    }

    /// Stops the server (the port stays reserved for [`Self::restart`]).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port, without the fault flags.
    pub fn restart(&mut self) {
        self.stop();
        self.extra.clear();
        self.spawn();
    }

    pub fn cert(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail")
    }

    /// The `[email]` table for this server.
    pub fn email_toml(&self, to: &[&str]) -> String {
        let security = match self.mode {
            Mode::Plain => "none",
            Mode::StartTls => "starttls",
            Mode::Tls => "tls",
        };
        let to: Vec<String> = to.iter().map(|t| format!("\"{t}\"")).collect();
        format!(
            "\n[email]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsecurity = \"{security}\"\nusername = \"{USER}\"\n\
             ca_file = \"{}\"\nfrom = \"policywatch <{USER}>\"\nto = [{}]\ntimeout = \"5s\"\n",
            self.port,
            self.cert().display(),
            to.join(", ")
        )
    }

    /// Every message received, oldest first, raw.
    pub fn messages(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(self.maildir()) else {
            return Vec::new();
        };
        let mut names: Vec<PathBuf> = entries
            .filter_map(|e| Some(e.ok()?.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A received message, parsed: headers and the decoded text and HTML parts.
pub struct Received {
    pub rcpt: String,
    pub subject: String,
    pub message_id: String,
    pub text: String,
    pub html: String,
    pub headers: Vec<(String, String)>,
}

pub fn parse(raw: &str) -> Received {
    let (rcpt_line, rest) = raw.split_once("\r\n").unwrap();
    let mail = mailparse::parse_mail(rest.as_bytes()).unwrap();
    let header = |name: &str| {
        mail.headers
            .iter()
            .find(|h| h.get_key().eq_ignore_ascii_case(name))
            .map(|h| h.get_value())
            .unwrap_or_default()
    };
    let mut text = String::new();
    let mut html = String::new();
    for part in mail
        .subparts
        .iter()
        .flat_map(|p| std::iter::once(p).chain(p.subparts.iter()))
    {
        match part.ctype.mimetype.as_str() {
            "text/plain" => text = part.get_body().unwrap(),
            "text/html" => html = part.get_body().unwrap(),
            _ => {}
        }
    }
    Received {
        rcpt: rcpt_line.trim_start_matches("X-Rcpt: ").to_string(),
        subject: header("Subject"),
        message_id: header("Message-ID"),
        text,
        html,
        headers: mail
            .headers
            .iter()
            .map(|h| (h.get_key(), h.get_value()))
            .collect(),
    }
}
