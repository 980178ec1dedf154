#!/usr/bin/env bash
# Regenerates the test PKI used by minikafka's TLS tests (run from any
# directory; needs openssl 1.1+). The outputs are committed together with
# this script; they are test-only secrets and valid for 100 years.
#
#   ca.pem / ca-key.pem            test CA (CN=minikafka test CA,O=Example,C=US)
#   server.pem / server-key.pem    server cert for localhost, 127.0.0.1 and ::1 (PKCS#8 key)
#   server-keystore.pem            server cert + key in one file (ssl.keystore.location)
#   server-key-encrypted.pem       the server key, PKCS#8 PBES2 AES-256-CBC, password "server-key-secret"
#   alice.pem / alice-key.pem      client CN=alice,OU=eng,O=Example,C=US
#   bob.pem / bob-key.pem          client CN=bob,OU=ops,O=Example,C=US
#   rogue-ca.pem                   a CA nobody trusts
#   mallory.pem / mallory-key.pem  client CN=mallory,OU=eng,O=Example,C=US signed by the rogue CA
set -euo pipefail
cd "$(dirname "$0")"
DAYS=36500
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name subject
  key "$1-key.pem"
  openssl req -x509 -new -key "$1-key.pem" -subj "$2" -days "$DAYS" -sha256 \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$1.pem"
}

leaf() { # name subject ca ext
  key "$1-key.pem"
  openssl req -new -key "$1-key.pem" -subj "$2" -out "$tmp/$1.csr"
  printf '%s\n' "$4" > "$tmp/$1.ext"
  openssl x509 -req -in "$tmp/$1.csr" -CA "$3.pem" -CAkey "$3-key.pem" -CAcreateserial -CAserial "$tmp/$3.srl" \
    -days "$DAYS" -sha256 -extfile "$tmp/$1.ext" -out "$1.pem" 2>/dev/null
}

ca ca "/C=US/O=Example/CN=minikafka test CA"
leaf server "/C=US/O=Example/CN=localhost" ca \
  "basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1"
client_ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
leaf alice "/C=US/O=Example/OU=eng/CN=alice" ca "$client_ext"
leaf bob "/C=US/O=Example/OU=ops/CN=bob" ca "$client_ext"
ca rogue-ca "/C=US/O=Rogue/CN=rogue CA"
leaf mallory "/C=US/O=Example/OU=eng/CN=mallory" rogue-ca "$client_ext"
rm -f rogue-ca-key.pem

cat server.pem server-key.pem > server-keystore.pem
openssl pkcs8 -topk8 -v2 aes-256-cbc -v2prf hmacWithSHA256 -in server-key.pem \
  -passout pass:server-key-secret -out server-key-encrypted.pem
echo "generated test PKI in $(pwd)"
