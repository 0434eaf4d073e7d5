// The vllm-ascend engine profile's derived values and objects (docs/vllm-ascend.md): ports,
// connector JSON, `vllm serve` and proxy arguments, env, mounts, the objects and their isolation.
import { describe, expect, it } from "vitest";
import { kvTransferConfigOf, proxyCommand, serveArgs } from "../../components/inference/vllmAscend/args";
import * as builders from "../../components/inference/vllmAscend/builders";
import { instanceEnv } from "../../components/inference/vllmAscend/env";
import { resolveInference } from "../../components/inference/topology";
import { VLLM_1P1D, VLLM_2P1D_DP, vllmConfig, vllmInputs } from "./fixtures/vllm/configs";

// The objects as plain JSON (the generated types allow an Input anywhere).
const {
  buildVllmConfigMap,
  buildVllmInstanceDeployment,
  buildVllmInstanceService,
  buildVllmNetworkPolicy,
  buildVllmProxyDeployment,
  buildVllmService,
} = builders as unknown as Record<string, (...args: unknown[]) => any>;

const portsOf = (config: ReturnType<typeof vllmConfig>, index = 0) =>
  resolveInference(config).vllmAscend[index].instances.map((x) => ({
    name: x.name,
    api: x.apiPorts,
    kv: [x.kvPort, x.kvPortLast],
    rpc: x.dpRpcPort,
  }));

describe("derived ports", () => {
  it("1P1D on 8-NPU nodes: API 8100/8200, kv_port at the transport floor 28000/28100, no DP RPC port", () => {
    expect(portsOf(vllmConfig(VLLM_1P1D))).toEqual([
      { name: "qwen-prefill-0", api: [8100], kv: [28000, 28001], rpc: undefined },
      { name: "qwen-decode-0", api: [8200], kv: [28100, 28101], rpc: undefined },
    ]);
  });

  it("data parallelism: consecutive API ports per rank, kv range of dp×tp chips, one DP RPC port per instance", () => {
    expect(portsOf(vllmConfig(VLLM_2P1D_DP))).toEqual([
      { name: "dsv-prefill-0", api: [9100, 9101], kv: [30000, 30004], rpc: 12321 },
      { name: "dsv-prefill-1", api: [9300, 9301], kv: [30200, 30204], rpc: 12323 },
      { name: "dsv-decode-0", api: [9200], kv: [30100, 30102], rpc: undefined },
    ]);
  });

  it("the kv floor follows the NPUs per node (16 NPUs: 36000)", () => {
    const r = vllmConfig(VLLM_1P1D);
    const sixteen = resolveInference({ ...r, accelerator: { ...r.accelerator, npusPerNode: 16 } }).vllmAscend[0];
    expect(sixteen.instances.map((x) => x.kvPort)).toEqual([36000, 36100]);
  });

  it("adding an instance moves no other instance's ports", () => {
    const before = portsOf(vllmConfig({ ...VLLM_1P1D, decode: { instances: 1 } }));
    const after = portsOf(vllmConfig({ ...VLLM_1P1D, prefill: { instances: 2 }, decode: { instances: 2 } }));
    for (const x of before) expect(after).toContainEqual(x);
    expect(after).toHaveLength(4);
  });
});

describe("the connector's --kv-transfer-config", () => {
  it("prefill is kv_producer, decode kv_consumer, kv_port a string, engine_id the instance name, both roles' sizes", () => {
    const dep = resolveInference(vllmConfig(VLLM_2P1D_DP)).vllmAscend[0];
    const extra = { prefill: { dp_size: 2, tp_size: 2 }, decode: { dp_size: 1, tp_size: 2 } };
    expect(kvTransferConfigOf(dep, dep.instances[1])).toEqual({
      kv_connector: "MooncakeConnectorV1",
      kv_role: "kv_producer",
      kv_port: "30200",
      engine_id: "dsv-prefill-1",
      kv_connector_extra_config: extra,
    });
    expect(kvTransferConfigOf(dep, dep.instances[2])).toEqual({
      kv_connector: "MooncakeConnectorV1",
      kv_role: "kv_consumer",
      kv_port: "30100",
      engine_id: "dsv-decode-0",
      kv_connector_extra_config: extra,
    });
    expect(new Set(dep.instances.map((x) => kvTransferConfigOf(dep, x).engine_id)).size).toBe(3);
  });

  it("names the layerwise connector when chosen", () => {
    const dep = resolveInference(vllmConfig({ ...VLLM_1P1D, connector: "MooncakeLayerwiseConnector" })).vllmAscend[0];
    expect(kvTransferConfigOf(dep, dep.instances[0]).kv_connector).toBe("MooncakeLayerwiseConnector");
  });
});

