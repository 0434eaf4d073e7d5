/**
 * Rules of a vllm-ascend deployment (docs/vllm-ascend.md, config reference and ports), each reported at its config path.
 * Port overlaps come from resolve.ts (the same code the stack deploys); the cross-deployment
 * Service-name rule lives in ../rules.ts with the other engine's names.
 */
import { labelProblem, subdomainProblem } from "../../common/names";
import { mountCollision, vllmAscendReservedMounts } from "../../common/mountPaths";
import type { Path, Report } from "../../common/issues";
import { reportBadEnvNames, reportRequestOverLimit } from "../../common/ruleHelpers";
import { shown } from "../../common/display";
import { reportManaged, type ManagedFlags } from "../extraArgsRules";
import { countOf } from "../config";
import type { VllmAscendDeploymentConfig } from "./config";
import { DERIVED_ENV } from "./env";
import { vllmConfigMapNameOf, vllmObjectNameOf, VLLM_PATHS } from "./names";

/** Every flag the builders set on `vllm serve` → the config key to use instead. */
export const VLLM_MANAGED: ManagedFlags = {
  flags: {
    "--model": "model (`vllm serve <model>`)",
    "--host": "nothing: the servers listen on 0.0.0.0 (host network) by design",
    "--port": "ports.api",
    "--served-model-name": "servedModelName",
    "--tensor-parallel-size": "prefill/decode.tensorParallelSize",
    "--data-parallel-size": "prefill/decode.dataParallelSize",
    "--data-parallel-rank": "nothing: the launcher numbers the ranks",
    "--data-parallel-address": "nothing: the node's IP",
    "--data-parallel-rpc-port": "ports.dataParallelRpc",
    "--max-model-len": "maxModelLen",
    "--max-num-seqs": "prefill/decode.maxNumSeqs",
    "--max-num-batched-tokens": "prefill/decode.maxNumBatchedTokens",
    "--kv-transfer-config": "connector, ports.kv and the roles' sizes (the stack derives the JSON)",
  },
  aliases: { "-tp": "--tensor-parallel-size", "-dp": "--data-parallel-size" },
};

export interface VllmRuleInput {
  /** undefined when the accelerator section failed its schema. */
  npusPerNode?: number;
}

/** Problems of the names derived from the deployment's (its Service name is checked with the other engine's). */
export function vllmDerivedNameProblems(d: VllmAscendDeploymentConfig): string[] {
  // Every instance has a headless Service named like it (the proxy's host lists use their DNS names).
  const derived = [
    labelProblem(vllmObjectNameOf(d.name, "proxy"), "derived name"),
    labelProblem(vllmObjectNameOf(d.name, "prefill", countOf(d.prefill.instances) - 1), "derived Service name"),
    labelProblem(vllmObjectNameOf(d.name, "decode", countOf(d.decode.instances) - 1), "derived Service name"),
    subdomainProblem(vllmConfigMapNameOf(d.name), "derived ConfigMap name"),
  ];
  return [...new Set(derived.filter((p): p is string => !!p))];
}

export function vllmAscendRules(
  d: VllmAscendDeploymentConfig,
  at: (...rest: (string | number)[]) => Path,
  input: VllmRuleInput,
  report: Report,
): void {
  const collision = mountCollision(d.mountPath, vllmAscendReservedMounts(VLLM_PATHS.config));
  if (collision)
    report(
      at("mountPath"),
      `overlaps ${collision.path}, where every instance mounts ${collision.what}; choose a path outside it (e.g. /mnt/sfs_turbo)`,
    );

  for (const role of ["prefill", "decode"] as const) {
    const r = d[role];
    const chips = r.dataParallelSize * r.tensorParallelSize;
    if (input.npusPerNode !== undefined && chips > input.npusPerNode)
      report(
        at(role, "dataParallelSize"),
        `${role} instances need dataParallelSize × tensorParallelSize = ${r.dataParallelSize} × ${r.tensorParallelSize} = ${chips} NPUs, but an instance runs on one node with accelerator.npusPerNode = ${input.npusPerNode}`,
      );
    if (r.maxNumSeqs !== undefined && r.maxNumBatchedTokens !== undefined && r.maxNumBatchedTokens < r.maxNumSeqs)
      report(
        at(role, "maxNumBatchedTokens"),
        `is ${r.maxNumBatchedTokens} but must be ≥ maxNumSeqs (${r.maxNumSeqs}); vLLM refuses to start otherwise`,
      );
    reportManaged(r.extraArgs, at(role, "extraArgs"), report, VLLM_MANAGED);
    const list = r.instances;
    if (Array.isArray(list))
      list.forEach((x, j) => reportManaged(x.extraArgs, at(role, "instances", j, "extraArgs"), report, VLLM_MANAGED));
    reportRequestOverLimit(at(role, "resources", "cpu"), r.resources.cpu, report);
    reportRequestOverLimit(at(role, "resources", "memory"), r.resources.memory, report);
  }
  // MooncakeConnectorV1 refuses a prefill tensor-parallel size below the decode one.
  if (d.prefill.tensorParallelSize < d.decode.tensorParallelSize)
    report(
      at("prefill", "tensorParallelSize"),
      `is ${d.prefill.tensorParallelSize} but must be ≥ decode.tensorParallelSize (${d.decode.tensorParallelSize}): the Mooncake connector maps each decode rank's KV to prefill ranks and refuses a smaller prefill tp`,
    );
  reportManaged(d.extraArgs, at("extraArgs"), report, VLLM_MANAGED);
  reportRequestOverLimit(at("proxy", "resources", "cpu"), d.proxy.resources.cpu, report);
  reportRequestOverLimit(at("proxy", "resources", "memory"), d.proxy.resources.memory, report);
  reportBadEnvNames(at("env"), d.env, report);
  for (const key of Object.keys(d.env))
    if (DERIVED_ENV[key]) report(at("env", key), `${shown(key)} is derived by the stack (${DERIVED_ENV[key]}); it cannot be set here`);
}
