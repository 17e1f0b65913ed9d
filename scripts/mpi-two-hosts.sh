#!/usr/bin/env bash
# Two "hosts" on this machine: network namespaces joined by a veth pair, each with its own IP,
# and an MPI job across them, launched as across real machines -- a hostfile of the two IPs,
# and a launcher agent in place of ssh (mpirun's plm_rsh_agent) that runs the remote command
# in the other namespace with `ip netns exec`. The two ranks talk only TCP over the veth
# (--mca btl tcp,self; shared memory is ruled out), and each "host" has its own hostname
# (a UTS namespace), so Open MPI sees two nodes.
#
# Runs test/distributed/equivalence.mjs (2 ranks x batch 8 against 1 process x batch 16,
# SGD with momentum, 50 steps) across the two hosts and checks that the parameters agree.
#   Run as root: scripts/mpi-two-hosts.sh        (needs iproute2, Open MPI, the MPI addon, dist/)
# Prints "two hosts: ok (max difference ...)" and exits 0, or says what failed.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
A=tgmpi-a
B=tgmpi-b
IP_A=10.77.0.1
IP_B=10.77.0.2
WORK="$(mktemp -d /tmp/tgmpi-hosts.XXXXXX)"

cleanup() {
  ip netns del "$A" 2>/dev/null || true
  ip netns del "$B" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
cleanup_stale() { ip netns del "$A" 2>/dev/null || true; ip netns del "$B" 2>/dev/null || true; }
cleanup_stale

[ "$(id -u)" = 0 ] || { echo "two hosts: needs root (ip netns)" >&2; exit 2; }
ip netns add "$A"
ip netns add "$B"
ip link add tgmpi-va type veth peer name tgmpi-vb
ip link set tgmpi-va netns "$A"
ip link set tgmpi-vb netns "$B"
ip -n "$A" addr add "$IP_A/24" dev tgmpi-va
ip -n "$B" addr add "$IP_B/24" dev tgmpi-vb
for ns in "$A" "$B"; do ip -n "$ns" link set lo up; done
ip -n "$A" link set tgmpi-va up
ip -n "$B" link set tgmpi-vb up

# The launcher agent: called as `agent [ssh options] HOST COMMAND...`, as ssh would be.
cat > "$WORK/netns-agent" <<AGENT
#!/usr/bin/env bash
while [ "\${1:-}" != "" ] && [ "\${1#-}" != "\$1" ]; do shift; done   # ssh options
host="\$1"; shift
case "\$host" in
  $IP_A) ns=$A; name=tg-host-a ;;
  $IP_B) ns=$B; name=tg-host-b ;;
  *) echo "netns-agent: unknown host \$host" >&2; exit 255 ;;
esac
exec ip netns exec "\$ns" unshare --uts /bin/sh -c "hostname \$name; \$*"
AGENT
chmod +x "$WORK/netns-agent"
printf '%s slots=1\n%s slots=1\n' "$IP_A" "$IP_B" > "$WORK/hostfile"

node test/distributed/equivalence.mjs --mode single --optim sgd --out "$WORK/single.json"
# mpirun runs on host a; it starts host b's daemon through the agent, which reaches it over the veth.
ip netns exec "$A" unshare --uts /bin/sh -c "hostname tg-host-a; exec mpirun --allow-run-as-root --bind-to none \
  --hostfile '$WORK/hostfile' -np 2 --map-by node \
  --mca plm_rsh_agent '$WORK/netns-agent' --mca plm_rsh_no_tree_spawn 1 \
  --mca btl tcp,self --mca btl_tcp_if_include 10.77.0.0/24 --mca oob_tcp_if_include 10.77.0.0/24 \
  -x TENSORGRAD_NUM_THREADS=1 \
  node '$ROOT/test/distributed/equivalence.mjs' --optim sgd --out '$WORK/two-hosts.json'"

node -e "
const a = require('$WORK/single.json'), b = require('$WORK/two-hosts.json');
let worst = 0;
for (const [k, v] of Object.entries(a.params)) v.forEach((x, i) => { worst = Math.max(worst, Math.abs(x - b.params[k][i]) / (1 + Math.abs(x))); });
if (b.world !== 2 || new Set(b.hosts).size !== 2 || worst > 1e-5) { console.error('two hosts: ranks ran on ' + b.hosts.join(', ') + '; parameters differ by ' + worst); process.exit(1); }
console.log('two hosts: ok (max difference ' + worst.toExponential(2) + ', hosts ' + b.hosts.join(', ') + ')');
"
