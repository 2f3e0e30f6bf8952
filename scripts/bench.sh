#!/usr/bin/env bash
# Prints persistence figures: ActorQm's queues and journal against an event-sourced queue on
# Akka.Persistence.Sql, on the same SQLite, in one run. Usage: scripts/bench.sh [messages]
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/ActorQm.Bench/ActorQm.Bench.csproj -c Release -nologo -v q >&2
exec dotnet bench/ActorQm.Bench/bin/Release/net10.0/ActorQm.Bench.dll "${1:-20000}"
