/** Names, labels and in-container paths a vllm-ascend deployment derives from its name. */
import { selectorLabels, standardLabels, type LabelSource } from "../../common/labels";
import { DEPLOYMENT_LABEL } from "../names";

export type VllmRole = "prefill" | "decode";
export type VllmComponent = VllmRole | "proxy";

/** Deployment and headless Service of one instance: <dep>-prefill-0 (engine_id too); the proxy: <dep>-proxy. */
export function vllmObjectNameOf(deployment: string, component: VllmComponent, index = 0): string {
  return component === "proxy" ? `${deployment}-proxy` : `${deployment}-${component}-${index}`;
}
/** The proxy's Service (the OpenAI endpoint): the deployment name itself, like the other engine. */
export const vllmServiceNameOf = (deployment: string) => deployment;
/** The ConfigMap with the launcher script. */
export const vllmConfigMapNameOf = (deployment: string) => `${deployment}-vllm-ascend`;
export const vllmNetworkPolicyNameOf = (deployment: string) => `${deployment}-instances`;

function labelSourceOf(deployment: string, component: VllmComponent, index = 0): LabelSource {
  return {
    name: component === "proxy" ? "vllm-ascend-proxy" : `vllm-ascend-${component}`,
    instance: vllmObjectNameOf(deployment, component, index),
    component,
  };
}
export function vllmLabels(deployment: string, component: VllmComponent, index = 0): Record<string, string> {
  return { ...standardLabels(labelSourceOf(deployment, component, index)), [DEPLOYMENT_LABEL]: deployment };
}
export function vllmSelector(deployment: string, component: VllmComponent, index = 0): Record<string, string> {
  return selectorLabels(labelSourceOf(deployment, component, index));
}

/** In-container paths of the stack's own files. */
export const VLLM_PATHS = {
  /** ConfigMap volume with the launcher (pd.py). */
  config: "/etc/ascend-stack/vllm-ascend",
  /** Shared memory of the servers (the tutorials' --shm-size). */
  shm: "/dev/shm",
} as const;
export const LAUNCHER_SCRIPT = "vllm_ascend_pd.py";
export const LAUNCHER = `${VLLM_PATHS.config}/${LAUNCHER_SCRIPT}`;
