#!/usr/bin/env bash
# Creates the PKI of the local cluster in <dir>: a CA, the API server's serving cert, client certs
# (admin in system:masters, controller-manager, scheduler, volcano, the real node's), the service-account key pair
# and the serving cert of Volcano's admission webhooks (on 127.0.0.1, signed by the cluster CA that
# the webhook configurations name as caBundle).
# Idempotent: an existing, complete PKI is kept so kubeconfigs stay valid across restarts; a PKI made
# before the Volcano or real-node certs existed gets only those added.
# EC P-256 keys throughout: generating RSA keys would cost seconds of `start` on 2 cores.
set -euo pipefail
# shellcheck source=network.sh
source "$(dirname "$0")/network.sh"
pki=$1
mkdir -p "$pki"
cd "$pki"

key() { openssl ecparam -name prime256v1 -genkey -noout -out "$1.key"; }

# leaf <name> <subject> <extendedKeyUsage> [subjectAltName]
leaf() {
  key "$1"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -out "$1.crt" \
    -extfile <(printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=%s\n%s\n' \
      "$3" "${4:+subjectAltName=$4}") 2>/dev/null
  rm -f "$1.csr"
}

# volcano_certs: the Volcano components' client cert (bound to its ClusterRole by scripts/cluster.sh)
# and the admission webhook's serving cert.
volcano_certs() {
  [ -f volcano-admission.crt ] && [ -f volcano.crt ] && return 0
  leaf volcano "/CN=ascend-local:volcano" clientAuth
  leaf volcano-admission "/CN=volcano-admission" serverAuth "IP:127.0.0.1,DNS:localhost"
  chmod 600 ./*.key
}

# node_certs: the real node's identities (docs/real-node.md): the kubelet (client in
# system:nodes, and its serving cert on the node address), the API server's client to kubelets,
# kube-proxy and CoreDNS (bound to built-in roles or scripts/cluster/node/rbac.yaml).
node_certs() {
  [ -f kubelet-serving.crt ] && [ -f coredns.crt ] && return 0
  leaf kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" clientAuth
  leaf kubelet-serving "/CN=$NODE_NAME" serverAuth "IP:$NODE_IP,DNS:$NODE_NAME"
  leaf apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" clientAuth
  leaf kube-proxy "/CN=system:kube-proxy" clientAuth
  leaf coredns "/CN=ascend-local:coredns" clientAuth
  chmod 600 ./*.key
}

if [ -f .complete ]; then volcano_certs; node_certs; exit 0; fi

key ca
openssl req -x509 -new -key ca.key -subj "/CN=ascend-local-ca" -days 3650 -out ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"


# The `kubernetes` Service's address, and its names.
leaf apiserver "/CN=kube-apiserver" serverAuth \
  "IP:127.0.0.1,IP:$KUBERNETES_SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
leaf admin "/O=system:masters/CN=kubernetes-admin" clientAuth
# The built-in RBAC roles are bound to these user names.
leaf controller-manager "/CN=system:kube-controller-manager" clientAuth
leaf scheduler "/CN=system:kube-scheduler" clientAuth

# Separate CA for the (unused) front-proxy request-header auth, as kubeadm does: without it
# every component logs "missing content for CA bundle ... requestheader-client-ca-file".
key front-proxy-ca
openssl req -x509 -new -key front-proxy-ca.key -subj "/CN=front-proxy-ca" -days 3650 -out front-proxy-ca.crt \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"

key sa
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
chmod 600 ./*.key
volcano_certs
node_certs
touch .complete
