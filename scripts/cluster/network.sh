# shellcheck shell=bash
# The local cluster's addresses, in one place for every script that needs them (cluster.sh and
# the node's files, certs.sh, node/net.sh). docs/real-node.md, "Network", explains the choice.
# shellcheck disable=SC2034 # each script uses its own share of them

# Services (--service-cluster-ip-range); the `kubernetes` Service gets its first address.
SERVICE_RANGE=10.96.0.0/16
KUBERNETES_SERVICE_IP=10.96.0.1
# Pod addresses: the kwok nodes' pods (kwok --cidr) and the real node's pods, one /15 for both.
KWOK_POD_CIDR=10.244.0.1/16
POD_RANGES=10.244.0.0/15
# The stand-in NPU (RoCE) addresses of every node (RFC 2544's benchmarking range).
NPU_ADDRESS_RANGE=198.18.0.0/15
# The real node: its name, its address on the pods' bridge (and the pods' gateway), its pod subnet.
NODE_NAME=ascend-real-0
NODE_IP=10.245.0.1
NODE_PREFIX=24
POD_SUBNET=10.245.0.0/24
