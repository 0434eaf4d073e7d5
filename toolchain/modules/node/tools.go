//go:build tools

// The real node's Kubernetes programs, from the same k8s.io/kubernetes version as the control
// plane (toolchain/modules/kubernetes); a module of their own so the control plane's cached
// binaries stay valid when the node's dependencies change.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
