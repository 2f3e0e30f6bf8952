#!/usr/bin/env bash
# Builds the solution and runs every test, then prints "N passed, N failed, N skipped" computed
# from the TRX results. Exits non-zero if the build fails or any test fails.
# Installs what the tests need when it is missing: the openssl command (TLS interop tests run
# s_client/s_server, OCSP tests run `openssl ocsp` per request) and slapd with ldap-utils (CRLs
# from a real LDAP server; each test starts and stops its own slapd on loopback) and the
# PostgreSQL server (the cluster's shared journal; each test class runs initdb and its own server
# on a loopback port, then stops and removes it), and Chromium (the web console's browser spec drives
# Debian's chromium headless through Playwright; no browser is downloaded), and e2fsprogs (a journal spec formats a
# loop device that fails under SQLite). SQLite ships inside Microsoft.Data.Sqlite.
# Then it packs the NuGet packages (scripts/pack.sh), installs the actorqm tool from them into a
# temporary folder and runs its --help and a 200-message demo: counted as one more test; then a
# console application that references only the ActorQm.Client package connects, puts and gets
# against that tool's queue manager, with no runtime assembly in its output (scripts/client-only.sh):
# one more. And `dotnet format --verify-no-changes` against .editorconfig: one more.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v dotnet >/dev/null 2>&1; then
  echo "scripts/test.sh: the .NET 10 SDK (dotnet) is required and not on PATH" >&2
  exit 2
fi

need=()
command -v openssl >/dev/null 2>&1 || need+=(openssl)
[ -x /usr/sbin/slapd ] || need+=(slapd)
command -v ldapadd >/dev/null 2>&1 || need+=(ldap-utils)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v mkfs.ext4 >/dev/null 2>&1 || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
  echo "scripts/test.sh: installing ${need[*]}" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

dotnet build ActorQm.sln -c Release -nologo -v q

status=0
dotnet test ActorQm.sln -c Release --no-build -nologo \
  --logger "trx;LogFilePrefix=actorqm" --logger "console;verbosity=minimal" \
  --results-directory "$results" --blame-hang-timeout 5m || status=$?

passed=0 failed=0 skipped=0 files=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  files=$((files + 1))
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  get() { echo "$counters" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  file_failed=$(($(get failed) + $(get error) + $(get timeout) + $(get aborted)))
  failed=$((failed + file_failed))
  # xunit skips are counted as total minus executed (its TRX leaves notExecuted at 0).
  skipped=$((skipped + $(get total) - $(get executed)))
  # A crashed test host leaves counters of the tests that ran only: count the crash itself.
  outcome=$(grep -o '<ResultSummary outcome="[A-Za-z]*"' "$trx" | head -n 1 | grep -o '"[A-Za-z]*"' | tr -d '"')
  if [ "$outcome" != "Completed" ] && [ "$file_failed" -eq 0 ]; then
    echo "scripts/test.sh: the test run in $trx ended $outcome (test host crashed or was aborted)" >&2
    failed=$((failed + 1))
  fi
done

# The conventions of .editorconfig: whitespace and the code-style rules it raises to warnings. One test.
if dotnet format whitespace ActorQm.sln --verify-no-changes >"$results/format.log" 2>&1 \
    && dotnet format style ActorQm.sln --verify-no-changes --severity warn >>"$results/format.log" 2>&1; then
  passed=$((passed + 1))
else
  echo "scripts/test.sh: code does not follow .editorconfig (dotnet format whitespace/style; see $results/format.log)" >&2
  grep -m 20 ' error ' "$results/format.log" >&2 || tail -n 20 "$results/format.log" >&2
  failed=$((failed + 1))
fi

# A two-minute soak (docs/reliability.md, "Long runs"): heap, handles, threads and journal must not keep growing. One test.
if scripts/soak.sh 2 >"$results/soak.log" 2>&1; then
  passed=$((passed + 1))
  echo "scripts/test.sh: the two-minute soak found nothing growing ($(grep -o '[0-9]* messages consumed' "$results/soak.log" | head -n 1))" >&2
else
  echo "scripts/test.sh: the soak failed (see $results/soak.log)" >&2
  grep -v '^\[' "$results/soak.log" | tail -n 15 >&2
  failed=$((failed + 1))
fi

# The packages as users install them: the libraries and the actorqm tool from artifacts/packages,
# the installed tool's --help and a short demo. A failure here counts as one failed test.
tools=$(mktemp -d)
if ! { scripts/pack.sh >"$results/pack.log" 2>&1 \
    && dotnet tool install --tool-path "$tools" --add-source ./artifacts/packages actorqm >>"$results/pack.log" 2>&1 \
    && "$tools/actorqm" --help >>"$results/pack.log" 2>&1 \
    && (cd "$tools" && ./actorqm demo --messages 200) >>"$results/pack.log" 2>&1; }; then
  echo "scripts/test.sh: packing or running the installed actorqm tool failed (see $results/pack.log)" >&2
  tail -n 20 "$results/pack.log" >&2
  failed=$((failed + 1))
else
  passed=$((passed + 1))
  echo "scripts/test.sh: packages built and the installed actorqm tool ran its demo" >&2
  # A client application from the ActorQm.Client package alone, against the installed tool's queue manager.
  if scripts/client-only.sh "$tools/actorqm" >"$results/client-only.log" 2>&1; then
    passed=$((passed + 1))
    echo "scripts/test.sh: a client-only application put and got over TLS without the runtime's assemblies" >&2
  else
    echo "scripts/test.sh: the client-only application failed (see $results/client-only.log)" >&2
    tail -n 20 "$results/client-only.log" >&2
    failed=$((failed + 1))
  fi
fi
rm -rf "$tools"

# The failed tests by name with the first line of each message, last, where a log's tail shows them.
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  awk '/<UnitTestResult / && /outcome="Failed"/ { if (match($0, /testName="[^"]*"/)) { name = substr($0, RSTART + 10, RLENGTH - 11); want = 1 } }
       want && /<Message>/ { line = $0; sub(/.*<Message>/, "", line); print "scripts/test.sh: FAILED " name ": " substr(line, 1, 400); want = 0 }' "$trx" >&2
done

if [ "$files" -eq 0 ]; then
  echo "scripts/test.sh: no test results were written" >&2
  status=1
fi
if [ "$failed" -gt 0 ] && [ "$status" -eq 0 ]; then
  status=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
