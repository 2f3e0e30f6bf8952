#!/usr/bin/env bash
# Benchmarks: programs that print figures measured in one run on this machine, never assertions.
#   scripts/bench.sh                      the full table (L1 limits, C1/C2 channels with 1/4/16/64
#                                          channels, C3/C4 clients, H1 handshakes, M1 footprint, M2 deep queue),
#                                          each row as a ratio to a row of the same run; written to
#                                          bench/results/latest.md (about 5 minutes)
#   scripts/bench.sh --quick              the same at a tenth of the sizes (bench/results/quick.md)
#   scripts/bench.sh micro                BenchmarkDotNet micro-benchmarks of the hot paths
#                                          (frame codec, SSLPEER match, OCSP cache, queue put+get)
#   scripts/bench.sh persistence [n]      ActorQm's queues and journal against an event-sourced
#                                          queue on Akka.Persistence.Sql, same SQLite
#   scripts/bench.sh handshake [count]    TLS handshakes/s: bare SslStream mTLS against ActorQm
#   scripts/bench.sh channel [messages]   one channel QM1 -> QM2 over TLS against a raw SslStream pipe
#   scripts/bench.sh footprint [n]        time to start n TLS channels; memory per idle channel and client
#   scripts/bench.sh idleclients [n]      n idle clients (10,000 by default) to a queue manager in its own
#                                          process: time to connect them, heap per connection on each side
#   scripts/bench.sh deepqueue [n]        n persistent 1 KiB messages in one queue: put, heap per message,
#                                          restart to first get, get all back (M2; 1,000,000 by default)
#   scripts/bench.sh peers [n]            L1, C1, C2 (one channel), C3 and C5, then NATS core, JetStream and connects and RabbitMQ
#                                          transient and persistent with confirms (P1-P5) in the same run, mutual TLS
#                                          on loopback, n 1 KiB messages each; installs Debian's nats-server and
#                                          rabbitmq-server when missing (the full run includes the peers when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
if [ "${1:-}" = "peers" ]; then
  need=()
  [ -x /usr/sbin/nats-server ] || need+=(nats-server)
  [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || need+=(rabbitmq-server)
  if [ ${#need[@]} -gt 0 ]; then
    echo "scripts/bench.sh: installing ${need[*]}" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi
dotnet build bench/ActorQm.Bench/ActorQm.Bench.csproj -c Release -nologo -v q >&2
exec dotnet bench/ActorQm.Bench/bin/Release/net10.0/ActorQm.Bench.dll "$@"
