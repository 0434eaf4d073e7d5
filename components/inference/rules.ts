/**
 * Cross-field rules of the inference section (docs/manual-facts.md#pd-constraints). Placement and port problems come from
 * resolveInference (the same code deployInference uses); generated rank tables are re-checked
 * by rankTableProblems.
 */
import { shown } from "../common/display";
import { inferenceReservedMounts, mountCollision } from "../common/mountPaths";
import { labelProblem, serviceNameProblem, subdomainProblem } from "../common/names";
import { isUnder, isUnderMaUserHome, samePath } from "../common/paths";
import type { Report } from "../common/issues";
import { reportBadEnvNames, reportRequestOverLimit } from "../common/ruleHelpers";
import { reportVolumeRef } from "../storage/volumeRef";
import type { AcceleratorConfig } from "../common/accelerator";
import { countOf, isVllmAscend, type InferenceConfig } from "./config";
import { vllmAscendRules, vllmDerivedNameProblems } from "./vllmAscend/rules";
import { vllmObjectNameOf } from "./vllmAscend/names";
import { extraArgsRules } from "./extraArgsRules";
import { pdConfigMapNameOf, instanceNameOf, PATHS } from "./names";
import { rankTableProblems } from "./ranktableCheck";
import { nodePortsOf, type ResolvedInference } from "./topology";

/** Device ids as Kubernetes/hccn_tool write them: "0", "7", never "00" or "07" (both would be card 0). */
const CANONICAL_ID = /^(0|[1-9]\d*)$/;

/** What the inference rules need from the rest of the stack. */
export interface InferenceRuleInput {
  inference: InferenceConfig;
  /** undefined when the accelerator section failed its schema (placement cannot be judged). */
  accelerator?: Pick<AcceleratorConfig, "npusPerNode">;
  /** undefined when the storage section failed its schema. */
  volumeNames?: readonly string[];
  /** resolveInference of this section (with the accelerator); undefined when the accelerator failed. */
  resolved?: ResolvedInference;
}

function nodeRules(inference: InferenceConfig, npusPerNode: number, report: Report) {
  const hostnames = new Map<string, number>();
  const hostIPs = new Map<string, number>();
  inference.nodes.forEach((n, i) => {
    const at = (...rest: (string | number)[]) => ["inference", "nodes", i, ...rest];
    if (hostnames.has(n.hostname))
      report(at("hostname"), `hostname ${shown(n.hostname)} is already used by entry [${hostnames.get(n.hostname)}]; nodes must be unique`);
    else hostnames.set(n.hostname, i);
    if (hostIPs.has(n.hostIP)) report(at("hostIP"), `host IP ${n.hostIP} is already used by entry [${hostIPs.get(n.hostIP)}]`);
    else hostIPs.set(n.hostIP, i);
  });
  // Every IP of the inventory is unique: a card's RoCE IP is neither another card's nor any node's host IP.
  const deviceIPs = new Map<string, string>();
  inference.nodes.forEach((n, i) => {
    const at = (...rest: (string | number)[]) => ["inference", "nodes", i, ...rest];
    for (const [id, ip] of Object.entries(n.deviceIPs)) {
      if (!CANONICAL_ID.test(id)) {
        report(
          at("deviceIPs", id),
          `device id ${shown(id)} must be written without leading zeros (e.g. "${Number(id)}"): "0" and "00" would both be card 0`,
        );
        continue;
      }
      if (Number(id) >= npusPerNode) report(at("deviceIPs", id), `device ${id} does not exist: accelerator.npusPerNode is ${npusPerNode}`);
      const host = hostIPs.get(ip);
      if (host !== undefined)
        report(
          at("deviceIPs", id),
          `device IP ${ip} is the host IP of inference.nodes[${host}] (${shown(inference.nodes[host].hostname)}); a card's RoCE address differs from every host IP`,
        );
      const other = deviceIPs.get(ip);
      if (other) report(at("deviceIPs", id), `device IP ${ip} is also given for ${other}; every card has its own RoCE address`);
      else deviceIPs.set(ip, `${n.hostname}/${id}`);
    }
  });
}

const INFERENCE_RESERVED = inferenceReservedMounts(PATHS);

