# shellcheck shell=bash
# The real node's configuration files, written by every `scripts/cluster.sh start` into
# <cluster folder>/node/ (sourced by scripts/cluster.sh; uses its $state, $pki and ports).
# docs/real-node.md explains each choice.
# Sourced: $state, $pki, $CONTEXT, the *_PORT variables and the addresses (../network.sh) are
# scripts/cluster.sh's; $NODE_TAINT is node.sh's.
# shellcheck disable=SC2034,SC2153,SC2154

# The real node's number for the stand-in NPU addresses (kwok nodes are 0..89).
NODE_INDEX=100
# The manual's registry and vllm-ascend's (quay.io/ascend/vllm-ascend): containerd resolves them (and
# any other) to the local registry, where build.sh pushed them under the path after the host.
MIRRORED_REGISTRIES=(swr.cn-southwest-2.myhuaweicloud.com quay.io docker.io registry.k8s.io)

node_paths() {
  NODE_DIR="$state/node"
  CTRD_SOCK="$NODE_DIR/containerd/containerd.sock"
  # A unix socket's path must fit in 108 bytes.
  [ ${#CTRD_SOCK} -le 100 ] || CTRD_SOCK="/run/ascend-containerd-$(printf '%s' "$state" | md5sum | cut -c1-16).sock"
  KUBELET_ROOT="$NODE_DIR/kubelet"
  # The kubelet's plugin sockets lie up to 51 bytes below its root, and a socket path must fit in
  # 108: a deep cluster folder gets a root outside it (removed by stop --purge).
  [ $((${#KUBELET_ROOT} + 51)) -le 107 ] || KUBELET_ROOT="/var/lib/ascend-stack/kubelet-$(printf '%s' "$state" | md5sum | cut -c1-16)"
  SFS_DIR="$NODE_DIR/sfs-turbo"
  DEV_DIR="$NODE_DIR/dev"
}

# put <program> <file>: writes stdin to the file; when that changes it, the running program is
# restarted by the start sequence (NODE_RESTART), as a changed command line would be.
put() {
  cat >"$2.new"
  if cmp -s "$2.new" "$2"; then rm -f "$2.new"; else mv "$2.new" "$2"; NODE_RESTART+=" $1 "; fi
}

write_node_files() {
  NODE_RESTART=" "
  node_paths
  mkdir -p "$NODE_DIR"/{containerd/certs.d,cni/net.d,registry} "$KUBELET_ROOT" "$SFS_DIR" "$DEV_DIR"
  local r
  for r in "${MIRRORED_REGISTRIES[@]}"; do
    mkdir -p "$NODE_DIR/containerd/certs.d/$r"
    # `server` is also the fallback: nothing is ever tried upstream.
    cat >"$NODE_DIR/containerd/certs.d/$r/hosts.toml" <<EOF
server = "http://127.0.0.1:$REGISTRY_PORT"

[host."http://127.0.0.1:$REGISTRY_PORT"]
  capabilities = ["pull", "resolve"]
EOF
  done
  put containerd "$NODE_DIR/containerd/config.toml" <<EOF
version = 2
root = "$NODE_DIR/containerd/root"
state = "$NODE_DIR/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = "$CTRD_SOCK"

[ttrpc]
  address = "$CTRD_SOCK.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$NODE_DIR/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "swr.cn-southwest-2.myhuaweicloud.com/ascend-local/pause:3.10.1"
  stream_server_address = "127.0.0.1"
  enable_selinux = false
  # Containers never get a lower oom_score_adj than containerd's own: the kubelet asks -998 for
  # pod sandboxes, and lowering it needs CAP_SYS_RESOURCE, which machines like CI VMs withhold.
  restrict_oom_score_adj = true

[plugins."io.containerd.grpc.v1.cri".containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"

[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
  SystemdCgroup = false
  BinaryName = "$(command -v runc)"
  Root = "$NODE_DIR/containerd/runc"

[plugins."io.containerd.grpc.v1.cri".cni]
  bin_dir = "/usr/lib/cni"
  conf_dir = "$NODE_DIR/cni/net.d"

[plugins."io.containerd.grpc.v1.cri".registry]
  config_path = "$NODE_DIR/containerd/certs.d"
EOF
  # No default route in pods, no masquerade, no portmap: a pod reaches the other pods, the node
  # and the services, nothing else (the host's guard chain drops the rest).
  cat >"$NODE_DIR/cni/net.d/10-ascend.conflist" <<EOF
{"cniVersion": "0.4.0", "name": "ascend-local", "plugins": [{"type": "bridge", "bridge": "ascend-cni0",
 "isGateway": true, "ipMasq": false, "hairpinMode": true,
 "ipam": {"type": "host-local", "dataDir": "$NODE_DIR/cni/ipam",
  "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]],
  "routes": [{"dst": "$SERVICE_RANGE"}, {"dst": "$POD_RANGES"}]}},
 {"type": "loopback"}]}
EOF
  put registry "$NODE_DIR/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage: {filesystem: {rootdirectory: $NODE_DIR/registry}, delete: {enabled: true}}
http: {addr: "127.0.0.1:$REGISTRY_PORT"}
EOF
  # Pods (hostNetwork ones too) resolve through CoreDNS only: no query leaves the machine.
  printf 'nameserver %s\nsearch default.svc.cluster.local svc.cluster.local cluster.local\n' "$NODE_IP" >"$NODE_DIR/resolv.conf"
  put coredns "$NODE_DIR/Corefile" <<EOF
cluster.local:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    health 127.0.0.1:$COREDNS_HEALTH_PORT
    ready 127.0.0.1:$COREDNS_READY_PORT
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig $state/coredns.kubeconfig $CONTEXT
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }
    cache 5
}
.:53 {
    bind $NODE_IP
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
  put kubelet "$NODE_DIR/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: $KUBELET_HEALTHZ_PORT
tlsCertFile: $pki/kubelet-serving.crt
tlsPrivateKeyFile: $pki/kubelet-serving.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
containerRuntimeEndpoint: unix://$CTRD_SOCK
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS: [$NODE_IP]
clusterDomain: cluster.local
resolvConf: $NODE_DIR/resolv.conf
# The downward-API annotations file (the device annotation) refreshes on this period.
syncFrequency: 10s
serializeImagePulls: false
registerWithTaints:
- {key: $NODE_TAINT, value: "true", effect: NoSchedule}
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
podPidsLimit: -1
shutdownGracePeriod: 0s
EOF
  put kube-proxy "$NODE_DIR/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $state/kube-proxy.kubeconfig}
hostnameOverride: $NODE_NAME
mode: iptables
clusterCIDR: $POD_SUBNET
# NodePorts only on the node address, never on the machine's own interfaces.
nodePortAddresses: ["$NODE_IP/32"]
healthzBindAddress: 127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$KUBE_PROXY_METRICS_PORT
conntrack: {maxPerCore: 0}
iptables: {localhostNodePorts: false}
EOF
  # Stand-in NPU device files: regular files, bind-mounted at /dev/davinciN by the device plugin, so
  # an exclusive lock on one is seen by every container that was (wrongly) given the same card.
  for r in 0 1 2 3 4 5 6 7; do : >>"$DEV_DIR/davinci$r"; done
  : >>"$DEV_DIR/davinci_manager"; : >>"$DEV_DIR/devmm_svm"; : >>"$DEV_DIR/hisi_hdc"
}

# node_host_standins: the manual's host paths (driver, add-ons, npu-smi, hccn.conf,
# ascend_install.info, the log dirs) that P/D and training pods mount from the node, and those the
# vllm-ascend tutorials mount (dcmi, the driver's lib64 and hccn_tool; npu-smi comes from /usr/local/sbin).
# Created only where missing; what was created is listed in /var/lib/ascend-stack/host-standins.
node_host_standins() {
  local list=/var/lib/ascend-stack/host-standins p
  mkdir -p /var/lib/ascend-stack
  for p in /usr/local/Ascend/driver /usr/local/Ascend/add-ons /usr/slog /var/log/npu \
    /usr/local/dcmi /usr/local/Ascend/driver/lib64 /usr/local/Ascend/driver/tools; do
    [ -e "$p" ] || { mkdir -p "$p"; echo "$p" >>"$list"; }
  done
  if [ ! -e /usr/local/Ascend/driver/version.info ]; then
    printf 'Version=24.1.rc3 (ascend-stack local stand-in)\n' >/usr/local/Ascend/driver/version.info
    echo /usr/local/Ascend/driver/version.info >>"$list"
  fi
  if [ ! -e /usr/local/Ascend/driver/tools/hccn_tool ]; then
    # `hccn_tool -i N -ip -g` answers card N's address from /etc/hccn.conf, as the real one does.
    cat >/usr/local/Ascend/driver/tools/hccn_tool <<'EOF'
#!/bin/sh
# ascend-stack local stand-in for hccn_tool: no NPU network on this machine.
if [ "$1" = -i ] && [ "$3" = -ip ] && [ "$4" = -g ]; then
  a=$(sed -n "s/^address_$2=//p" /etc/hccn.conf 2>/dev/null)
  m=$(sed -n "s/^netmask_$2=//p" /etc/hccn.conf 2>/dev/null)
  if [ -n "$a" ]; then printf 'ipaddr:%s\nnetmask:%s\n' "$a" "$m"; exit 0; fi
fi
echo "hccn_tool stand-in: no NPU network on this machine (ascend-stack local real node)"
EOF
    chmod 755 /usr/local/Ascend/driver/tools/hccn_tool
    echo /usr/local/Ascend/driver/tools/hccn_tool >>"$list"
  fi
  if [ ! -e /etc/hccn.conf ]; then
    # The cards' addresses the device plugin gives this node (deviceplugin.DeviceIP, NODE_INDEX 100).
    for r in 0 1 2 3 4 5 6 7; do printf 'address_%s=198.18.3.%s\nnetmask_%s=255.255.255.0\n' "$r" "$((51 + r))" "$r"; done >/etc/hccn.conf
    echo /etc/hccn.conf >>"$list"
  fi
  if [ ! -e /etc/ascend_install.info ]; then
    printf 'UserName=root\nUserGroup=root\nDriver_Install_Type=full\nDriver_Install_Path_Param=/usr/local/Ascend\n# ascend-stack local stand-in\n' >/etc/ascend_install.info
    echo /etc/ascend_install.info >>"$list"
  fi
  if [ ! -e /usr/local/sbin/npu-smi ]; then
    printf '#!/bin/sh\n# ascend-stack local stand-in for npu-smi\necho "npu-smi stand-in: 8 x Ascend 910B (no real NPU on this machine)"\n' >/usr/local/sbin/npu-smi
    chmod 755 /usr/local/sbin/npu-smi
    echo /usr/local/sbin/npu-smi >>"$list"
  fi
}
