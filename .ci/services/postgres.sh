#!/usr/bin/env bash
# Installs Debian's PostgreSQL and starts a test cluster on loopback for the
# internal/store conformance tests.
#
# Usage (as root on Debian, no Docker and no systemd needed; idempotent, safe
# to re-run):
#   eval "$(bash .ci/services/postgres.sh)"
# stdout carries only `export ...` lines for the tests; progress goes to stderr.
# It prints:
#   export TRACEMARK_TEST_POSTGRES=postgres://tracemark:PASSWORD@127.0.0.1:PORT/tracemark_test?sslmode=disable
# The role owns that database and may create databases; each test run of
# storetest works in a fresh schema of its own, so runs do not collide.
#
# The cluster is named "tracemark", separate from Debian's "main" cluster, and
# is tuned for tests (fsync off): never keep real evidence in it.
#
# Settings (environment, all optional):
#   TRACEMARK_PG_PORT  listen port on 127.0.0.1 (default 55432)
# Stop it: pg_ctlcluster <version> tracemark stop
set -euo pipefail

port=${TRACEMARK_PG_PORT:-55432}
cluster=tracemark
role=tracemark
password=tracemarktest
db=tracemark_test
log() { printf 'postgres.sh: %s\n' "$*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || ! command -v pg_createcluster >/dev/null; then
	log "installing Debian's postgresql"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	apt-get install -y -qq postgresql >&2
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)

if ! pg_lsclusters -h | awk -v c="$cluster" -v v="$version" '$1 == v && $2 == c { found = 1 } END { exit !found }'; then
	log "creating cluster $version/$cluster on 127.0.0.1:$port"
	pg_createcluster "$version" "$cluster" --port "$port" -- --auth-local=peer --auth-host=scram-sha-256 >&2
fi
conf=/etc/postgresql/$version/$cluster/conf.d/tracemark-test.conf
cat >"$conf" <<CONF
# Written by .ci/services/postgres.sh: a throw-away cluster for tests.
listen_addresses = '127.0.0.1'
port = $port
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 200
CONF

status=$(pg_lsclusters -h | awk -v c="$cluster" -v v="$version" '$1 == v && $2 == c { print $4 }')
if [ "$status" = online ]; then
	# Picks up a changed conf.d file; cheap when nothing changed.
	pg_ctlcluster "$version" "$cluster" reload >&2
	log "cluster $version/$cluster already running"
else
	log "starting cluster $version/$cluster"
	pg_ctlcluster "$version" "$cluster" start >&2
fi
actual=$(pg_lsclusters -h | awk -v c="$cluster" -v v="$version" '$1 == v && $2 == c { print $3 }')
if [ "$actual" != "$port" ]; then
	log "cluster $version/$cluster listens on port $actual, not $port: restarting"
	pg_ctlcluster "$version" "$cluster" restart >&2
fi

psql_admin() { runuser -u postgres -- psql -p "$port" -X -q -v ON_ERROR_STOP=1 "$@"; }
for _ in $(seq 1 50); do
	psql_admin -c 'select 1' >/dev/null 2>&1 && break
	sleep 0.2
done
psql_admin -d postgres >&2 <<SQL
DO \$\$ BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$role') THEN
		CREATE ROLE $role LOGIN CREATEDB PASSWORD '$password';
	ELSE
		ALTER ROLE $role LOGIN CREATEDB PASSWORD '$password';
	END IF;
END \$\$;
SQL
if [ -z "$(psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'")" ]; then
	psql_admin -d postgres -c "CREATE DATABASE $db OWNER $role" >&2
fi

echo "export TRACEMARK_TEST_POSTGRES='postgres://$role:$password@127.0.0.1:$port/$db?sslmode=disable'"
