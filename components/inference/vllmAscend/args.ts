/**
 * What the vllm-ascend processes are started with (docs/vllm-ascend.md): the connector's
 * `--kv-transfer-config` JSON, each instance's `vllm serve` argv behind the launcher, and the
 * load-balancing proxy's arguments. Pure.
 */
import type { ConnectorKind } from "./config";
import { LAUNCHER } from "./names";
import type { ResolvedVllmDeployment, VllmInstance } from "./resolve";
import { VLLM_DEFAULTS } from "./config";

/** The connector's settings of one instance, in the tutorials' key order. */
export function kvTransferConfigOf(dep: ResolvedVllmDeployment, x: VllmInstance) {
  const d = dep.config;
  const sizes = (role: "prefill" | "decode") => ({ dp_size: d[role].dataParallelSize, tp_size: d[role].tensorParallelSize });
  return {
    kv_connector: d.connector,
    kv_role: x.role === "prefill" ? "kv_producer" : "kv_consumer",
    // The tutorials write it as a string; vLLM accepts both.
    kv_port: String(x.kvPort),
    // Unique per instance (a DP group shares it); the connector refuses a peer with its own id.
    engine_id: x.name,
    kv_connector_extra_config: { prefill: sizes("prefill"), decode: sizes("decode") },
  };
}

/** `vllm serve` of one instance, without the per-rank `--port`/`--data-parallel-rank` the launcher adds. */
export function serveArgs(dep: ResolvedVllmDeployment, x: VllmInstance): string[] {
  const d = dep.config;
  const r = d[x.role];
  const optional = (flag: string, v: number | undefined) => (v === undefined ? [] : [flag, String(v)]);
  return [
    ...["vllm", "serve", d.model, "--host", "0.0.0.0", "--served-model-name", d.servedModelName],
    ...["--tensor-parallel-size", String(r.tensorParallelSize)],
    ...(r.dataParallelSize > 1
      ? [
          ...["--data-parallel-size", String(r.dataParallelSize)],
          // The node's IP (the container's env; Kubernetes expands $(VAR) in commands).
          ...["--data-parallel-address", "$(HCCL_IF_IP)", "--data-parallel-rpc-port", String(x.dpRpcPort)],
        ]
      : []),
    ...optional("--max-model-len", d.maxModelLen),
    ...optional("--max-num-seqs", r.maxNumSeqs),
    ...optional("--max-num-batched-tokens", r.maxNumBatchedTokens),
    ...["--kv-transfer-config", JSON.stringify(kvTransferConfigOf(dep, x))],
    ...d.extraArgs,
    ...r.extraArgs,
    ...x.extraArgs,
  ];
}

/** The instance container's command: the launcher starts one server per data-parallel rank. */
export function instanceCommand(dep: ResolvedVllmDeployment, x: VllmInstance): string[] {
  const r = dep.config[x.role];
  return [
    ...["python3", LAUNCHER, "launch", "--api-port", String(x.apiPorts[0])],
    ...["--data-parallel-size", String(r.dataParallelSize), "--tensor-parallel-size", String(r.tensorParallelSize)],
    "--",
    ...serveArgs(dep, x),
  ];
}

const PROXY_SCRIPT: Record<ConnectorKind, string> = {
  // Prefill first: the proxy asks a prefill instance, then hands its KV parameters to a decode instance, which pulls.
  MooncakeConnectorV1: "load_balance_proxy_server_example.py",
  // Decode first: the decode instance asks the proxy's metaserver for a prefill, which pushes layer by layer.
  MooncakeLayerwiseConnector: "load_balance_proxy_layerwise_server_example.py",
};
export const proxyScriptOf = (connector: ConnectorKind) => `${VLLM_DEFAULTS.examplesDir}/${PROXY_SCRIPT[connector]}`;

/** The address of an instance for the proxy: its headless Service's DNS name (the node's IP). */
export const instanceHostOf = (x: VllmInstance, namespace: string) => `${x.name}.${namespace}.svc`;

/** Every server of a role, one per data-parallel rank, in the proxy's order. */
export function serversOf(dep: ResolvedVllmDeployment, role: "prefill" | "decode", namespace: string) {
  return dep.instances
    .filter((x) => x.role === role)
    .flatMap((x) => x.apiPorts.map((port) => ({ host: instanceHostOf(x, namespace), port })));
}

/** The proxy's command. The layerwise proxy is called back by decode instances, so it binds its pod IP, never a wildcard. */
export function proxyCommand(dep: ResolvedVllmDeployment, namespace: string): string[] {
  const d = dep.config;
  // Hosts and ports are matched by position.
  const lists = (role: "prefill" | "decode") => {
    const servers = serversOf(dep, role, namespace);
    return { hosts: servers.map((x) => x.host), ports: servers.map((x) => String(x.port)) };
  };
  const p = lists("prefill");
  const q = lists("decode");
  const host = d.connector === "MooncakeLayerwiseConnector" ? "$(POD_IP)" : "0.0.0.0";
  return [
    ...["python3", proxyScriptOf(d.connector), "--host", host, "--port", String(dep.proxy.port)],
    ...["--prefiller-hosts", ...p.hosts, "--prefiller-ports", ...p.ports],
    ...["--decoder-hosts", ...q.hosts, "--decoder-ports", ...q.ports],
  ];
}
