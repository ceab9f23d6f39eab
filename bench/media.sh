#!/usr/bin/env bash
# Media benchmark on the local-folder backend: a 1 MiB image served at 32
# connections (original, then a stored transform), and a 1 GiB upload with
# the server's peak RSS growth.
#   bash bench/media.sh            DURATION=5s bash bench/media.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-15s}
PORT=${PORT:-18083}
UPLOAD_MIB=${UPLOAD_MIB:-1024}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --locked -q
BIN=${CARGO_TARGET_DIR:-target}/release/quire

work=$(mktemp -d)
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export QUIRE_DATA_DIR=$work/data QUIRE_BIND=127.0.0.1:$PORT QUIRE_LOG=warn
export QUIRE_ADMIN_EMAIL=bench@example.com QUIRE_ADMIN_PASSWORD='a long bench passphrase'
export QUIRE_MAX_UPLOAD_BYTES=$(( (UPLOAD_MIB + 16) * 1024 * 1024 ))
BASE=http://127.0.0.1:$PORT

"$BIN" serve & pid=$!
until curl -sf "$BASE/readyz" >/dev/null; do sleep 0.05; done
TOKEN=$(curl -sf "$BASE/admin/api/auth/login" -H 'content-type: application/json' \
  -d "{\"email\": \"$QUIRE_ADMIN_EMAIL\", \"password\": \"$QUIRE_ADMIN_PASSWORD\"}" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')

# A real 1 MiB PNG: 600 x 600 pixels of noise barely compress.
python3 - "$work/noise.png" <<'PY'
import os, struct, sys, zlib
w = h = 600
rows = b"".join(b"\0" + os.urandom(w * 3) for _ in range(h))
def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
png += chunk(b"IDAT", zlib.compress(rows, 1)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
url=$(curl -sf "$BASE/admin/api/assets" -H "authorization: Bearer $TOKEN" -F file=@"$work/noise.png" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])')
echo "asset: $url ($(stat -c %s "$work/noise.png") bytes)"

load() {
  echo "## $1"
  wrk -t2 -c32 -d"$DURATION" --latency "$2" | grep -E 'Requests/sec|Transfer/sec|  (50|99)%|Non-2xx|Socket errors'
}
load "original, 32 connections" "$BASE$url"
curl -sf -o /dev/null "$BASE$url?w=580&format=png"   # made once, then stored
echo "transform: $(curl -sf "$BASE$url?w=580&format=png" | wc -c) bytes"
load "stored transform (?w=580&format=png), 32 connections" "$BASE$url?w=580&format=png"

echo "## upload of $UPLOAD_MIB MiB"
truncate -s "${UPLOAD_MIB}M" "$work/big.bin"
rss() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$pid/status"; }
before=$(rss VmRSS)
# VmHWM is the peak since start; reset it so the peak is the upload's.
echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
start=$(date +%s.%N)
curl -sf -o /dev/null "$BASE/admin/api/assets" -H "authorization: Bearer $TOKEN" -F file=@"$work/big.bin"
end=$(date +%s.%N)
peak=$(rss VmHWM)
python3 -c "print(f'uploaded in {$end - $start:.1f} s; RSS before {$before // 1024} MiB, peak {$peak // 1024} MiB, growth {($peak - $before) // 1024} MiB')"
