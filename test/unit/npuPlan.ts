/**
 * What the stack program registers, as the NPU model (npuModel.ts) needs it: built by the REAL
 * builders from a raw stack config, with the dependencies stack.ts/PdInference.ts declare. Cards
 * of an inventory pod come from its container command (--npus/--npu-node/--npu-owner), NPU units
 * from its resource requests, placement from nodeSelector and the hostname NotIn affinity.
 */
import { validateStackConfig } from "../../components/config/validate";
import { buildInstanceDeployment, type PdInputs } from "../../components/inference/builders";
import { inventoryHostsOf, reservationImagesOf } from "../../components/inference/npuOwnership";
import { npuLedgerFile, npuLedgerOf, reservedNodesOf, type NpuLedger } from "../../components/inference/npuOwnership";
import { buildNpuReservation, RESERVATION_IGNORE_CHANGES } from "../../components/inference/reservation";
import { resolveInference } from "../../components/inference/topology";
import { buildVolcanoJob } from "../../components/training/builders";
import type { PodSpec } from "./npuModel";

export interface Resource {
  /** The Pulumi resource name (what the engine matches old and new state by). */
  key: string;
  kind: "ledger" | "deployment" | "job";
  /** Resources this one waits for (dependsOn, components expanded to their children). */
  deps: string[];
  /** What the engine diffs. */
  spec: string;
  /** One pod per replica (Deployments: 1; Volcano Jobs: one per task replica). */
  pods: PodSpec[];
  ledger?: NpuLedger;
  /** replaceOnChanges + deleteBeforeReplace (the Volcano Job: Volcano rejects spec updates). */
  replaceOnChange?: boolean;
}

/** The protections of issue 7 §1; switching them off gives the negative controls. */
export interface Protections {
  /** One reservation Deployment per inventory node holding every NPU unit. */
  reservation: boolean;
  /** Training and device-plugin pods avoid every inference.nodes hostname. */
  antiAffinity: boolean;
  /** Inventory instances request tensorParallelSize units (the code before issue 7). */
  inventoryUnits: boolean;
  /** Pulumi ignores image changes of the reservations (RESERVATION_IGNORE_CHANGES). */
  stableReservation: boolean;
}
export const PROTECTED: Protections = { reservation: true, antiAffinity: true, inventoryUnits: false, stableReservation: true };
export const OLD_CODE: Protections = { reservation: false, antiAffinity: false, inventoryUnits: true, stableReservation: false };

export const LEDGER_KEY = "npu-exclusivity-ledger";
const reservationKey = (hostname: string) => `npu-exclusivity-${hostname}`;

function inventoryOf(command: string[]): PodSpec["inv"] {
  const arg = (flag: string) => command[command.indexOf(flag) + 1];
  if (!command.includes("--npus")) return undefined;
  return { node: arg("--npu-node"), owner: arg("--npu-owner"), cards: arg("--npus").split(",").map(Number) };
}

/** What the engine diffs: the object without its ignoreChanges paths (e.g. "a.b[0].c"). */
function diffed(o: object, ignore: string[] = []): string {
  const copy = JSON.parse(JSON.stringify(o));
  for (const path of ignore) {
    const keys = path.replace(/\[(\d+)\]/g, ".$1").split(".");
    const parent = keys.slice(0, -1).reduce((x, k) => x?.[k], copy);
    if (parent) delete parent[keys[keys.length - 1]];
  }
  return JSON.stringify(copy);
}

export function planOf(raw: Record<string, unknown>, p: Protections = PROTECTED): Resource[] {
  const valid = validateStackConfig(raw);
  if (!valid.ok) throw new Error(`invalid scenario config: ${JSON.stringify(valid.issues)}`);
  const config = valid.config;
  const { deployments, problems } = resolveInference(config);
  if (problems.length) throw new Error(`invalid scenario topology: ${JSON.stringify(problems)}`);
  const acc = config.accelerator;
  const avoid = p.antiAffinity ? inventoryHostsOf(resolveInference(config).deployments, config.inference.nodes) : [];
  const common = {
    namespace: config.cluster.namespace,
    accelerator: acc,
    imagePullPolicy: config.images.pullPolicy,
    claimName: "sfs-turbo",
    imagePullSecrets: [],
  };
  const out: Resource[] = [];

  // NpuExclusivity: the ledger, then one reservation per inventory node in use (stack.ts).
  const used = reservedNodesOf(deployments, config.inference.nodes);
  if (used.length)
    out.push({ key: LEDGER_KEY, kind: "ledger", deps: [], spec: npuLedgerFile(deployments), pods: [], ledger: npuLedgerOf(deployments) });
  const images = reservationImagesOf(deployments, config.images.base);
  const tolerations = [...acc.tolerations, ...config.inference.inventoryTolerations];
  for (const node of p.reservation ? used : []) {
    const o = buildNpuReservation({ ...common, hostname: node.hostname, image: images[node.hostname], tolerations }) as any;
    out.push({
      key: reservationKey(node.hostname),
      kind: "deployment",
      deps: [LEDGER_KEY],
      spec: diffed(o, p.stableReservation ? RESERVATION_IGNORE_CHANGES : []),
      pods: [{ role: "holder", template: o.spec.template.spec }],
    });
  }
  // Inventory instances depend on the NpuExclusivity component: its ledger and every reservation.
  const exclusivity = out.map((r) => r.key);

  for (const dep of deployments) {
    const d = dep.config;
    const inputs: PdInputs = {
      ...common,
      deployment: dep,
      image: d.image ?? config.images.base,
      inventoryHosts: avoid,
      stackId: "s",
      inventoryTolerations: config.inference.inventoryTolerations,
    };
    for (const x of dep.instances) {
      const o = buildInstanceDeployment(inputs, x) as any;
      const template = o.spec.template.spec;
      const c = template.containers[0];
      const inv = inventoryOf(c.command);
      if (inv && p.inventoryUnits) c.resources.requests[acc.resourceName] = String(d.tensorParallelSize);
      out.push({
        key: x.name,
        kind: "deployment",
        deps: inv ? exclusivity : [],
        spec: JSON.stringify(o),
        pods: [{ role: inv ? "inventory" : "unit", template, inv }],
      });
    }
  }

  for (const job of config.training.jobs) {
    const o = buildVolcanoJob({ ...common, job, image: job.image ?? config.images.base, avoidHosts: avoid }) as any;
    const pods = o.spec.tasks.flatMap((t: any) =>
      Array.from({ length: t.replicas }, (): PodSpec => ({ role: "unit", template: t.template.spec })),
    );
    out.push({ key: job.name, kind: "job", deps: [], spec: JSON.stringify(o), pods, replaceOnChange: true });
  }
  return out;
}
