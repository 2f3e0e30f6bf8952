#!/usr/bin/env bash
# Builds the NuGet packages of every library (ActorQm.Protocol, ActorQm.Security, ActorQm.Runtime,
# ActorQm.Client, ActorQm.Cluster, ActorQm.Hosting, ActorQm.Cluster.Hosting) and the `actorqm` .NET
# tool into artifacts/packages, with symbol packages.
# Install the tool from there:
#   dotnet tool install --global --add-source ./artifacts/packages actorqm
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
out="artifacts/packages"
rm -rf "$out"
mkdir -p "$out"
for project in src/*/*.csproj; do
  dotnet pack "$project" -c Release -nologo -v q -o "$out" "$@"
done
ls -1 "$out"
