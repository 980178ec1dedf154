#!/usr/bin/env bash
# Generates the RSA key that signs the committed FuzzJWTValidate seeds
# (testdata/fuzz/FuzzJWTValidate). After running it, regenerate the seeds:
#   go test ./sasl/oauthbearer -run TestJWTValidateSeedCorpus -update
set -euo pipefail
cd "$(dirname "$0")"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out fuzz-rsa.pem 2>/dev/null
echo "wrote $(pwd)/fuzz-rsa.pem"
