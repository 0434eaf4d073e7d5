/**
 * Environment of a vllm-ascend instance (docs/vllm-ascend.md#environment): what the stack derives
 * (the node IP, the NIC, HCCL buffers and timeouts, the intra-node RoCE switch), then the
 * tutorials' defaults, which the deployment's `env` may override.
 */
import { envList, fieldEnv, type EnvVar } from "../../common/kube";
import type { VllmRole } from "./names";
import type { ResolvedVllmDeployment } from "./resolve";

/** Derived variables → the config key that decides them (the rules refuse them in `env`). */
export const DERIVED_ENV: Readonly<Record<string, string>> = {
  HCCL_IF_IP: "the node's IP",
  VLLM_HOST_IP: "the node's IP",
  GLOO_SOCKET_IFNAME: "networkInterface",
  TP_SOCKET_IFNAME: "networkInterface",
  HCCL_SOCKET_IFNAME: "networkInterface",
  HCCL_BUFFSIZE: "prefill/decode.hcclBuffSize",
  HCCL_CONNECT_TIMEOUT: "hccl.connectTimeout",
  HCCL_EXEC_TIMEOUT: "hccl.execTimeout",
  HCCL_INTRA_ROCE_ENABLE: "hccl.intraRoce",
  ASCEND_RT_VISIBLE_DEVICES: "the launcher (one slice of the pod's NPUs per data-parallel rank)",
};

/** The multi-node P/D tutorial's per-node exports that do not depend on the deployment. */
export const TUTORIAL_ENV: Readonly<Record<string, string>> = {
  OMP_PROC_BIND: "false",
  OMP_NUM_THREADS: "10",
  PYTORCH_NPU_ALLOC_CONF: "expandable_segments:True",
  TASK_QUEUE_ENABLE: "1",
  VLLM_USE_V1: "1",
};

/** Every variable of an instance's container, derived ones first. */
export function instanceEnv(dep: ResolvedVllmDeployment, role: VllmRole): EnvVar[] {
  const d = dep.config;
  const nic = d.networkInterface;
  return [
    // The node's IP: instances use the host network, so it is where the connector listens.
    fieldEnv("HCCL_IF_IP", "status.hostIP"),
    // vLLM's own idea of this node's address (else the default route's): what the connector
    // advertises to its peers as remote_host, so it must be the address HCCL uses.
    fieldEnv("VLLM_HOST_IP", "status.hostIP"),
    { name: "GLOO_SOCKET_IFNAME", value: nic },
    { name: "TP_SOCKET_IFNAME", value: nic },
    { name: "HCCL_SOCKET_IFNAME", value: nic },
    { name: "HCCL_BUFFSIZE", value: String(d[role].hcclBuffSize) },
    { name: "HCCL_CONNECT_TIMEOUT", value: String(d.hccl.connectTimeout) },
    { name: "HCCL_EXEC_TIMEOUT", value: String(d.hccl.execTimeout) },
    ...(dep.intraRoce ? [{ name: "HCCL_INTRA_ROCE_ENABLE", value: "1" }] : []),
    ...envList({ ...TUTORIAL_ENV, ...d.env }),
  ];
}
