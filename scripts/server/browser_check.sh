#!/usr/bin/env bash
# The owner page at `/` of `tabveil serve`, opened by a real headless browser (Chromium).
#
#   bash scripts/server/browser_check.sh
#
# Starts a throw-away server (SQLite in a temporary directory, a free loopback port), creates
# a dataset whose name is markup, uploads a small table, then lets Chromium load the page with
# the owner's token (HTTP Basic, the token as the password, as the page asks a browser) and
# checks the DOM the browser built: the dataset is listed with its budget, its markup-laden
# name is text (no element made of it), and without credentials the browser gets no data.
#
# Environment (defaults relative to the repository root):
#   TABVEIL   the tabveil binary       (built here: cargo build -p tabveil-cli, in CARGO_TARGET_DIR or target/)
#   CHROMIUM  the browser               (chromium; Debian: apt-get install chromium)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
root=$(pwd)
chromium=${CHROMIUM:-chromium}
if [ -z "${TABVEIL:-}" ]; then
    cargo build --locked -p tabveil-cli --quiet
    TABVEIL="${CARGO_TARGET_DIR:-$root/target}/debug/tabveil"
fi
command -v "$chromium" >/dev/null || { echo "no $chromium: apt-get install chromium" >&2; exit 1; }

scratch=$(mktemp -d)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
"$TABVEIL" serve --bind "127.0.0.1:$port" --data-dir "$scratch/data" 2>"$scratch/server.log" &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; rm -rf "$scratch"' EXIT

for _ in $(seq 1 120); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    sleep 0.5
done
curl -fsS "$base/health" >/dev/null || { cat "$scratch/server.log" >&2; echo "the server did not start" >&2; exit 1; }
token=$(cat "$scratch/data/admin-token")

name='<b id="injected">ward 7</b>'
dataset=$(curl -fsS -X POST "$base/datasets" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' --data @- <<JSON | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
{"name": "$(printf '%s' "$name" | sed 's/"/\\"/g')",
 "schema": {"name": "people", "columns": [
   {"name": "age", "kind": "continuous", "min": 0, "max": 100, "integer": true},
   {"name": "city", "kind": "categorical", "categories": ["north", "south", "east"]}]},
 "epsilon_total": 3, "delta": 1e-5}
JSON
)
python3 -c 'import random
random.seed(0)
cities = ("north", "south", "east")
print("age,city")
for i in range(300):
    print(random.randint(18, 90), random.choice(cities), sep=",")' >"$scratch/table.csv"
curl -fsS -X PUT "$base/datasets/$dataset/table" -H "authorization: Bearer $token" \
    -H 'content-type: text/csv' --data-binary @"$scratch/table.csv" >/dev/null

browse() { # url → the DOM Chromium built
    "$chromium" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
        --user-data-dir="$scratch/profile" --dump-dom "$1" 2>>"$scratch/browser.log"
}

dom=$(browse "http://owner:$token@127.0.0.1:$port/")
fail() { echo "owner page: $1" >&2; printf '%s\n' "$dom" >&2; exit 1; }
grep -q "$dataset" <<<"$dom" || fail "the dataset id is not on the page"
grep -qF '&lt;b id="injected"&gt;ward 7&lt;/b&gt;' <<<"$dom" || fail "the dataset name is not shown as text"
grep -q 'id="injected"' <<<"$(sed 's/&lt;b id="injected"&gt;//g' <<<"$dom")" && fail "the dataset name became markup"
grep -qi "remaining" <<<"$dom" || fail "no budget on the page"

dom=$(browse "$base/")
grep -q "$dataset" <<<"$dom" && fail "the page showed a dataset without credentials"
echo "owner page: checked in $("$chromium" --version 2>/dev/null | head -n 1)"
