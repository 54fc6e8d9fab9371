#!/usr/bin/env bash
# A throwaway certificate authority and the certificates the local test servers use for TLS.
#
#   scripts/tls.sh [DIR]     (default: $ORMADA_TLS_DIR, else /tmp/ormada-tls)
#
# Made once with openssl and kept; anything missing (or a certificate expiring within a day) is
# made again, so the script is safe to run before every test run. The files:
#
#   ca.pem              the test CA: what clients pass as sslrootcert / ssl_ca
#   server.pem, .key    the servers' certificate: CN and SAN DNS:localhost only, so that verify-full
#                       passes for localhost and fails for 127.0.0.1 (the hostname mismatch case)
#   cassandra.pem, .key Cassandra's own certificate: SAN DNS:localhost and IP:127.0.0.1, since
#                       cassandra-driver checks a node's certificate against the node's address
#   cassandra.p12       that key and chain as the PKCS#12 keystore the node reads (password below)
#   client.pem, .key    a client certificate (CN ormada_secure) signed by the test CA
#   other-ca.pem        an unrelated CA: the "wrong CA" case
#   postgresql/, mysql/ copies of server.key owned by the server's user (PostgreSQL and MariaDB
#                       refuse a key another user can read)
set -euo pipefail

DIR=${1:-${ORMADA_TLS_DIR:-/tmp/ormada-tls}}
P12_PASSWORD=ormada-tls
DAYS=3650

say() { echo "tls: $*"; }

fresh() {  # fresh CERT: true when CERT exists and is valid for at least one more day
  [ -s "$1" ] && openssl x509 -checkend 86400 -noout -in "$1" >/dev/null 2>&1
}

command -v openssl >/dev/null || { echo "tls: openssl is missing (Debian: apt-get install openssl)" >&2; exit 1; }
mkdir -p "$DIR"
chmod 755 "$DIR"
cd "$DIR"

made=""
if ! fresh ca.pem || [ ! -s ca.key ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days "$DAYS" \
    -subj "/CN=ormada test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  rm -f server.pem cassandra.pem client.pem  # signed by the old CA
  made+=" ca"
fi
if ! fresh other-ca.pem; then
  openssl req -x509 -newkey rsa:2048 -nodes -keyout other-ca.key -out other-ca.pem -days "$DAYS" \
    -subj "/CN=ormada unrelated CA" -addext "basicConstraints=critical,CA:TRUE" 2>/dev/null
  made+=" other-ca"
fi

sign() {  # sign NAME SUBJECT EXTENSIONS
  openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$1.pem" -days "$DAYS" \
    -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}

if ! fresh server.pem || [ ! -s server.key ]; then
  sign server "/CN=localhost" "subjectAltName=DNS:localhost
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  rm -f postgresql/server.key mysql/server.key
  made+=" server"
fi
if ! fresh cassandra.pem || [ ! -s cassandra.key ]; then
  sign cassandra "/CN=localhost" "subjectAltName=DNS:localhost,IP:127.0.0.1
extendedKeyUsage=serverAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  rm -f cassandra.p12
  made+=" cassandra"
fi
if ! fresh client.pem || [ ! -s client.key ]; then
  sign client "/CN=ormada_secure" "extendedKeyUsage=clientAuth
keyUsage=critical,digitalSignature,keyEncipherment"
  made+=" client"
fi
if [ ! -s cassandra.p12 ]; then
  openssl pkcs12 -export -in cassandra.pem -inkey cassandra.key -certfile ca.pem -name cassandra \
    -out cassandra.p12 -passout "pass:$P12_PASSWORD"
fi
chmod 600 ca.key other-ca.key server.key cassandra.key
chmod 644 ca.pem other-ca.pem server.pem cassandra.pem client.pem cassandra.p12  # throwaway test files
chmod 600 client.key  # libpq refuses a key others can read

copy_key() {  # copy_key DIRNAME USER: server.key readable by USER only
  mkdir -p "$1"
  chmod 755 "$1"
  if [ ! -s "$1/server.key" ]; then cp server.key "$1/server.key"; fi
  chmod 600 "$1/server.key"
  if [ "$(id -u)" = 0 ] && id "$2" >/dev/null 2>&1; then chown "$2" "$1/server.key"; fi
}
copy_key postgresql postgres
copy_key mysql mysql

if [ -n "$made" ]; then say "made$made in $DIR"; fi
