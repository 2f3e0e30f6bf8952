#!/usr/bin/env bash
# Prints figures measured in one run on this machine:
#   scripts/bench.sh [messages]           persistence: ActorQm's queues and journal against an
#                                          event-sourced queue on Akka.Persistence.Sql, same SQLite
#   scripts/bench.sh handshake [count]    TLS handshakes/s: bare SslStream mTLS against ActorQm
#   scripts/bench.sh channel [messages]   channel QM1 -> QM2 over TLS against a raw SslStream pipe
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build bench/ActorQm.Bench/ActorQm.Bench.csproj -c Release -nologo -v q >&2
exec dotnet bench/ActorQm.Bench/bin/Release/net10.0/ActorQm.Bench.dll "$@"
