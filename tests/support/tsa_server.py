"""A loopback RFC 3161 time-stamping authority built on `openssl ts -reply`, for tests.

usage: tsa_server.py DIR [PORT]   (DIR holds ca.pem, tsa.pem, tsa.key; made by the test)
Prints the port it listens on (PORT, or one the system picks). A file DIR/refuse makes it answer 503; DIR/requests counts the
queries it answered.
"""
import http.server
import os
import subprocess
import sys
import tempfile

DIR = sys.argv[1]
CONFIG = os.path.join(DIR, "ts.cnf")
with open(CONFIG, "w") as f:
    f.write(f"""[ tsa ]
default_tsa = tsa_config1
[ tsa_config1 ]
serial = {DIR}/tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
""")
with open(os.path.join(DIR, "tsaserial"), "w") as f:
    f.write("01\n")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if os.path.exists(os.path.join(DIR, "refuse")):
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        with tempfile.TemporaryDirectory() as tmp:
            q, r = os.path.join(tmp, "q.tsq"), os.path.join(tmp, "r.tsr")
            with open(q, "wb") as f:
                f.write(query)
            subprocess.run(
                ["openssl", "ts", "-reply", "-config", CONFIG, "-queryfile", q,
                 "-signer", os.path.join(DIR, "tsa.pem"), "-inkey", os.path.join(DIR, "tsa.key"),
                 "-out", r],
                check=True, capture_output=True)
            with open(r, "rb") as f:
                body = f.read()
        with open(os.path.join(DIR, "requests"), "a") as f:
            f.write("1\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", int(sys.argv[2]) if len(sys.argv) > 2 else 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
