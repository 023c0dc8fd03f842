#!/usr/bin/env bash
# The "Redis + S3" figures of BENCHMARKS.md: starts a redis-server (no
# persistence) and a moto_server (S3, in memory; installed by
# scripts/test-deps.sh) on free loopback ports, makes a bucket, and runs
# ots-bench with the server on both (records in Redis, parts on S3):
# inline lifecycles, 8 MiB lifecycles, and a 1 GiB bulk upload/download.
# Then times moto alone serving the same 1 GiB (boto3, 8 MiB objects in
# order), to tell the server's cost from moto's.
#
#   cargo build --release -p onetimeshare --bin onetimeshare && cargo build --release -p ots-bench
#   bash bench/redis-s3.sh                  # OTS_BENCH_SECS=15 OTS_BENCH_CLIENTS=64
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS_DIR="${OTS_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/onetimeshare-tools}"
MOTO="$TOOLS_DIR/moto/bin"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}/release"
SECS="${OTS_BENCH_SECS:-15}"
CLIENTS="${OTS_BENCH_CLIENTS:-64}"

free_port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
RPORT=$(free_port)
MPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --daemonize no >/dev/null &
RPID=$!
"$MOTO/moto_server" -H 127.0.0.1 -p "$MPORT" >/dev/null 2>&1 &
MPID=$!
trap 'kill $RPID $MPID 2>/dev/null || true' EXIT
until curl -sf -o /dev/null "http://127.0.0.1:$MPORT/moto-api/"; do sleep 0.2; done
until redis-cli -p "$RPORT" ping >/dev/null 2>&1; do sleep 0.1; done
curl -sf -X PUT "http://127.0.0.1:$MPORT/ots" >/dev/null

export OTS_REDIS_URL="redis://127.0.0.1:$RPORT" OTS_BLOB_URL="s3://ots/parts"
export AWS_ENDPOINT_URL="http://127.0.0.1:$MPORT" AWS_ALLOW_HTTP=true \
  AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
BENCH=("$TARGET/ots-bench" --server-bin "$TARGET/onetimeshare" --secs "$SECS")

echo "== inline 1 KiB shares (S3 not touched), $CLIENTS clients"
"${BENCH[@]}" --clients "$CLIENTS" --bulk-bytes 0
echo "== 8 MiB shares (two parts on S3), 8 clients"
"${BENCH[@]}" --clients 8 --lifecycle-bytes 8388608 --bulk-bytes 0
echo "== 1 GiB upload and download through S3"
"${BENCH[@]}" --clients 0 --bulk-bytes 1073741824 --bulk-parallel 2

echo "== moto alone: 1 GiB as 128 objects of 8 MiB, PUT then GET in order (boto3)"
"$MOTO/python" - "$MPORT" <<'EOF'
import sys, time, boto3
s3 = boto3.client("s3", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}", region_name="us-east-1",
                  aws_access_key_id="bench", aws_secret_access_key="bench")
part = b"\x5a" * (8 << 20)
t = time.time()
for i in range(128):
    s3.put_object(Bucket="ots", Key=f"direct/{i}", Body=part)
up = time.time() - t
t = time.time()
n = 0
for i in range(128):
    body = s3.get_object(Bucket="ots", Key=f"direct/{i}")["Body"]
    for chunk in iter(lambda: body.read(1 << 20), b""):
        n += len(chunk)
down = time.time() - t
print(f"moto_direct bytes={n} put_MB/s={n/1e6/up:.0f} get_MB/s={n/1e6/down:.0f}")
EOF
