#!/usr/bin/env bash
# Renders every manifest of a stack to a folder without a cluster, through the Kubernetes
# provider's render-to-directory mode:
#   npm run render -- Pulumi.dev.yaml [out-dir]      (default out-dir: rendered/<stack>)
# It runs `pulumi up` on a throw-away stack with the same config in a temporary backend. The
# registry password is replaced by a placeholder: render mode writes Secret data in plaintext,
# so real credentials never reach the rendered files.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
source "$repo/scripts/lib.sh"
[ $# -ge 1 ] || die "usage: npm run render -- Pulumi.<stack>.yaml [out-dir]"
file=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -f "$file" ] || die "no such stack file: $1"
stack=$(basename "$file" .yaml); stack=${stack#Pulumi.}
out=${2:-$repo/rendered/$stack}; mkdir -p "$out"; out=$(cd "$out" && pwd)
ensure_node_modules "$repo"
source "$repo/scripts/env.sh"
command -v pulumi >/dev/null || ensure_toolchain "$repo"

backend=$(mktemp -d); render_stack="render-$stack"; render_file="$repo/Pulumi.$render_stack.yaml"
cleanup() { rm -rf "$backend" "$render_file"; }
trap cleanup EXIT
export PULUMI_BACKEND_URL="file://$backend" PULUMI_CONFIG_PASSPHRASE=render-only
# The provider would take an ambient KUBECONFIG as its kubeconfig, which render mode refuses.
unset KUBECONFIG

say "Writing $render_file from $(basename "$file") (render mode, placeholder secrets)"
node -e '
const fs = require("fs"); const YAML = require("yaml");
const [src, dst, out] = process.argv.slice(1);
const doc = YAML.parse(fs.readFileSync(src, "utf8")) ?? {};
const config = doc.config ?? {};
delete config["ascend-stack:registryPassword"];
const cluster = { ...(config["ascend-stack:cluster"] ?? {}) };
delete cluster.kubeconfig; delete cluster.context;
cluster.renderYamlToDirectory = out;
config["ascend-stack:cluster"] = cluster;
fs.writeFileSync(dst, YAML.stringify({ config }));
' "$file" "$render_file" "$out"
cd "$repo"
pulumi stack init "$render_stack" >/dev/null
if grep -q '^  ascend-stack:registry:' "$file"; then
  pulumi config set --stack "$render_stack" --secret registryPassword '<redacted: render mode>'
fi
say "Rendering into $out"
pulumi up --yes --skip-preview --stack "$render_stack" || die "rendering failed (see above)"
say "Rendered manifests:"
find "$out" -name '*.yaml' | sort
