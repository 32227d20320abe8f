#!/usr/bin/env bash
# Make sure a PostgreSQL server answers at 127.0.0.1:5432 for the test suite.
# The project's machines and CI already run one; elsewhere, as root on Debian/Ubuntu, this installs
# Debian's package and starts it with trust authentication for local connections. Without root it
# only says what is missing: the PostgreSQL tests then skip with that reason.
set -u
ready() { command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; }
if ready; then exit 0; fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "ensure-postgres: no PostgreSQL at 127.0.0.1:5432 and no root apt-get to install one; PostgreSQL tests will skip" >&2
  exit 0
fi
if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
  echo "ensure-postgres: installing PostgreSQL from Debian packages" >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null || { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null; }
fi
version=$(ls /etc/postgresql | sort -n | tail -n 1)
hba=/etc/postgresql/$version/main/pg_hba.conf
if ! grep -q "dailypapers-test" "$hba"; then
  sed -i '1i host all all 127.0.0.1/32 trust # dailypapers-test\nlocal all all trust # dailypapers-test' "$hba"
fi
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster --skip-systemctl-redirect "$version" main reload
for _ in $(seq 1 30); do ready && break; sleep 0.5; done
psql -h 127.0.0.1 -U postgres -tc "select 1 from pg_database where datname='test'" | grep -q 1 || psql -h 127.0.0.1 -U postgres -c "create database test" >/dev/null
ready || { echo "ensure-postgres: PostgreSQL did not start" >&2; exit 0; }
