#!/usr/bin/env bash
# A client application that references only the ActorQm.Client package (samples/ActorQm.Sample.Client)
# is built from artifacts/packages (scripts/pack.sh) into a fresh package folder, then puts and gets
# against a queue manager run by the installed actorqm tool. Fails when the application's output holds
# any of the runtime's dependencies (Akka, SQLite, Npgsql) or the runtime itself.
# Usage: scripts/client-only.sh PATH-TO-ACTORQM
set -euo pipefail
cd "$(dirname "$0")/.."
actorqm=$(realpath "${1:?usage: scripts/client-only.sh PATH-TO-ACTORQM}")
packages="$PWD/artifacts/packages"
work=$(mktemp -d)
cleanup() {
  "$actorqm" stop --config "$work/qm1.conf" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build samples/ActorQm.Sample.Client -c Release -nologo -v q -o "$work/app" \
  -p:RestorePackagesPath="$work/nuget" -p:RestoreAdditionalProjectSources="$packages"
forbidden=$(cd "$work/app" && ls | grep -E '^(Akka|Microsoft\.Data\.Sqlite|SQLitePCL|e_sqlite3|Npgsql|ActorQm\.dll$|ActorQm\.Runtime)' || true)
if [ -n "$forbidden" ] || [ -d "$work/app/runtimes" ]; then
  echo "client-only: the client application carries the runtime's dependencies: $forbidden" >&2
  exit 1
fi

cd "$work"
"$actorqm" pki create pki --qmgr QM1 --client app >/dev/null
cat > qm1.conf <<'CONF'
actorqm.queue-managers {
  QM1 {
    mqsc-file = "qm1.mqsc"
    store.path = "data/QM1.db"
    listeners { TLS { port = 0, address = "127.0.0.1" } }
  }
}
CONF
cat > qm1.mqsc <<'MQSC'
ALTER QMGR SSLKEYR('pki/QM1/key')
DEFINE QLOCAL('APP.Q')
DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('CN=app') MCAUSER('app')
SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app') AUTHADD(CONNECT)
SET AUTHREC PROFILE('APP.Q') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(PUT,GET)
MQSC
"$actorqm" start --config qm1.conf > qm1.log 2>&1 &
port=""
for _ in $(seq 150); do
  port=$("$actorqm" status --config qm1.conf | sed -n 's/.*STATUS(Running).*TLS=127\.0\.0\.1:\([0-9]*\).*/\1/p')
  [ -n "$port" ] && break
  sleep 0.2
done
if [ -z "$port" ]; then
  echo "client-only: the queue manager did not start" >&2
  cat qm1.log >&2
  exit 1
fi

dotnet app/ActorQm.Sample.Client.dll 127.0.0.1 "$port" APP.SVRCONN QM1 APP.Q pki/clients/app/key ibmwebspheremqapp CN=QM1 100
echo "client-only: $(ls app | grep -c '\.dll$') assemblies in the application, none of the runtime's"
