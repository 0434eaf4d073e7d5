# Sourced by the project's scripts: puts the pinned toolchain on PATH and makes Pulumi run offline
# (local file backend, no plugin downloads, no update check). Users with a normal Pulumi install
# and a real cluster do not need this file.
# shellcheck shell=bash
ASCEND_REPO=${ASCEND_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
ASCEND_CACHE=${ASCEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ascend-stack}
export ASCEND_REPO ASCEND_CACHE
export PATH="$ASCEND_CACHE/bin:$ASCEND_REPO/node_modules/.bin:$PATH"
# State of the local stacks lives in the repo's git-ignored .local/ folder.
mkdir -p "$ASCEND_REPO/.local/state"
export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$ASCEND_REPO/.local/state}
export PULUMI_HOME=${PULUMI_HOME:-$ASCEND_CACHE/pulumi-home}
# Only for the local demo stacks; a real stack uses your own passphrase or a cloud secrets provider.
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-ascend-local-demo}
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
# Resource plugins come from the plugin cache (scripts/toolchain.sh installs them there), never
# from PATH; the language host sits next to the pulumi binary.
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export PULUMI_SKIP_CONFIRMATIONS=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
export KUBECONFIG=${ASCEND_KUBECONFIG:-$ASCEND_REPO/.local/cluster/kubeconfig}