describe("vllm serve and the launcher", () => {
  it("a tp-1 instance: the model, host, name, tp and the JSON; vLLM's defaults where nothing is set", () => {
    const i = vllmInputs(vllmConfig(VLLM_1P1D));
    const x = i.deployment.instances[1];
    expect(serveArgs(i.deployment, x)).toEqual([
      ...[
        "vllm",
        "serve",
        "/mnt/sfs_turbo/models/Qwen2.5",
        "--host",
        "0.0.0.0",
        "--served-model-name",
        "qwen",
        "--tensor-parallel-size",
        "1",
      ],
      "--kv-transfer-config",
      JSON.stringify(kvTransferConfigOf(i.deployment, x)),
    ]);
    const container = buildVllmInstanceDeployment(i, x).spec.template!.spec!.containers[0] as any;
    expect(container.command.slice(0, 10)).toEqual([
      ...["python3", "/etc/ascend-stack/vllm-ascend/vllm_ascend_pd.py", "launch", "--api-port", "8200"],
      ...["--data-parallel-size", "1", "--tensor-parallel-size", "1", "--"],
    ]);
  });

  it("a DP instance: DP size, the node's IP as DP address, its RPC port, limits, then deployment, role and instance arguments in that order", () => {
    const i = vllmInputs(vllmConfig(VLLM_2P1D_DP));
    const args = serveArgs(i.deployment, i.deployment.instances[1]);
    expect(args.slice(9)).toEqual([
      ...["--data-parallel-size", "2", "--data-parallel-address", "$(HCCL_IF_IP)", "--data-parallel-rpc-port", "12323"],
      ...["--max-model-len", "8192", "--max-num-seqs", "8", "--max-num-batched-tokens", "16384"],
      ...["--kv-transfer-config", JSON.stringify(kvTransferConfigOf(i.deployment, i.deployment.instances[1]))],
      ...["--enforce-eager", "--no-enable-prefix-caching", "--seed", "7"],
    ]);
    // The launcher adds --port (and --data-parallel-rank) per rank; they are never in the argv twice.
    expect(args).not.toContain("--port");
  });
});

