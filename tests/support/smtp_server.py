#!/usr/bin/python3
"""A real SMTP server on 127.0.0.1 for policywatch's tests, built on aiosmtpd.

Modes: plain, STARTTLS (required) or implicit TLS, each optionally with AUTH. Every accepted
message is written as <n>.eml into --maildir (the envelope recipient in an X-Rcpt header line
before the message). Faults for tests: --reject-rcpt (550 for recipients containing it),
--tempfail N (451 for the first N messages), --drop-data N (close the connection in the middle of
the first N DATA commands), --data-delay S (answer DATA S seconds late), --stall-mail (never answer
MAIL FROM: a tarpit). Prints "READY <port>" once listening; stops on SIGTERM.
"""

import argparse
import asyncio
import logging
import os
import signal
import socket
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = len(os.listdir(args.maildir))
        self.tempfails = args.tempfail
        self.drops = args.drop_data
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.args.reject_rcpt and self.args.reject_rcpt in address:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.args.stall_mail:
            # A tarpit: greeting and EHLO answered, MAIL FROM never is.
            await asyncio.sleep(3600)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.data_delay:
            await asyncio.sleep(self.args.data_delay)
        with self.lock:
            if self.drops > 0:
                self.drops -= 1
                # Drop the connection mid-DATA: the client never sees a reply.
                server.transport.close()
                return "421 closing"
            if self.tempfails > 0:
                self.tempfails -= 1
                return "451 4.3.0 try again later"
            self.count += 1
            n = self.count
        path = os.path.join(self.args.maildir, f"{n:04}.eml")
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(("X-Rcpt: " + ",".join(envelope.rcpt_tos) + "\r\n").encode())
            f.write(envelope.original_content)
        os.rename(tmp, path)
        return "250 OK queued"


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        if isinstance(auth_data, LoginPassword):
            if auth_data.login.decode() == user and auth_data.password.decode() == password:
                return AuthResult(success=True)
        # handled=False lets aiosmtpd answer 535; handled=True would hang the client
        return AuthResult(success=False, handled=False)

    return check


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    # aiosmtpd warns about AUTH without TLS in plain mode and about its own deprecations
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    warnings.simplefilter("ignore")
    p = argparse.ArgumentParser()
    p.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--maildir", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--reject-rcpt", default="")
    p.add_argument("--tempfail", type=int, default=0)
    p.add_argument("--drop-data", type=int, default=0)
    p.add_argument("--data-delay", type=float, default=0.0)
    p.add_argument("--stall-mail", action="store_true")
    args = p.parse_args()
    os.makedirs(args.maildir, exist_ok=True)

    kwargs = {}
    if args.mode != "plain":
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.cert, args.key)
        if args.mode == "starttls":
            kwargs.update(tls_context=ctx, require_starttls=True)
        else:
            kwargs.update(ssl_context=ctx)
    if args.user:
        kwargs.update(
            authenticator=authenticator(args.user, args.password),
            auth_required=True,
            auth_require_tls=args.mode == "starttls",
        )
    port = args.port or free_port()
    controller = Controller(Handler(args), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print(f"READY {port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    sys.exit(main())
