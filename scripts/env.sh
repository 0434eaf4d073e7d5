# Sourced by the project's scripts: puts the pinned toolchain on PATH and makes Pulumi run offline
# (local file backend, no plugin downloads, no update check). Users with a normal Pulumi install
# and a real cluster do not need this file. `source scripts/env.sh` in your own shell gives it the
# same setup (pulumi and kubectl of the local demo); the npm scripts `local:*` do that for you.
#
# Which local cluster and which state: the demo (`npm run local`) uses .local/cluster and
# .local/state; `npm test` sets ASCEND_CLUSTER_DIR and ASCEND_BACKEND_URL to its own folders
# (.local/test/…) so the two never share a cluster, a port or a stack.
# shellcheck shell=bash
ASCEND_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ASCEND_CACHE=${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack}
ASCEND_CLUSTER_DIR=${ASCEND_CLUSTER_DIR:-$ASCEND_REPO/.local/cluster}
export ASCEND_REPO ASCEND_CACHE ASCEND_CLUSTER_DIR
export PATH="$ASCEND_CACHE/bin:$ASCEND_REPO/node_modules/.bin:$PATH"
# Node.js 22+ (package.json "engines"): where the machine's node is older, the Node.js that
# scripts/lib.sh (ensure_node) installed into the cache comes first.
ASCEND_NODE_VERSION=$(sed -n 's/^NODE_VERSION=//p' "$ASCEND_REPO/toolchain/versions.env")
if [ -x "$ASCEND_CACHE/node-v$ASCEND_NODE_VERSION/bin/node" ] &&
  ! node -e 'process.exit(+process.versions.node.split(".")[0] >= +process.argv[1] ? 0 : 1)' "${ASCEND_NODE_VERSION%%.*}" 2>/dev/null; then
  export PATH="$ASCEND_CACHE/node-v$ASCEND_NODE_VERSION/bin:$PATH"
fi
unset ASCEND_NODE_VERSION
# State of the local stacks lives in the repo's git-ignored .local/ folder. An ambient
# PULUMI_BACKEND_URL (your own backend) is deliberately not used for these throw-away stacks.
export PULUMI_BACKEND_URL=${ASCEND_BACKEND_URL:-file://$ASCEND_REPO/.local/state}
case $PULUMI_BACKEND_URL in file://*) mkdir -p "${PULUMI_BACKEND_URL#file://}" ;; esac
export PULUMI_HOME=${PULUMI_HOME:-$ASCEND_CACHE/pulumi-home}
# Only for the local demo stacks (their secrets are encrypted with it); a real stack uses your own
# passphrase or a cloud secrets provider.
unset PULUMI_CONFIG_PASSPHRASE_FILE
export PULUMI_CONFIG_PASSPHRASE=ascend-local-demo
export PULUMI_SKIP_UPDATE_CHECK=true
# How the Pulumi program starts (docs/performance.md). Without type checking: `npm test` and
# editors type-check, and checking costs about 5 s at every cold start (first run after an edit,
# every fresh CI machine). Pulumi.yaml's `tsconfig` option says the same to current language
# hosts; the pinned one (toolchain/versions.env) predates runtime options and reads this variable.
export PULUMI_NODEJS_TRANSPILE_ONLY=${PULUMI_NODEJS_TRANSPILE_ONLY:-true}
# Node.js (22.1+) keeps the compiled code of the modules it loads: the Pulumi SDK alone is
# 0.5 s to compile at every start. Applies to every Node.js tool the scripts run.
export NODE_COMPILE_CACHE=${NODE_COMPILE_CACHE:-$ASCEND_CACHE/node-compile-cache}
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Resource plugins come from the plugin cache (scripts/toolchain.sh installs them there), never
# from PATH; the language host sits next to the pulumi binary.
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export KUBECONFIG=${ASCEND_KUBECONFIG:-$ASCEND_CLUSTER_DIR/kubeconfig}
