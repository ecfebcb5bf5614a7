#!/usr/bin/python3
"""Hostile diff cases for benches/hostile/run.sh: pairs of pages (CASE.old.html, CASE.new.html)
under the default 5 MB cap, written into the folder given as the first argument."""
import os
import sys
import random
out = sys.argv[1]
random.seed(1)
W = "data members profile posts training models services partners affiliates privacy settings content jobs groups".split()
def sent(i, tag=""):
    r = random.Random(i)
    return "We " + " ".join(r.choice(W) for _ in range(12)) + f" number {i}{tag}."
def page(body): return "<html><body><main>" + body + "</main></body></html>"
cases = {}
# a) every sentence rewritten, ~4.9MB: paragraphs of 5 sentences
n = 4_700_000 // 118
paras_old = ["<p>" + " ".join(sent(i*5+k) for k in range(5)) + "</p>" for i in range(n//5)]
paras_new = ["<p>" + " ".join(sent(i*5+k, " revised") for k in range(5)) + "</p>" for i in range(n//5)]
cases["rewrite"] = ("".join(paras_old), "".join(paras_new))
# b) 100,000 paragraphs reordered
ps = [f"<p>Paragraph {i} is about your data.</p>" for i in range(100_000)]
sh = ps[:]; random.shuffle(sh)
cases["reorder"] = ("".join(ps), "".join(sh))
# c) 100,000 table rows reversed
rows = [f"<tr><td>{i}</td><td>row {i}</td></tr>" for i in range(100_000)]
cases["rows"] = ("<table>" + "".join(rows) + "</table>", "<table>" + "".join(reversed(rows)) + "</table>")
# d) one sentence repeated 50,000 times, every other copy edited (paragraphs)
s = "We may use your profile data to train generative AI models."
e = "We may use your profile data to train generative AI models and share them."
cases["repeat"] = ("".join(f"<p>{s}</p>" for _ in range(50_000)), "".join(f"<p>{s if i%2 else e}</p>" for i in range(50_000)))
# e) same, in one paragraph
cases["repeat1"] = ("<p>" + " ".join(s for _ in range(50_000)) + "</p>", "<p>" + " ".join(s if i%2 else e for i in range(50_000)) + "</p>")
# f) one sentence of 500,000 words (a page with no full stops), one word changed
words = [random.choice(W) for _ in range(500_000)]
edited = list(words); edited[250_000] = "never"
cases["giant"] = ("<p>" + " ".join(words) + "</p>", "<p>" + " ".join(edited) + "</p>")
for k,(a,b) in cases.items():
    open(os.path.join(out, f"{k}.old.html"), "w").write(page(a)); open(os.path.join(out, f"{k}.new.html"), "w").write(page(b))