export function inferenceRules(input: InferenceRuleInput, report: Report): void {
  // Placement depends on accelerator.npusPerNode: with that section failed, its defaults would only add noise.
  const accelerator = input.accelerator;
  if (accelerator) nodeRules(input.inference, accelerator.npusPerNode, report);
  extraArgsRules(input.inference, report);
  const deployments = input.inference.deployments;
  const seen = new Map<string, number>();
  deployments.forEach((d, i) => {
    const at = (...rest: (string | number)[]) => ["inference", "deployments", i, ...rest];
    if (seen.has(d.name))
      report(
        at("name"),
        `deployment name ${shown(d.name)} is already used by entry [${seen.get(d.name)}]; deployment names must be unique`,
      );
    else seen.set(d.name, i);
    // The Service is named after the deployment (RFC 1035); every derived name must fit too: the
    // scheduler, the last prefill and the last decode instance ("prefill" is one character longer).
    const serviceProblem = serviceNameProblem(d.name, "deployment name");
    if (serviceProblem) report(at("name"), serviceProblem);
    reportVolumeRef(at("volume"), d.volume, input.volumeNames, "the weights live on an SFS Turbo volume", report);
    if (!isUnder(d.model, d.mountPath) || samePath(d.model, d.mountPath))
      report(at("model"), `must lie under the volume's mount path ${d.mountPath} (the weights are on SFS Turbo)`);
    if (isVllmAscend(d)) {
      if (!serviceProblem) for (const p of vllmDerivedNameProblems(d)) report(at("name"), p);
      vllmAscendRules(d, at, { npusPerNode: accelerator?.npusPerNode }, report);
      return;
    }
    if (!serviceProblem) {
      const derived = [
        labelProblem(instanceNameOf(d.name, "scheduler"), "derived name"),
        labelProblem(instanceNameOf(d.name, "prefill", countOf(d.prefill) - 1), "derived name"),
        labelProblem(instanceNameOf(d.name, "decode", countOf(d.decode) - 1), "derived name"),
        subdomainProblem(pdConfigMapNameOf(d.name), "derived ConfigMap name"),
      ];
      for (const p of new Set(derived)) if (p) report(at("name"), p);
    }

    if (isUnderMaUserHome(d.mountPath)) report(at("mountPath"), "must not be /home/ma-user or below it: mounting there breaks the image");
    const collision = mountCollision(d.mountPath, INFERENCE_RESERVED);
    if (collision)
      report(
        at("mountPath"),
        `overlaps ${collision.path}, where every container mounts ${collision.what}; choose a path outside it (e.g. /mnt/sfs_turbo)`,
      );
    const workDir = d.workDir ?? d.mountPath;
    if (isUnderMaUserHome(workDir))
      report(at("workDir"), "must not be /home/ma-user or below it: mounting a work dir there breaks the image");
    else if (!isUnder(workDir, d.mountPath))
      report(at("workDir"), `must lie under mountPath ${d.mountPath}: it is the shared work dir (rendezvous entries live there)`);

    const v = d.vllm;
    if (!v.enableChunkedPrefill && v.maxNumBatchedTokens < v.maxModelLen)
      report(
        at("vllm", "maxNumBatchedTokens"),
        `is ${v.maxNumBatchedTokens} but must be ≥ maxModelLen (${v.maxModelLen}) unless enableChunkedPrefill is true`,
      );
    if (v.maxNumBatchedTokens < v.maxNumSeqs)
      report(at("vllm", "maxNumBatchedTokens"), `is ${v.maxNumBatchedTokens} but must be ≥ maxNumSeqs (${v.maxNumSeqs})`);
    if (accelerator && d.tensorParallelSize > accelerator.npusPerNode)
      report(
        at("tensorParallelSize"),
        `is ${d.tensorParallelSize} but an instance runs on one node with accelerator.npusPerNode = ${accelerator.npusPerNode} NPUs`,
      );
    reportRequestOverLimit(at("resources", "cpu"), d.resources.cpu, report);
    reportRequestOverLimit(at("resources", "memory"), d.resources.memory, report);
    reportRequestOverLimit(at("scheduler", "resources", "cpu"), d.scheduler.resources.cpu, report);
    reportRequestOverLimit(at("scheduler", "resources", "memory"), d.scheduler.resources.memory, report);
    reportBadEnvNames(at("env"), d.env, report);
    if (d.placement && d.mode === "inventory")
      report(at("placement"), "is for device-plugin mode only: inventory mode places its pods on the nodes of inference.nodes");
  });

  reportServiceNameClashes(deployments, report);

  const resolved = input.resolved;
  if (!resolved) return;
  for (const p of resolved.problems) report(p.path, p.message);
  if (resolved.problems.length > 0) return;
  for (const d of resolved.deployments) {
    const t = d.rankTopology;
    if (!t) continue;
    const names = d.instances.map((x) => x.name);
    for (const message of rankTableProblems(t, nodePortsOf(d), undefined, d.scheduler.port, names))
      report(["inference", "deployments", d.index], `rank tables: ${message}`);
  }
}

/**
 * Service names are one namespace: a vllm-ascend instance's headless Service (<dep>-prefill-0)
 * must not be another deployment's Service (named after that deployment).
 */
function reportServiceNameClashes(deployments: InferenceConfig["deployments"], report: Report) {
  const owners = new Map<string, number>();
  deployments.forEach((d, i) => owners.set(d.name, owners.get(d.name) ?? i));
  deployments.forEach((d, i) => {
    if (!isVllmAscend(d)) return;
    for (const role of ["prefill", "decode"] as const)
      for (let k = 0; k < countOf(d[role].instances); k++) {
        const name = vllmObjectNameOf(d.name, role, k);
        const other = owners.get(name);
        if (other !== undefined && other !== i)
          report(
            ["inference", "deployments", other, "name"],
            `${shown(name)} is also the Service of ${role} instance ${k} of inference.deployments[${i}] (${shown(d.name)}); Service names must be unique in the namespace`,
          );
      }
  });
}
