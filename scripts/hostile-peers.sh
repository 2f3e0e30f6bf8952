#!/usr/bin/env bash
# The hostile-peer matrix: every peer attacks a running queue manager over real TLS on loopback and
# must be refused with the expected AMQ code, get no message in or out, and leave the listener
# serving a good client. Prints one line per peer and exits non-zero if any case fails.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
report="$(mktemp)"
trap 'rm -f "$report"' EXIT
dotnet build tests/ActorQm.Tests/ActorQm.Tests.csproj -nologo -v q >&2
status=0
log="$(mktemp)"
trap 'rm -f "$report" "$log"' EXIT
ACTORQM_HOSTILE_REPORT="$report" dotnet test tests/ActorQm.Tests/ActorQm.Tests.csproj --no-build -nologo \
  --filter "FullyQualifiedName~HostilePeerMatrixSpec" > "$log" 2>&1 || status=$?
{
  printf 'peer\tresult\tqueue manager said\texpected\tmessages delivered\tgood client after\n'
  sort "$report"
} | column -t -s $'\t'
# Every case, also one that failed before it could report (its error is in the test log).
total=$(grep -oE 'Total: +[0-9]+' "$log" | grep -oE '[0-9]+' | tail -n 1)
ok=$(awk -F'\t' '$2 == "refused" && $3 == $4 && $5 == 0 && $6 == "yes"' "$report" | wc -l)
echo "$ok of ${total:-?} hostile peers refused as expected"
[ "$status" = 0 ] || grep -E 'Failed |Error Message' -A2 "$log" | head -n 40
exit "$status"
