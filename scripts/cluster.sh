#!/usr/bin/env bash
# A three-node ActorQm cluster on this machine, for trying the cluster out (development only):
#   scripts/cluster.sh up     dev PKI, a private PostgreSQL (the shared journal), three
#                             `actorqm start` nodes (Akka.Cluster over mutual TLS) hosting QM1 and
#                             QM2 as sharded queue managers; returns once both run
#   scripts/cluster.sh where  which node runs each queue manager
#   scripts/cluster.sh kill QM  SIGKILL the node running QM and time its re-home on another node
#   scripts/cluster.sh down   stop the nodes and PostgreSQL, remove everything
# State lives in ${ACTORQM_CLUSTER_DIR:-cluster/} (logs: node1.log ...). Every node listens for QM1
# (14141-14143) and QM2 (14241-14243) wherever they run: the accepting node does the TLS handshake
# and the queue manager serves the connection on its node. Clients and the QM1->QM2 channel use the
# CONNAME list of all three, so a dead node's port is skipped.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir="${ACTORQM_CLUSTER_DIR:-$root/cluster}"
pgport="${ACTORQM_CLUSTER_PGPORT:-15432}"
cli="$root/src/ActorQm.Cli/bin/Release/net10.0/ActorQm.Cli.dll"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
conname() { echo "127.0.0.1($1),127.0.0.1($(($1 + 1))),127.0.0.1($(($1 + 2)))"; }
# The node whose log has the latest timestamped start of queue manager $1.
host_of() {
  grep -H "\] AMQ8003I: queue manager $1 started on node" "$dir"/node*.log 2>/dev/null \
    | sed -E 's|^([^:]*):\[[A-Z]+\]\[([^]]*)\].*|\2 \1|' | sort | tail -n 1 | awk '{print $3}' | xargs -r basename | sed 's/\.log$//'
}

