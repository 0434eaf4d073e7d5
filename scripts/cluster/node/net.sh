#!/usr/bin/env bash
# The real node's network, and the guards that keep every cluster packet on this machine
# (docs/real-node.md). Needs root. Idempotent.
#
#   up:   bridge ascend-cni0 with the node address 10.245.0.1/24 (the pods' gateway; kubelet's
#         --node-ip); routes: the service range 10.96.0.0/16 to the bridge, and unreachable
#         fallbacks for every cluster range (pod ranges 10.244.0.0/15, services 10.96.0.0/16, the
#         stand-in NPU addresses 198.18.0.0/15), so that while the bridge is missing, or for an
#         address nothing on it answers, the kernel refuses the packet instead of sending it to the
#         default gateway; a FORWARD guard chain that lets pods talk only to each other and drops
#         anything else to or from the bridge; sysctls the node needs.
#   down: removes the bridge and the guard chain; the unreachable fallbacks stay (they only ever
#         refuse packets for the cluster's private ranges).
set -euo pipefail
# shellcheck source=../network.sh
source "$(dirname "$0")/../network.sh"
BRIDGE=ascend-cni0
NODE_CIDR=$NODE_IP/$NODE_PREFIX
UNREACHABLE=("$POD_RANGES" "$SERVICE_RANGE" "$NPU_ADDRESS_RANGE")
CHAIN=ASCEND-GUARD

die() { printf '[node-net] ERROR: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "the real node's network needs root"

fallbacks() {
  local r
  # metric 10000: any real route for the same prefix (the bridge's service route) wins.
  for r in "${UNREACHABLE[@]}"; do ip route replace unreachable "$r" metric 10000; done
}

guard() {
  local ipt
  for ipt in iptables ip6tables; do
    "$ipt" -w -N "$CHAIN" 2>/dev/null || "$ipt" -w -F "$CHAIN"
    "$ipt" -w -C FORWARD -j "$CHAIN" 2>/dev/null || "$ipt" -w -I FORWARD 1 -j "$CHAIN"
    "$ipt" -w -A "$CHAIN" -i "$BRIDGE" -o "$BRIDGE" -j RETURN
    "$ipt" -w -A "$CHAIN" -i "$BRIDGE" -j DROP
    "$ipt" -w -A "$CHAIN" -o "$BRIDGE" -j DROP
  done
}

up() {
  fallbacks
  guard
  ip link show "$BRIDGE" >/dev/null 2>&1 || ip link add "$BRIDGE" type bridge
  sysctl -qw "net.ipv6.conf.$BRIDGE.disable_ipv6=1"
  ip addr replace "$NODE_CIDR" dev "$BRIDGE"
  ip link set "$BRIDGE" up
  ip route replace "$SERVICE_RANGE" dev "$BRIDGE" src "${NODE_CIDR%/*}" metric 100
  # Service traffic between pods on the bridge passes iptables (kube-proxy's DNAT).
  modprobe br_netfilter 2>/dev/null || true
  sysctl -qw net.bridge.bridge-nf-call-iptables=1
  sysctl -qw net.ipv4.ip_forward=1
  # kubelet, containerd and CoreDNS each take inotify instances; Debian's 128 runs out.
  [ "$(sysctl -n fs.inotify.max_user_instances)" -ge 512 ] || sysctl -qw fs.inotify.max_user_instances=512
}

down() {
  local ipt
  fallbacks
  ip link del "$BRIDGE" 2>/dev/null || true
  for ipt in iptables ip6tables; do
    while "$ipt" -w -D FORWARD -j "$CHAIN" 2>/dev/null; do :; done
    "$ipt" -w -F "$CHAIN" 2>/dev/null || true
    "$ipt" -w -X "$CHAIN" 2>/dev/null || true
  done
}

case ${1:-} in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
