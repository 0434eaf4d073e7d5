/**
 * `vllm.extraArgs` and per-instance `extraArgs` are appended after the flags the stack sets
 * itself (builders.ts serverArgs); argparse lets the last occurrence win, so a managed flag there
 * silently overrides the managed value (e.g. --port: NODE_PORTS and the probes would point
 * elsewhere). Each managed flag must be set through its config key instead.
 */
import type { Path, Report } from "../common/issues";
import { isAscendCloud, type InferenceConfig } from "./config";
import { shown } from "../common/display";

/** Every flag serverArgs sets → the config key to use instead. */
export const MANAGED_FLAGS: Readonly<Record<string, string>> = {
  "--model": "model",
  "--tensor-parallel-size": "tensorParallelSize",
  "--max-model-len": "vllm.maxModelLen",
  "--max-num-seqs": "vllm.maxNumSeqs",
  "--max-num-batched-tokens": "vllm.maxNumBatchedTokens",
  "--host": "nothing: the stack listens on 0.0.0.0 (host network) by design",
  "--port": "prefill[]/decode[].port or scheduler.port",
  "--served-model-name": "servedModelName",
  "--quantization": "vllm.quantization",
  "--enable-chunked-prefill": "vllm.enableChunkedPrefill",
  "--prefill-batching-policy": "prefillBatchingPolicy",
  "--prefill-routing-policy": "scheduler.routingPolicy",
};
/** vLLM's short aliases of managed flags. */
const ALIASES: Readonly<Record<string, string>> = { "-tp": "--tensor-parallel-size", "-q": "--quantization" };

/**
 * The managed flag an argv element sets, or undefined. Covers `--flag v` and `--flag=v`,
 * vLLM's underscore spelling (`--max_model_len`) and argparse's unambiguous abbreviations
 * (`--served-model`); a prefix shorter than 5 characters is left to argparse.
 */
export function managedFlagOf(arg: string, flags: ManagedFlags = ASCENDCLOUD_FLAGS): string | undefined {
  if (!arg.startsWith("-")) return undefined;
  const flag = arg.split("=", 1)[0];
  if (flags.aliases[flag]) return flags.aliases[flag];
  if (!flag.startsWith("--")) return undefined;
  const name = "--" + flag.slice(2).replace(/_/g, "-");
  if (flags.flags[name]) return name;
  if (name.length < 5) return undefined;
  const prefixed = Object.keys(flags.flags).filter((f) => f.startsWith(name));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** An engine's managed flags (flag → the config key to use instead) and their short aliases. */
export interface ManagedFlags {
  flags: Readonly<Record<string, string>>;
  aliases: Readonly<Record<string, string>>;
}
const ASCENDCLOUD_FLAGS: ManagedFlags = { flags: MANAGED_FLAGS, aliases: ALIASES };

/** Reports every element of `args` that sets one of `flags`. */
export function reportManaged(args: readonly string[], path: Path, report: Report, flags: ManagedFlags = ASCENDCLOUD_FLAGS) {
  args.forEach((arg, k) => {
    const flag = managedFlagOf(arg, flags);
    if (flag)
      report(
        [...path, k],
        `${shown(arg)} sets ${flag}, which the stack sets itself (a later occurrence would silently override it); use ${flags.flags[flag]} instead`,
      );
  });
}

export function extraArgsRules(inference: InferenceConfig, report: Report): void {
  inference.deployments.forEach((d, i) => {
    if (!isAscendCloud(d)) return;
    reportManaged(d.vllm.extraArgs, ["inference", "deployments", i, "vllm", "extraArgs"], report);
    for (const role of ["prefill", "decode"] as const) {
      const list = d[role];
      if (Array.isArray(list))
        list.forEach((inst, j) => reportManaged(inst.extraArgs, ["inference", "deployments", i, role, j, "extraArgs"], report));
    }
  });
}
