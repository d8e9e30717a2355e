#!/bin/sh
# The entrypoint of the test's PostgreSQL image, doing what the official image's does with the
# settings compose.yaml uses: as root, own the data folder and drop to the user postgres; on an
# empty folder, initdb with POSTGRES_USER and POSTGRES_PASSWORD, password authentication over
# TCP, and the database POSTGRES_DB; then run the command (postgres) with PGDATA. Another
# command (a shell, pg_isready) runs as it is.
set -eu
: "${PGDATA:=/var/lib/postgresql/data}"
[ "${1:-}" = postgres ] || exec "$@"
if [ "$(id -u)" = 0 ]; then
  mkdir -p "$PGDATA" /var/run/postgresql
  chown -R postgres:postgres "$PGDATA" /var/run/postgresql
  chmod 700 "$PGDATA"
  exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
fi
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  user="${POSTGRES_USER:-postgres}"
  database="${POSTGRES_DB:-$user}"
  password_file="$(mktemp)"
  printf '%s\n' "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}" > "$password_file"
  initdb --username="$user" --pwfile="$password_file" --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$password_file"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  if [ "$database" != postgres ]; then
    pg_ctl --wait --silent --options="-c listen_addresses=''" start
    psql --quiet --username="$user" --dbname=postgres --command="CREATE DATABASE \"$database\""
    pg_ctl --wait --silent --mode=fast stop
  fi
  echo "PostgreSQL initialised in $PGDATA (user $user, database $database)"
fi
exec "$@"
