#!/usr/bin/env bash
# Chaos run (bounded): a stream of persistent messages QM1 -> QM2 over a TLS channel between two
# `actorqm start` processes, through a proxy that can cut or stall the connection; each round
# SIGKILLs the sender or the receiver, or cuts or stalls the connection mid-batch, at a random point
# (every kind once first). Every message must arrive exactly once. The test suite runs 4 rounds;
# this runs more:
#   scripts/chaos.sh [rounds=20] [messages=20000] [seed=random]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
report="$(mktemp)"
log="$(mktemp)"
trap 'rm -f "$report" "$log"' EXIT
dotnet build tests/ActorQm.Tests/ActorQm.Tests.csproj -nologo -v q >&2
status=0
ACTORQM_CHAOS_ROUNDS="${1:-20}" ACTORQM_CHAOS_MESSAGES="${2:-20000}" ACTORQM_CHAOS_SEED="${3:-}" ACTORQM_CHAOS_REPORT="$report" \
  dotnet test tests/ActorQm.Tests/ActorQm.Tests.csproj --no-build -nologo --filter "FullyQualifiedName~ChaosSpec" \
  --logger "console;verbosity=detailed" > "$log" 2>&1 || status=$?
grep -E '^ +round [0-9]+:' "$log" | sed 's/^ *//' || true
cat "$report"
[ "$status" = 0 ] || { echo "chaos run FAILED:"; grep -E 'Error Message' -A3 "$log" | head -n 20; }
exit "$status"
