#!/usr/bin/env bash
# Long run (docs/reliability.md, "Long runs"): two queue managers with mixed traffic for MINUTES
# (default 2), sampling heap, file handles, threads and journal size; fails (exit 1) when one keeps
# growing after the warm-up, judged by a fitted slope, or when any operation failed.
#   scripts/soak.sh [MINUTES]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/ActorQm.Bench/ActorQm.Bench.csproj -c Release -nologo -v q >&2
exec dotnet bench/ActorQm.Bench/bin/Release/net10.0/ActorQm.Bench.dll soak "${1:-2}"
