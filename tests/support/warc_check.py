"""Reads a WARC with warcio, every digest checked, and compares each response's payload with
the raw bodies stored in policywatch's database (deflate-compressed), in order.

usage: warc_check.py FILE.warc.gz DB  ->  prints "ok N" or raises
"""
import sqlite3
import sys
import zlib

from warcio.archiveiterator import ArchiveIterator

warc, db = sys.argv[1], sys.argv[2]
stored = [
    zlib.decompress(body, -15)
    for (body,) in sqlite3.connect(db).execute("SELECT body FROM snapshot ORDER BY id")
]
responses, requests, infos = [], 0, 0
with open(warc, "rb") as f:
    records = ArchiveIterator(f, check_digests="raise")
    for rec in records:
        if rec.rec_type == "warcinfo":
            infos += 1
        elif rec.rec_type == "request":
            requests += 1
            assert rec.rec_headers.get_header("WARC-Concurrent-To")
        elif rec.rec_type == "response":
            assert rec.http_headers.get_statuscode() == "200", rec.http_headers
            assert rec.rec_headers.get_header("WARC-Payload-Digest").startswith("sha256:")
            responses.append(rec.content_stream().read())
        digests = rec.digest_checker.problems if hasattr(rec, "digest_checker") else []
        assert not digests, digests
assert infos == 1, infos
assert requests == len(responses), (requests, len(responses))
assert responses == stored, (len(responses), len(stored))
print("ok", len(responses))