up() {
  [ -e "$dir/node1.pid" ] && { echo "cluster.sh: already up in $dir (scripts/cluster.sh down first)" >&2; exit 1; }
  if [ -z "$(pgbin)" ]; then
    echo "cluster.sh: installing postgresql" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  mkdir -p "$dir"
  dotnet build "$root/src/ActorQm.Cli/ActorQm.Cli.csproj" -c Release -nologo -v q >&2
  [ -d "$dir/pki" ] || dotnet "$cli" pki create "$dir/pki" --qmgr QM1 QM2 NODE1 NODE2 NODE3 --client app >/dev/null

  mkdir -p "$dir/pg"
  [ "$(id -u)" = 0 ] && chown postgres "$dir/pg"
  [ -d "$dir/pg/data" ] || as_postgres "$(pgbin)/initdb" -D "$dir/pg/data" -A trust -U actorqm -E UTF8 >/dev/null
  as_postgres "$(pgbin)/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -o "-p $pgport -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null

  cat > "$dir/qm1.mqsc" <<MQSC
ALTER QMGR SSLKEYR('$dir/pki/QM1/key')
DEFINE QLOCAL('QM2') USAGE(XMITQ)
DEFINE QREMOTE('APP.REMOTE') RNAME('APP.IN') RQMNAME('QM2') XMITQ('QM2')
DEFINE CHANNEL('QM1.TO.QM2') CHLTYPE(SDR) CONNAME('$(conname 14241)') XMITQ('QM2') SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM2') SHORTRTY(1000) SHORTTMR(1)
DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('CN=app') MCAUSER('app')
SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app') AUTHADD(CONNECT,INQ)
SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(PUT,GET,BROWSE,INQ)
START CHANNEL('QM1.TO.QM2')
MQSC
  cat > "$dir/qm2.mqsc" <<MQSC
ALTER QMGR SSLKEYR('$dir/pki/QM2/key')
DEFINE QLOCAL('APP.IN') MAXDEPTH(1000000)
DEFINE CHANNEL('QM1.TO.QM2') CHLTYPE(RCVR) SSLCIPH(TLS_AES_128_GCM_SHA256) SSLPEER('CN=QM1')
DEFINE CHANNEL('APP.SVRCONN') CHLTYPE(SVRCONN) SSLCIPH(ANY_TLS12_OR_HIGHER) SSLCAUTH(REQUIRED) SSLPEER('CN=app') MCAUSER('app')
SET AUTHREC OBJTYPE(QMGR) PRINCIPAL('app') AUTHADD(CONNECT,INQ)
SET AUTHREC PROFILE('APP.**') OBJTYPE(QUEUE) PRINCIPAL('app') AUTHADD(PUT,GET,BROWSE,INQ)
MQSC
  for i in 1 2 3; do
    cat > "$dir/node$i.conf" <<HOCON
akka {
  loglevel = INFO
  remote.dot-netty.tcp { hostname = "127.0.0.1", port = $((2550 + i)) }
  cluster {
    seed-nodes = ["akka.ssl.tcp://actorqm@127.0.0.1:2551", "akka.ssl.tcp://actorqm@127.0.0.1:2552"]
    failure-detector { heartbeat-interval = 500ms, acceptable-heartbeat-pause = 3s }
    split-brain-resolver { active-strategy = keep-majority, stable-after = 3s }
  }
}
actorqm {
  cluster {
    enabled = on
    node-tls { key-repository = "pki/NODE$i/key", label = "ibmwebspheremqnode$i", peer-filter = "CN=NODE*" }
    sharding { keep-alive-interval = 500ms, min-nodes = 3 }
    routing.listeners {
      QM1-ANY { queue-manager = QM1, address = "127.0.0.1", port = $((14140 + i)) }
      QM2-ANY { queue-manager = QM2, address = "127.0.0.1", port = $((14240 + i)) }
    }
  }
  queue-manager-defaults.store { engine = postgresql, connection-string = "Host=127.0.0.1;Port=$pgport;Username=actorqm;Database=postgres" }
  queue-managers {
    QM1 { mqsc-file = "qm1.mqsc" }
    QM2 { mqsc-file = "qm2.mqsc" }
  }
}
HOCON
    (cd "$dir" && exec setsid dotnet "$cli" start --config "node$i.conf") > "$dir/node$i.log" 2>&1 < /dev/null &
    echo $! > "$dir/node$i.pid"
  done

  for _ in $(seq 1 120); do
    if grep -q "queue manager QM1 started on node" "$dir"/node*.log && grep -q "queue manager QM2 started on node" "$dir"/node*.log \
      && [ "$(cat "$dir"/node*.log | grep -c "(served wherever")" -ge 6 ]; then
      where
      echo "Try: scripts/actorqm put --conn '$(conname 14141)' --channel APP.SVRCONN -m QM1 --key-repository $dir/pki/clients/app/key --cert-label ibmwebspheremqapp --sslpeer CN=QM1 --queue APP.REMOTE --persistent --message hello"
      echo "     scripts/actorqm get --conn '$(conname 14241)' --channel APP.SVRCONN -m QM2 --key-repository $dir/pki/clients/app/key --cert-label ibmwebspheremqapp --sslpeer CN=QM2 --queue APP.IN --wait 5000"
      return 0
    fi
    sleep 1
  done
  echo "cluster.sh: QM1 and QM2 and every node's listeners did not all start within 120 s; see $dir/node*.log" >&2
  exit 1
}

where() {
  for qm in QM1 QM2; do
    echo "$qm runs on $(host_of "$qm")"
  done
}

kill_qm() {
  local qm="$1" node before start
  node=$(host_of "$qm")
  [ -n "$node" ] && [ -e "$dir/$node.pid" ] || { echo "cluster.sh: $qm is not running on a live node" >&2; exit 1; }
  before=$(cat "$dir"/node*.log | grep -c "queue manager $qm started on node")
  start=$(date +%s%N)
  kill -9 "$(cat "$dir/$node.pid")"
  rm -f "$dir/$node.pid"
  echo "killed $node (SIGKILL), which ran $qm"
  for _ in $(seq 1 1200); do
    if [ "$(cat "$dir"/node*.log | grep -c "queue manager $qm started on node")" -gt "$before" ]; then
      echo "$qm re-homed after $(( ($(date +%s%N) - start) / 1000000 )) ms"
      where
      return 0
    fi
    sleep 0.1
  done
  echo "cluster.sh: $qm did not re-home within 120 s" >&2
  exit 1
}

down() {
  for f in "$dir"/node*.pid; do
    [ -e "$f" ] || continue
    kill -TERM "$(cat "$f")" 2>/dev/null || true
  done
  for f in "$dir"/node*.pid; do
    [ -e "$f" ] || continue
    for _ in $(seq 1 300); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$(cat "$f")" 2>/dev/null || true
    rm -f "$f"
  done
  [ -d "$dir/pg/data" ] && as_postgres "$(pgbin)/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
  echo "cluster down"
}

case "${1:-}" in
  up) up ;;
  where) where ;;
  kill) kill_qm "${2:?usage: cluster.sh kill QM}" ;;
  down) down ;;
  *) echo "usage: scripts/cluster.sh up | where | kill QM | down" >&2; exit 2 ;;
esac
