#!/usr/bin/env bash
# Installs and starts a real S3-compatible server (versitygw, posix back end)
# on loopback for the internal/blob S3 conformance tests.
#
# Usage (as root on Debian, no Docker needed; idempotent, safe to re-run):
#   eval "$(bash .ci/services/s3.sh)"
# stdout carries only `export ...` lines for the tests; progress goes to stderr.
# It prints:
#   export TRACEMARK_TEST_S3=http://ACCESS:SECRET@127.0.0.1:PORT/BUCKET
# The bucket itself is created by the blob/s3 back end when missing.
#
# Settings (environment, all optional):
#   TRACEMARK_S3_PORT  listen port on 127.0.0.1 (default 7070)
#   TRACEMARK_S3_DIR   state directory: data, pid file and log (default /var/lib/tracemark-s3)
# Stop it: kill "$(cat "${TRACEMARK_S3_DIR:-/var/lib/tracemark-s3}/versitygw.pid")"
set -euo pipefail

version=v1.8.0
port=${TRACEMARK_S3_PORT:-7070}
dir=${TRACEMARK_S3_DIR:-/var/lib/tracemark-s3}
access=tracemarktest
secret=tracemarktestsecret
bucket=tracemark-test
log() { printf 's3.sh: %s\n' "$*" >&2; }

export PATH="$PATH:/usr/local/go/bin"
gobin=$(go env GOBIN)
[ -n "$gobin" ] || gobin="$(go env GOPATH)/bin"
bin="$gobin/versitygw"

# Build versitygw at the pinned version unless that exact version is present.
if ! { [ -x "$bin" ] && go version -m "$bin" 2>/dev/null | grep -q "mod[[:space:]]*github.com/versity/versitygw[[:space:]]*$version"; }; then
	log "building versitygw $version (about 2 minutes on 2 cores)"
	go install "github.com/versity/versitygw/cmd/versitygw@$version" >&2
fi

mkdir -p "$dir/data"
pidfile="$dir/versitygw.pid"
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }

if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null && ready; then
	log "versitygw already running (pid $(cat "$pidfile")) on 127.0.0.1:$port"
else
	if ready; then
		log "port 127.0.0.1:$port is taken by another process; set TRACEMARK_S3_PORT"
		exit 1
	fi
	log "starting versitygw on 127.0.0.1:$port, data in $dir/data"
	ROOT_ACCESS_KEY="$access" ROOT_SECRET_KEY="$secret" \
		setsid nohup "$bin" --port "127.0.0.1:$port" posix "$dir/data" \
		>"$dir/versitygw.log" 2>&1 </dev/null &
	echo $! >"$pidfile"
	for _ in $(seq 1 100); do
		ready && break
		if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
			log "versitygw exited at start; its log:"
			cat "$dir/versitygw.log" >&2
			exit 1
		fi
		sleep 0.1
	done
	ready || { log "versitygw did not answer on 127.0.0.1:$port within 10 s"; exit 1; }
fi

echo "export TRACEMARK_TEST_S3=http://$access:$secret@127.0.0.1:$port/$bucket"
