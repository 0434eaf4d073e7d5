/**
 * NPU placement of inventory-mode instances: explicit cards first (checked: they exist, have a
 * device IP, are used once), then automatic packing in node order on the first run of contiguous
 * free cards; then the scheduler's node. Placement keys in device-plugin mode are reported.
 */
import type { Path, Problem } from "../common/issues";
import type { InferenceNodeConfig } from "./config";
import type { DraftDeployment, DraftInstance } from "./topology";

/** hostname → card id → owning instance: the cards taken so far. */
class CardMap {
  private readonly byHost = new Map<string, Map<number, string>>();
  on(host: string): Map<number, string> {
    return this.byHost.get(host) ?? this.byHost.set(host, new Map()).get(host)!;
  }
}

/** First run of `n` contiguous card ids that have a device IP and are free, or undefined. */
function contiguousRun(node: InferenceNodeConfig, n: number, npusPerNode: number, used: ReadonlyMap<number, string>): number[] | undefined {
  for (let start = 0; start + n <= npusPerNode; start++) {
    const run = Array.from({ length: n }, (_, k) => start + k);
    if (run.every((d) => !used.has(d) && node.deviceIPs[String(d)] !== undefined)) return run;
  }
  return undefined;
}

function rejectPlacementKeys(inst: DraftInstance, problems: Problem[]) {
  if (inst.spec.node !== undefined)
    problems.push({
      path: [...inst.path, "node"],
      message: "is only used in inventory mode; in device-plugin mode the scheduler and device plugin choose node and cards",
    });
  if (inst.spec.devices !== undefined)
    problems.push({
      path: [...inst.path, "devices"],
      message: "is only used in inventory mode; in device-plugin mode the device plugin chooses the cards",
    });
  inst.devices = undefined;
}

function placeExplicit(inst: DraftInstance, tp: number, npusPerNode: number, cards: CardMap, known: string[], problems: Problem[]) {
  const { spec } = inst;
  if (spec.node !== undefined && !inst.node) {
    problems.push({
      path: [...inst.path, "node"],
      message: `node "${spec.node}" is not in inference.nodes (${known.join(", ") || "empty"})`,
    });
    return;
  }
  if (spec.devices === undefined) return;
  if (!inst.node) {
    problems.push({ path: [...inst.path, "node"], message: "is required with devices: device ids are per node" });
    return;
  }
  const node = inst.node;
  const at: Path = [...inst.path, "devices"];
  if (spec.devices.length !== tp)
    problems.push({
      path: at,
      message: `lists ${spec.devices.length} device(s) but tensorParallelSize is ${tp}: every prefill and decode instance uses exactly tensorParallelSize NPUs (prefill and decode TP must be equal)`,
    });
  const mine = cards.on(node.hostname);
  spec.devices.forEach((dev, k) => {
    if (spec.devices!.indexOf(dev) < k) {
      problems.push({ path: at, message: `device ${dev} is listed twice; an instance uses ${tp} distinct NPUs` });
      return;
    }
    if (dev >= npusPerNode)
      problems.push({
        path: at,
        message: `device ${dev} does not exist: accelerator.npusPerNode is ${npusPerNode} (ids 0-${npusPerNode - 1})`,
      });
    else if (node.deviceIPs[String(dev)] === undefined)
      problems.push({
        path: at,
        message: `device ${dev} has no device IP in inference.nodes "${node.hostname}".deviceIPs (read it with hccn_tool -i ${dev} -ip -g)`,
      });
    const owner = mine.get(dev);
    if (owner !== undefined)
      problems.push({
        path: at,
        message: `NPU ${dev} on node "${node.hostname}" is already used by ${owner}: never bind two containers to the same NPU`,
      });
    else mine.set(dev, inst.name);
  });
}

function pack(
  inst: DraftInstance,
  tp: number,
  npusPerNode: number,
  nodes: readonly InferenceNodeConfig[],
  cards: CardMap,
  problems: Problem[],
) {
  for (const node of inst.node ? [inst.node] : nodes) {
    const mine = cards.on(node.hostname);
    const run = contiguousRun(node, tp, npusPerNode, mine);
    if (!run) continue;
    run.forEach((dev) => mine.set(dev, inst.name));
    inst.node = node;
    inst.devices = run;
    return;
  }
  const where = inst.node ? `node "${inst.node.hostname}"` : nodes.length ? "any node of inference.nodes" : "inference.nodes (it is empty)";
  problems.push({
    path: inst.path,
    message: `automatic packing cannot fit ${inst.name}: ${where} has no ${tp} contiguous free NPUs with device IPs; add nodes or device IPs, or lower the instance count`,
  });
}

function placeScheduler(d: DraftDeployment, nodes: readonly InferenceNodeConfig[], problems: Problem[]) {
  const wanted = d.config.scheduler.node;
  const at: Path = ["inference", "deployments", d.index, "scheduler", "node"];
  if (d.config.mode === "device-plugin") {
    if (wanted !== undefined) problems.push({ path: at, message: "is only used in inventory mode" });
    return;
  }
  if (wanted === undefined) {
    d.scheduler.node = d.instances.find((x) => x.role === "prefill")?.node;
    return;
  }
  d.scheduler.node = nodes.find((n) => n.hostname === wanted);
  if (!d.scheduler.node) problems.push({ path: at, message: `node "${wanted}" is not in inference.nodes` });
}

/** Places every instance (mutating the drafts) and reports what cannot be placed. */
export function placeInstances(
  drafts: DraftDeployment[],
  nodes: readonly InferenceNodeConfig[],
  npusPerNode: number,
  problems: Problem[],
): void {
  const cards = new CardMap();
  const known = nodes.map((n) => n.hostname);
  for (const d of drafts)
    for (const inst of d.instances)
      if (d.config.mode === "device-plugin") rejectPlacementKeys(inst, problems);
      else placeExplicit(inst, d.config.tensorParallelSize, npusPerNode, cards, known, problems);
  for (const d of drafts) {
    if (d.config.mode === "inventory")
      for (const inst of d.instances)
        if (inst.spec.devices === undefined && !(inst.spec.node !== undefined && !inst.node))
          pack(inst, d.config.tensorParallelSize, npusPerNode, nodes, cards, problems);
    placeScheduler(d, nodes, problems);
  }
}
