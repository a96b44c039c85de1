#!/usr/bin/env bash
# provision.sh installs and starts what Confidant needs on a Debian 12 machine:
# PostgreSQL 15, pgvector (built from Debian's trixie source package, since
# bookworm ships none), a database role and the `confidant` database, and, with
# --browser, Debian's chromium for the browser tests. It is idempotent: every
# step checks first and does nothing when its work is already done.
set -euo pipefail

want_browser=0
for arg in "$@"; do
  case "$arg" in
    --browser) want_browser=1 ;;
    *) echo "provision.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

PG_VERSION=15
PG_BIN=/usr/lib/postgresql/$PG_VERSION/bin
DB_NAME=${CONFIDANT_DB_NAME:-confidant}
APT=(apt-get -y -q -o DPkg::Lock::Timeout=300)
export DEBIAN_FRONTEND=noninteractive

say() { printf '\033[1mprovision:\033[0m %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  SUDO=sudo
else
  SUDO=
fi

apt_updated=0
apt_update() {
  if [ "$apt_updated" = 0 ]; then
    $SUDO "${APT[@]}" update >/dev/null
    apt_updated=1
  fi
}

# install_missing installs each Debian package that is not installed yet.
install_missing() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    apt_update
    $SUDO "${APT[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_missing postgresql-$PG_VERSION postgresql-client-$PG_VERSION

# pgvector: bookworm has no package, so build the trixie source package.
if [ ! -f /usr/share/postgresql/$PG_VERSION/extension/vector.control ]; then
  install_missing postgresql-server-dev-$PG_VERSION build-essential dpkg-dev
  src_list=/etc/apt/sources.list.d/confidant-trixie-src.sources
  if [ ! -f "$src_list" ]; then
    say "adding Debian trixie source entry for pgvector"
    $SUDO tee "$src_list" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
    apt_updated=0
  fi
  apt_update
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  say "building pgvector from source"
  (cd "$work" && apt-get source --download-only -q pgvector >/dev/null 2>&1 && dpkg-source -x pgvector_*.dsc src >/dev/null 2>&1)
  (cd "$work/src" && make -s PG_CONFIG=$PG_BIN/pg_config OPTFLAGS="" >/dev/null 2>&1 && $SUDO make -s PG_CONFIG=$PG_BIN/pg_config install >/dev/null)
  say "pgvector $(sed -n "s/^default_version = '\(.*\)'/\1/p" /usr/share/postgresql/$PG_VERSION/extension/vector.control) installed"
fi

# Cluster: create if missing, start if down.
if ! pg_lsclusters -h 2>/dev/null | awk '{print $1" "$2}' | grep -q "^$PG_VERSION main$"; then
  say "creating PostgreSQL $PG_VERSION cluster"
  $SUDO pg_createcluster $PG_VERSION main >/dev/null
fi
if ! pg_lsclusters -h | awk -v v=$PG_VERSION '$1==v && $2=="main" {print $4}' | grep -q online; then
  say "starting PostgreSQL $PG_VERSION"
  $SUDO pg_ctlcluster $PG_VERSION main start
fi

# Role for the current OS user (peer authentication over the local socket) and the database.
user=$(id -un)
as_postgres() { if [ "$user" = postgres ]; then "$@"; else $SUDO runuser -u postgres -- "$@"; fi; }
if [ "$(as_postgres psql -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != 1 ]; then
  say "creating database role $user"
  as_postgres psql -qc "CREATE ROLE \"$user\" LOGIN SUPERUSER"
fi
if [ "$(as_postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]; then
  say "creating database $DB_NAME"
  as_postgres psql -qc "CREATE DATABASE \"$DB_NAME\" OWNER \"$user\""
fi

if [ "$want_browser" = 1 ]; then
  # The connector tests run real IMAP (dovecot) and CalDAV (radicale) servers on loopback;
  # Debian's policy keeps their system services from starting.
  install_missing chromium chromium-driver fonts-dejavu-core dovecot-imapd radicale
fi
say "ready"
