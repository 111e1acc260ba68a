#!/usr/bin/env bash
# The secrets compose mounts (docker-compose.yml `secrets:`), made once per installation and never committed:
# the database password, the audit chain's HMAC key, the 個人番号 encryption key (Fernet), and a self-signed TLS
# certificate for a first start — replace secrets/tls.crt and secrets/tls.key with the ward's own certificate.
# Usage: deploy/make-secrets.sh [DIR] [HOSTNAME]   (DIR default ./secrets; an existing file is never overwritten)
set -euo pipefail
dir=${1:-secrets}
host=${2:-${INTAKE_HOSTNAME:-yoshin.ward.local}}
umask 077
mkdir -p "$dir"
chmod 0700 "$dir"   # only root on the host reaches the files; inside, each container's user reads its own mount
make() {  # make NAME COMMAND...
  local f="$dir/$1"; shift
  if [ -e "$f" ]; then echo "kept $f"; return; fi
  "$@" >"$f"
  chmod 0444 "$f"
  echo "made $f"
}
make postgres_password openssl rand -hex 24
make audit_key openssl rand -hex 32
make my_number_key sh -c "openssl rand -base64 32 | tr '+/' '-_'"
if [ ! -e "$dir/tls.crt" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$host" -addext "subjectAltName=DNS:$host" \
    -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  chmod 0444 "$dir/tls.crt" "$dir/tls.key"
  echo "made $dir/tls.crt and $dir/tls.key (self-signed for $host: replace with the ward's certificate)"
fi
