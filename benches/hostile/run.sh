#!/bin/bash
# Hostile-input bench: prints wall time and peak RSS of check-now (JSON and human), diff and
# report on pages built to make diffs quadratic (every sentence rewritten at 4.7 MB, 100,000
# paragraphs shuffled, 100,000 table rows reversed, one sentence 50,000 times with every other
# copy edited, as paragraphs and as one paragraph, one 500,000-word sentence with one word
# changed), and of check-now on 200,000 nested <div>s.
# Targets (issue 22): each at most 5 s with RSS under 100 MB on the project's 2-core machine.
# Usage: bash benches/hostile/run.sh [BINARY]  (default: a fresh release build)
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-}
if [ -z "$BIN" ]; then cargo build --release --quiet; BIN=$PWD/target/release/policywatch; fi
W=$(mktemp -d); trap 'kill $SERVER 2>/dev/null; rm -rf "$W"' EXIT
python3 benches/hostile/gen.py "$W"
python3 -c "print('<html><body><main>' + 'We train AI on your data. '*20 + '<div>'*200000 + '</main></body></html>')" > "$W/deep.new.html"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
(cd "$W" && exec python3 -m http.server "$PORT" --bind 127.0.0.1 >/dev/null 2>&1) & SERVER=$!
sleep 1
T=$(( $(date +%s) + 1000 ))
serve() { cp "$W/$1" "$W/page.html"; T=$((T + 10)); touch -d "@$T" "$W/page.html"; }
measure() { /usr/bin/time -f "%e s  %M KB" "$BIN" --watchlist "$W/wl.toml" --db "$W/t.db" "$@" 2>&1 >/dev/null | tail -1; }
cat > "$W/wl.toml" <<EOT
[defaults]
host_delay = "0s"
max_body = "5MB"
timeout = "120s"
[[target]]
id = "t"
url = "http://127.0.0.1:$PORT/page.html"
select = ["main"]
min_chars = 10
EOT
printf '%-8s %-22s %s\n' case command "wall  peak RSS"
for c in rewrite reorder rows repeat repeat1 giant; do
  for cmd in "check-now --no-mail --json" "check-now --no-mail"; do
    rm -f "$W"/t.db*; serve "$c.old.html"; "$BIN" --watchlist "$W/wl.toml" --db "$W/t.db" check-now --no-mail >/dev/null 2>&1 || true
    serve "$c.new.html"
    printf '%-8s %-22s %s\n' "$c" "${cmd% --no-mail*}${cmd#check-now --no-mail}" "$(measure $cmd)"
  done
  printf '%-8s %-22s %s\n' "$c" "diff" "$(measure diff t)"
  printf '%-8s %-22s %s\n' "$c" "report" "$(measure report --out "$W/site")"
done
rm -f "$W"/t.db*; serve deep.new.html
printf '%-8s %-22s %s\n' deep "check-now" "$(measure check-now --no-mail)"
