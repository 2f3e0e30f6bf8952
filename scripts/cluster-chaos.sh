#!/usr/bin/env bash
# Cluster chaos (bounded): three `actorqm start` nodes on a private PostgreSQL, QMA balancing a cluster
# queue over QMB and QMC, clients putting numbered persistent messages through the routed listeners.
# Each round SIGKILLs a node (sometimes the oldest, the shard coordinator's home), cuts a node's
# Akka.Remote links through its proxy, or restarts PostgreSQL as a crash would (every kind once first);
# an ended node is started again. Prints the per-round table (re-home time, time to the next
# acknowledged put) and the count: every acknowledged message must be found exactly once
# (docs/reliability.md, "Cluster chaos"). The test suite runs 3 rounds; this runs more:
#   scripts/cluster-chaos.sh [rounds=20] [clients=2] [seed=random]
# The run's output and every node's log are kept in artifacts/cluster-chaos/.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || {
  echo "cluster-chaos.sh: installing postgresql" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
}
out=artifacts/cluster-chaos
rm -rf "$out"
mkdir -p "$out"
report="$out/report.md"
log="$out/test.log"
# Release, as scripts/test.sh builds it: the spec starts the nodes from the test's output folder.
dotnet build tests/ActorQm.Tests/ActorQm.Tests.csproj -c Release -nologo -v q >&2
status=0
ACTORQM_CLUSTER_CHAOS_ROUNDS="${1:-20}" ACTORQM_CLUSTER_CHAOS_CLIENTS="${2:-2}" ACTORQM_CLUSTER_CHAOS_SEED="${3:-$((RANDOM * 32768 + RANDOM))}" \
  ACTORQM_CLUSTER_CHAOS_REPORT="$PWD/$report" ACTORQM_CLUSTER_CHAOS_LOGS="$PWD/$out" \
  dotnet test tests/ActorQm.Tests/ActorQm.Tests.csproj -c Release --no-build -nologo --filter "FullyQualifiedName~ClusterChaosSpec" \
  --logger "console;verbosity=detailed" > "$log" 2>&1 || status=$?
grep -m 1 -E 'cluster chaos: .* seed' "$log" | sed 's/^ *//' || true
cat "$report"
[ "$status" = 0 ] || { echo "cluster chaos run FAILED:"; grep -E 'Error Message|Exception :' -A3 "$log" | head -n 20; }
exit "$status"
