// Checks a local stack's exported state (stdin: `pulumi stack export --show-secrets`) against the
// cluster a kubeconfig file points at, for scripts/local.sh:
//   node scripts/local-state.mjs <kubeconfig file>
// Prints one line:
//   empty                        the stack has no resources
//   same                         its Kubernetes provider talks to this cluster
//   different <why>              it was deployed to another cluster (other CA or address)
// and, on a second line, `pending <n>` when an interrupted run left n pending operations.
// The cluster's identity is what the Kubernetes provider itself compares (its DiffConfig replaces
// every resource when it changes): the active context's server and certificate authority.
import { createHash } from "node:crypto";
import fs from "node:fs";
import { parse } from "yaml";

const [kubeconfigFile] = process.argv.slice(2);
const state = JSON.parse(fs.readFileSync(0, "utf8"));
const deployment = state.deployment ?? {};
const resources = deployment.resources ?? [];

/** server and CA fingerprint of the kubeconfig's active (or given) context. */
function identity(kubeconfigText, contextName) {
  const kc = parse(kubeconfigText) ?? {};
  const ctx = (kc.contexts ?? []).find((c) => c.name === (contextName || kc["current-context"]));
  const cluster = (kc.clusters ?? []).find((c) => c.name === ctx?.context?.cluster)?.cluster ?? {};
  const ca = cluster["certificate-authority-data"] ?? "";
  const fingerprint = ca ? createHash("sha256").update(Buffer.from(ca, "base64")).digest("hex").slice(0, 16) : "none";
  return { server: cluster.server ?? "?", ca: fingerprint };
}

/** A state value: plain, or a secret shown by --show-secrets. */
function plain(v) {
  if (v && typeof v === "object" && "plaintext" in v) return JSON.parse(v.plaintext);
  return v;
}

const providers = resources.filter((r) => r.type === "pulumi:providers:kubernetes" && r.inputs?.kubeconfig);
const managed = resources.filter((r) => r.type !== "pulumi:pulumi:Stack" && !r.type.startsWith("pulumi:providers:"));
if (managed.length === 0 && providers.length === 0) {
  console.log("empty");
} else {
  const now = identity(fs.existsSync(kubeconfigFile) ? fs.readFileSync(kubeconfigFile, "utf8") : "");
  const why = providers
    .map((p) => identity(String(plain(p.inputs.kubeconfig)), plain(p.inputs.context)))
    .filter((was) => was.server !== now.server || was.ca !== now.ca)
    .map((was) => `deployed to ${was.server} (CA ${was.ca}); the cluster now is ${now.server} (CA ${now.ca})`);
  console.log(why.length ? `different ${why[0]}` : "same");
}
const pending = deployment.pending_operations ?? [];
if (pending.length) console.log(`pending ${pending.length}`);
