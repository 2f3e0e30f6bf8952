#!/usr/bin/env bash
# Fuzzing with afl++ and SharpFuzz, bounded in time: the channel frame decoder, the MQSC parser, the
# SSLPEER/DN parser, the CRL parser, the OCSP answer reader and the path builder, each for N seconds (default 60). Installs afl++ (Debian) and
# the SharpFuzz tool when missing. Prints executions and crashes per target; crashing inputs are kept
# in fuzz/findings/<target>/default/crashes (turn each into a regression test).
#   scripts/fuzz.sh [seconds-per-target=60] [targets...]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_SKIP_BIN_CHECK=1
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(frames mqsc dn crl ocsp paths hocon)

if ! command -v afl-fuzz > /dev/null; then
  echo "fuzz.sh: installing afl++" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq afl++ > /dev/null
fi
export PATH="$PATH:$HOME/.dotnet/tools"
if ! command -v sharpfuzz > /dev/null; then
  dotnet tool install -g SharpFuzz.CommandLine --version 2.3.0 > /dev/null
fi

out="fuzz/ActorQm.Fuzz/bin/Release/net10.0"
dotnet build fuzz/ActorQm.Fuzz/ActorQm.Fuzz.csproj -c Release -nologo -v q >&2
# ActorQm and the library that parses CRLs and OCSP answers for it are instrumented (a fresh build each run).
sharpfuzz "$out/ActorQm.dll" > /dev/null
sharpfuzz "$out/BouncyCastle.Cryptography.dll" > /dev/null

seeds() {
  local dir="fuzz/findings/$1/in"
  mkdir -p "$dir"
  case "$1" in
    frames) printf '\x01\x03\x00\x00\x00\x00\x00\x00\x00\x2a' > "$dir/confirm"; printf '\x01\x05\x00\x00' > "$dir/heartbeat" ;;
    mqsc) printf "DEFINE QLOCAL('APP.IN') MAXDEPTH(5000) +\n  DESCR('x')\nALTER QMGR SSLKEYR('/k')\n" > "$dir/define" ;;
    dn) printf 'CN=QM*,OU=A,OU=B,O=Example,C=GB' > "$dir/filter" ;;
    hocon) printf 'actorqm.queue-managers {\n  QM1 {\n    mqsc-file = "qm1.mqsc"\n    store { path = "data/{qm}.db", max-batch = 2048 }\n    listeners { L1 { port = 1414, address = "127.0.0.1" } }\n    tls { crl-files = ["a.crl"], revocation-timeout = 10s, crl-max-bytes = 32MiB }\n    security.groups { apps = ["app1", "app2"] }\n  }\n}\n' > "$dir/settings" ;;
    crl) openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$dir/../ca.key" -out "$dir/../ca.pem" -subj "/CN=Fuzz CA" -days 2 2> /dev/null
         printf '' > "$dir/../index.txt"; printf '01\n' > "$dir/../crlnumber"
         printf '[ca]\ndefault_ca=d\n[d]\ndatabase=%s\ncrlnumber=%s\ndefault_md=sha256\ndefault_crl_days=1\n' "$dir/../index.txt" "$dir/../crlnumber" > "$dir/../ca.cnf"
         openssl ca -gencrl -config "$dir/../ca.cnf" -keyfile "$dir/../ca.key" -cert "$dir/../ca.pem" -out "$dir/../crl.pem" 2> /dev/null
         openssl crl -in "$dir/../crl.pem" -outform DER -out "$dir/crl.der" ;;
    # A real `openssl ocsp` answer (GOOD, with the request's nonce) about a leaf; the harness reads answers
    # to that request, so mutations reach the signature, nonce, certificate-id and time checks.
    ocsp) local d="$dir/.."
          openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=Fuzz CA" -days 2 2> /dev/null
          openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/leaf.key" -out "$d/leaf.csr" -subj "/CN=Fuzz Leaf" 2> /dev/null
          openssl x509 -req -in "$d/leaf.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -set_serial 4660 -days 2 -out "$d/leaf.pem" 2> /dev/null
          printf 'V\t%s\t\t1234\tunknown\t/CN=Fuzz Leaf\n' "$(date -u -d '+2 days' +%y%m%d%H%M%SZ)" > "$d/index.txt"
          openssl ocsp -issuer "$d/ca.pem" -cert "$d/leaf.pem" -reqout "$d/request.der" 2> /dev/null
          openssl ocsp -index "$d/index.txt" -CA "$d/ca.pem" -rsigner "$d/ca.pem" -rkey "$d/ca.key" -nmin 60 \
            -reqin "$d/request.der" -respout "$dir/good.der" 2> /dev/null ;;
    # A real chain made by openssl (root, cross-signed CA under two roots, leaf): one anchor, the rest intermediates.
    paths) local d="$dir/.."
           for ca in root1 root2; do
             openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/$ca.key" -out "$d/$ca.pem" -subj "/CN=Fuzz $ca" -days 2 \
               -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2> /dev/null
           done
           openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ica.key" -out "$d/ica.csr" -subj "/CN=Fuzz ICA" 2> /dev/null
           printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$d/ca.ext"
           printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n' > "$d/leaf.ext"
           for ca in root1 root2; do
             openssl x509 -req -in "$d/ica.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" -set_serial 7 -days 2 -extfile "$d/ca.ext" -out "$d/ica-$ca.pem" 2> /dev/null
           done
           openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/leaf.key" -out "$d/leaf.csr" -subj "/CN=Fuzz Leaf" 2> /dev/null
           openssl x509 -req -in "$d/leaf.csr" -CA "$d/ica-root1.pem" -CAkey "$d/ica.key" -set_serial 9 -days 2 -extfile "$d/leaf.ext" -out "$d/leaf.pem" 2> /dev/null
           python3 - "$d" "$dir/chain.bin" <<'PY'
import subprocess, sys
d, out = sys.argv[1], sys.argv[2]
blob = bytes([1])
for name in ("leaf", "root2", "ica-root1", "ica-root2", "root1"):
    der = subprocess.run(["openssl", "x509", "-in", f"{d}/{name}.pem", "-outform", "DER"], capture_output=True, check=True).stdout
    blob += len(der).to_bytes(2, "big") + der
open(out, "wb").write(blob)
PY
           rm -f "$d"/*.key ;;
  esac
}

printf '%-8s %12s %10s %8s\n' target executions exec/s crashes
for target in "${targets[@]}"; do
  seeds "$target"
  findings="fuzz/findings/$target"
  rm -rf "$findings/out"
  extra=()
  [ "$target" != ocsp ] || extra=("$findings/ca.pem" "$findings/leaf.pem" "$findings/request.der")
  timeout $((seconds + 60)) afl-fuzz -i "$findings/in" -o "$findings/out" -V "$seconds" -t 5000 -m none -- \
    dotnet "$out/ActorQm.Fuzz.dll" "$target" "${extra[@]}" > "$findings/afl.log" 2>&1 || true
  stats="$findings/out/default/fuzzer_stats"
  if [ -f "$stats" ]; then
    printf '%-8s %12s %10s %8s\n' "$target" "$(awk -F': ' '/^execs_done/ {print $2}' "$stats")" \
      "$(awk -F': ' '/^execs_per_sec/ {print $2}' "$stats")" "$(awk -F': ' '/^saved_crashes/ {print $2}' "$stats")"
  else
    echo "$target: afl-fuzz did not run; see $findings/afl.log"
  fi
done