describe("the proxy", () => {
  it("prefill-first script; one host entry per DP rank (the instance's Service name), ports matched by position", () => {
    const i = vllmInputs(vllmConfig(VLLM_2P1D_DP));
    expect(proxyCommand(i.deployment, "ai")).toEqual([
      ...["python3", "/vllm-workspace/vllm-ascend/examples/disaggregated_prefill_v1/load_balance_proxy_server_example.py"],
      ...["--host", "0.0.0.0", "--port", "8000"],
      ...["--prefiller-hosts", "dsv-prefill-0.ai.svc", "dsv-prefill-0.ai.svc", "dsv-prefill-1.ai.svc", "dsv-prefill-1.ai.svc"],
      ...["--prefiller-ports", "9100", "9101", "9300", "9301"],
      ...["--decoder-hosts", "dsv-decode-0.ai.svc", "--decoder-ports", "9200"],
    ]);
  });

  it("layerwise: the decode-first script on the pod's own IP (decode servers call it back)", () => {
    const i = vllmInputs(vllmConfig({ ...VLLM_1P1D, connector: "MooncakeLayerwiseConnector" }));
    const proxy = buildVllmProxyDeployment(i).spec.template!.spec!.containers[0] as any;
    expect(proxy.command.slice(1, 4)).toEqual([
      "/vllm-workspace/vllm-ascend/examples/disaggregated_prefill_v1/load_balance_proxy_layerwise_server_example.py",
      "--host",
      "$(POD_IP)",
    ]);
    expect(proxy.env).toEqual([{ name: "POD_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } }]);
  });

  it("is CPU-only on the pod network, waits for every server, and its ClusterIP Service is the endpoint", () => {
    const i = vllmInputs(vllmConfig(VLLM_2P1D_DP));
    const d = buildVllmProxyDeployment(i);
    const spec = d.spec.template!.spec! as any;
    expect(d.metadata.name).toBe("dsv-proxy");
    expect(spec.hostNetwork).toBeUndefined();
    expect(spec.containers[0].resources).toEqual({ requests: { cpu: "1", memory: "2Gi" }, limits: { cpu: "4", memory: "8Gi" } });
    expect(spec.initContainers[0].command).toEqual([
      ...["python3", "/etc/ascend-stack/vllm-ascend/vllm_ascend_pd.py", "wait"],
      ...[
        "dsv-prefill-0.ai.svc:9100",
        "dsv-prefill-0.ai.svc:9101",
        "dsv-prefill-1.ai.svc:9300",
        "dsv-prefill-1.ai.svc:9301",
        "dsv-decode-0.ai.svc:9200",
      ],
    ]);
    const svc = buildVllmService(i);
    expect(svc.metadata.name).toBe("dsv");
    expect(svc.spec).toEqual({
      type: "ClusterIP",
      selector: d.spec.selector.matchLabels,
      ports: [{ name: "http", port: 8000, targetPort: 8000, protocol: "TCP" }],
    });
  });
});

describe("environment", () => {
  it("the node IP, the NIC thrice, the role's buffer, timeouts, then the tutorial's defaults", () => {
    const dep = resolveInference(vllmConfig({ ...VLLM_1P1D, hccl: { intraRoce: "off" } })).vllmAscend[0];
    expect(instanceEnv(dep, "decode")).toEqual([
      { name: "HCCL_IF_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
      { name: "VLLM_HOST_IP", valueFrom: { fieldRef: { fieldPath: "status.hostIP" } } },
      { name: "GLOO_SOCKET_IFNAME", value: "eth0" },
      { name: "TP_SOCKET_IFNAME", value: "eth0" },
      { name: "HCCL_SOCKET_IFNAME", value: "eth0" },
      { name: "HCCL_BUFFSIZE", value: "600" },
      { name: "HCCL_CONNECT_TIMEOUT", value: "120" },
      { name: "HCCL_EXEC_TIMEOUT", value: "204" },
      { name: "OMP_PROC_BIND", value: "false" },
      { name: "OMP_NUM_THREADS", value: "10" },
      { name: "PYTORCH_NPU_ALLOC_CONF", value: "expandable_segments:True" },
      { name: "TASK_QUEUE_ENABLE", value: "1" },
      { name: "VLLM_USE_V1", value: "1" },
    ]);
  });

  it("HCCL_INTRA_ROCE_ENABLE=1 when a prefill and a decode fit on one node (auto) or on; not when they cannot share", () => {
    const roce = (d: object, npus = 8) => {
      const c = vllmConfig(d);
      const dep = resolveInference({ ...c, accelerator: { ...c.accelerator, npusPerNode: npus } }).vllmAscend[0];
      return instanceEnv(dep, "prefill").find((e) => e.name === "HCCL_INTRA_ROCE_ENABLE");
    };
    expect(roce(VLLM_1P1D)).toEqual({ name: "HCCL_INTRA_ROCE_ENABLE", value: "1" });
    const big = { ...VLLM_1P1D, prefill: { tensorParallelSize: 4 }, decode: { tensorParallelSize: 4, dataParallelSize: 2 } };
    expect(roce(big)).toBeUndefined();
    expect(roce({ ...big, hccl: { intraRoce: "on" } })).toEqual({ name: "HCCL_INTRA_ROCE_ENABLE", value: "1" });
    expect(roce({ ...VLLM_1P1D, hccl: { intraRoce: "off" } })).toBeUndefined();
  });

  it("the deployment's env overrides a tutorial default and adds its own, never duplicating a name", () => {
    const dep = resolveInference(vllmConfig({ ...VLLM_1P1D, env: { OMP_NUM_THREADS: "4", HF_HUB_OFFLINE: "1" } })).vllmAscend[0];
    const env = instanceEnv(dep, "prefill");
    expect(env.filter((e) => e.name === "OMP_NUM_THREADS")).toEqual([{ name: "OMP_NUM_THREADS", value: "4" }]);
    expect(env.at(-1)).toEqual({ name: "HF_HUB_OFFLINE", value: "1" });
    expect(new Set(env.map((e) => e.name)).size).toBe(env.length);
  });
});

describe("an instance's objects", () => {
  const i = vllmInputs(vllmConfig(VLLM_2P1D_DP), 0, ["inventory-node-1"]);
  const x = i.deployment.instances[0];
  const d = buildVllmInstanceDeployment(i, x);
  const pod = d.spec.template!.spec! as any;
  const c = pod.containers[0];

  it("one exclusive replica (Recreate) on the host network, dp×tp NPUs from the device plugin, off the inventory nodes", () => {
    expect(d.metadata.name).toBe("dsv-prefill-0");
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.strategy).toEqual({ type: "Recreate" });
    expect(pod.hostNetwork).toBe(true);
    expect(pod.dnsPolicy).toBe("ClusterFirstWithHostNet");
    expect(c.resources.limits["huawei.com/ascend-1980"]).toBe("4");
    expect(c.resources.requests["huawei.com/ascend-1980"]).toBe("4");
    expect(pod.nodeSelector).toEqual(i.accelerator.nodeSelector);
    expect(JSON.stringify(pod.affinity)).toContain("inventory-node-1");
    expect(pod.imagePullSecrets).toEqual([{ name: "swr-pull-secret" }]);
    expect(c.image).toBe("quay.io/ascend/vllm-ascend:v0.13.0");
    expect(c.ports).toEqual([
      { name: "api-0", containerPort: 9100, protocol: "TCP" },
      { name: "api-1", containerPort: 9101, protocol: "TCP" },
    ]);
  });

  it("mounts the tutorial's host files typed (hccn.conf and hccn_tool must exist), /dev/shm in memory, the weights and the launcher", () => {
    const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
    const mountOf = (path: string) => c.volumeMounts.find((m: any) => m.mountPath === path);
    expect(volume(mountOf("/etc/hccn.conf").name).hostPath).toEqual({ path: "/etc/hccn.conf", type: "File" });
    expect(volume(mountOf("/usr/local/Ascend/driver/tools/hccn_tool").name).hostPath).toEqual({
      path: "/usr/local/Ascend/driver/tools/hccn_tool",
      type: "File",
    });
    expect(volume(mountOf("/usr/local/dcmi").name).hostPath).toEqual({ path: "/usr/local/dcmi", type: "Directory" });
    expect(volume(mountOf("/usr/local/bin/npu-smi").name).hostPath).toEqual({ path: "/usr/local/sbin/npu-smi", type: "File" });
    for (const p of ["/usr/local/Ascend/driver/lib64", "/usr/local/Ascend/driver/version.info", "/etc/ascend_install.info"])
      expect(volume(mountOf(p).name).hostPath.path).toBe(p);
    expect(volume(mountOf("/dev/shm").name).emptyDir).toEqual({ medium: "Memory", sizeLimit: "1Gi" });
    expect(volume(mountOf("/mnt/sfs_turbo").name).persistentVolumeClaim).toEqual({ claimName: "sfs-claim" });
    expect(volume(mountOf("/etc/ascend-stack/vllm-ascend").name).configMap).toEqual({ name: "dsv-vllm-ascend" });
  });

  it("is ready when every rank's API port answers; its headless Service resolves to its node", () => {
    const probe = ["python3", "/etc/ascend-stack/vllm-ascend/vllm_ascend_pd.py", "ports-open", "9100", "9101"];
    expect(c.readinessProbe.exec.command).toEqual(probe);
    expect(c.startupProbe.exec.command).toEqual(probe);
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBe(1800);
    const svc = buildVllmInstanceService(i, x);
    expect(svc.metadata.name).toBe("dsv-prefill-0");
    expect(svc.spec!.clusterIP).toBe("None");
    expect(svc.spec!.selector).toEqual(d.spec.selector.matchLabels);
    expect((svc.spec!.ports as any[]).map((p) => p.port)).toEqual([9100, 9101]);
  });

  it("the ConfigMap ships the launcher; the NetworkPolicy admits the proxy on every API port", () => {
    expect(Object.keys(buildVllmConfigMap(i).data as object)).toEqual(["vllm_ascend_pd.py"]);
    const np = buildVllmNetworkPolicy(i).spec as any;
    expect(np.ingress[0].ports.map((p: any) => p.port)).toEqual([9100, 9101, 9300, 9301, 9200]);
    expect(np.ingress[0].from).toEqual([{ podSelector: { matchLabels: buildVllmProxyDeployment(i).spec.selector.matchLabels } }]);
  });
});

describe("change isolation", () => {
  const objects = (config: ReturnType<typeof vllmConfig>) => {
    const i = vllmInputs(config);
    const all: Record<string, unknown> = { proxy: buildVllmProxyDeployment(i), service: buildVllmService(i), cm: buildVllmConfigMap(i) };
    for (const x of i.deployment.instances) {
      all[x.name] = buildVllmInstanceDeployment(i, x);
      all[`${x.name}-svc`] = buildVllmInstanceService(i, x);
    }
    return all;
  };
  const changed = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();

  it("one instance's extraArgs change only that instance's Deployment", () => {
    const edited = structuredClone(VLLM_2P1D_DP);
    edited.prefill.instances[1].extraArgs = ["--seed", "8"];
    expect(changed(objects(vllmConfig(VLLM_2P1D_DP)), objects(vllmConfig(edited)))).toEqual(["dsv-prefill-1"]);
  });

  it("adding a decode instance adds its objects and changes only the proxy", () => {
    const more = { ...VLLM_2P1D_DP, decode: { ...VLLM_2P1D_DP.decode, instances: 2 } };
    expect(changed(objects(vllmConfig(VLLM_2P1D_DP)), objects(vllmConfig(more)))).toEqual(["dsv-decode-1", "dsv-decode-1-svc", "proxy"]);
  });
});
