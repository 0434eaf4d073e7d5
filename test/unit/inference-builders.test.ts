// The P/D workloads as plain Kubernetes objects: the manual's `docker run` and start commands
// expressed on Kubernetes, and change isolation (one instance's change touches one Deployment).
import { describe, expect, it } from "vitest";
import { INFERENCE_HOST_MOUNTS } from "../../components/common/hostMounts";
import {
  buildConfigMap,
  buildInstanceDeployment,
  buildNetworkPolicy,
  buildSchedulerDeployment,
  buildService,
  RENDEZVOUS_SOURCE,
  serverArgs,
  type PdInputs,
} from "../../components/inference/builders";
import { inventoryHostsOf } from "../../components/inference/npuOwnership";
import { resolveInference } from "../../components/inference/topology";
import { validConfig } from "./helpers";
import { DEVICE_PLUGIN, inferenceRaw, MANUAL_1P1D, MANUAL_2P2D } from "./fixtures/inference/configs";

const TOOLS = "/home/ma-user/AscendCloud/AscendCloud-LLM/llm_tools";
const STACK_ID = "dev-0123abcd";

function inputsOf(deployments: unknown[], which = 0): PdInputs {
  const config = validConfig({ inference: inferenceRaw(deployments).inference });
  const resolved = resolveInference(config);
  return {
    deployment: resolved.deployments[which],
    namespace: "ai",
    accelerator: config.accelerator,
    image: "swr.example.com/ascend/infer:1",
    imagePullPolicy: "IfNotPresent",
    claimName: "sfs-turbo",
    inventoryHosts: inventoryHostsOf(resolved.deployments, config.inference.nodes),
    stackId: STACK_ID,
    inventoryTolerations: [],
  };
}
const pod = (o: any) => o.spec.template.spec;
const env = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe("the manual's start command", () => {
  const d = inputsOf([MANUAL_1P1D]).deployment.config;
  it("is start_servers.sh with the manual's arguments, in the manual's order", () => {
    expect(serverArgs(d, "decode", 8089)).toEqual([
      "sh",
      `${TOOLS}/PD_separate/start_servers.sh`,
      "--model=/mnt/sfs_turbo/models/Qwen2-7B",
      "--tensor-parallel-size=2",
      "--max-model-len=4096",
      "--max-num-seqs=256",
      "--max-num-batched-tokens=4096",
      "--host=0.0.0.0",
      "--port=8089",
      "--served-model-name",
      "qwen2-7b",
    ]);
  });
  it("adds the batching policy on prefill, the routing policy on the scheduler, quantization and extra args", () => {
    const q = inputsOf([
      {
        ...MANUAL_1P1D,
        prefillBatchingPolicy: "gtsf",
        vllm: { quantization: "w8a8", extraArgs: ["--block-size=128"] },
        scheduler: { routingPolicy: "BLB" },
      },
    ]).deployment.config;
    expect(serverArgs(q, "prefill", 8088).slice(11)).toEqual(["--quantization=w8a8", "--prefill-batching-policy=gtsf", "--block-size=128"]);
    expect(serverArgs(q, "decode", 8089).slice(11)).toEqual(["--quantization=w8a8", "--block-size=128"]);
    expect(serverArgs(q, "scheduler", 9000).slice(8)).toEqual([
      "--port=9000",
      "--served-model-name",
      "qwen2-7b",
      "--quantization=w8a8",
      "--prefill-routing-policy=BLB",
      "--block-size=128",
    ]);
  });
});

describe("inventory mode: the 1p1d-tp2 instance on cards 4,5", () => {
  const i = inputsOf([MANUAL_1P1D]);
  const prefill = buildInstanceDeployment(i, i.deployment.instances[0]) as any;
  const c = pod(prefill).containers[0];
  const cm = buildConfigMap(i) as any;
  it("is one exclusive replica, replaced (never rolled) on change, on the host network of its node", () => {
    expect(prefill.metadata).toMatchObject({ name: "qwen-1p1d-prefill-0", namespace: "ai" });
    expect(prefill.spec.replicas).toBe(1);
    expect(prefill.spec.strategy).toEqual({ type: "Recreate" });
    expect(pod(prefill).hostNetwork).toBe(true);
    expect(pod(prefill).nodeSelector).toEqual({ "accelerator/huawei-npu": "ascend-1980", "kubernetes.io/hostname": "npu-node-18" });
    expect(prefill.spec.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "vllm-prefill",
      "app.kubernetes.io/instance": "qwen-1p1d-prefill-0",
    });
    expect(pod(prefill).containers).toHaveLength(1);
  });
  it("requests no NPU units (the node's reservation holds them all) and opens exactly its own cards", () => {
    expect(c.resources.requests).toEqual({ cpu: "8", memory: "64Gi" });
    expect(c.resources.limits).toEqual({ cpu: "32", memory: "256Gi" });
    expect(c.securityContext).toEqual({ privileged: true });
    expect(env(c).ASCEND_RT_VISIBLE_DEVICES).toBe("4,5");
    const devs = pod(prefill)
      .volumes.filter((v: any) => v.hostPath?.type === "CharDevice")
      .map((v: any) => v.hostPath.path);
    expect(devs).toEqual(["/dev/davinci4", "/dev/davinci5", "/dev/davinci_manager", "/dev/devmm_svm", "/dev/hisi_hdc"]);
  });
  it("mounts the manual's host paths, the SFS Turbo volume and the tables where the env points", () => {
    for (const m of INFERENCE_HOST_MOUNTS) {
      expect(c.volumeMounts).toContainEqual(expect.objectContaining({ name: m.name, mountPath: m.mountPath }));
      expect(pod(prefill).volumes).toContainEqual({ name: m.name, hostPath: { path: m.hostPath } });
    }
    expect(c.volumeMounts).toContainEqual({ name: "cgroup", mountPath: "/sys/fs/cgroup", readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: "sfs-volume", mountPath: "/mnt/sfs_turbo" });
    expect(c.workingDir).toBe("/mnt/sfs_turbo");
    const dir = c.volumeMounts.find((m: any) => m.name === "pd-config").mountPath;
    const e = env(c);
    expect(e.GLOBAL_RANK_TABLE_FILE_PATH).toBe(`${dir}/global_ranktable_10.0.0.18.json`);
    expect(e.RANK_TABLE_FILE_PATH).toBe(`${dir}/local_ranktable_10.0.0.18_45.json`);
    expect(Object.keys(cm.data)).toEqual(
      expect.arrayContaining(["global_ranktable_10.0.0.18.json", "local_ranktable_10.0.0.18_45.json", "rendezvous.py"]),
    );
    expect(e.NODE_PORTS).toBeUndefined(); // scheduler only: it would change every pod when an instance is added
    for (const m of c.volumeMounts) expect(m.mountPath.startsWith("/home/ma-user")).toBe(false);
  });
  it("locks its cards on the node and checks the stack's NPU ledger before and while it runs", () => {
    const arg = (flag: string) => c.command[c.command.indexOf(flag) + 1];
    expect(arg("--npu-node")).toBe("npu-node-18");
    expect(arg("--npu-owner")).toBe("qwen-1p1d-prefill-0");
    expect(arg("--npus")).toBe("4,5");
    expect(arg("--ledger")).toBe("/etc/ascend-stack/npu-ledger/ledger.json");
    expect(arg("--lock-dir")).toBe("/run/ascend-stack/npu-locks");
    expect(pod(prefill).volumes).toContainEqual({ name: "npu-ledger", configMap: { name: `npu-ledger-${STACK_ID}` } });
    expect(pod(prefill).volumes).toContainEqual({
      name: "npu-locks",
      hostPath: { path: "/run/ascend-stack/npu-locks", type: "DirectoryOrCreate" },
    });
    expect(c.volumeMounts).toContainEqual({ name: "npu-ledger", mountPath: "/etc/ascend-stack/npu-ledger", readOnly: true });
    expect(c.volumeMounts).toContainEqual({ name: "npu-locks", mountPath: "/run/ascend-stack/npu-locks" });
  });
  it("runs the server under the wrapper (restart on a table change) and probes its port", () => {
    expect(c.command.slice(0, 3)).toEqual(["python3", "/etc/ascend-stack/pd/rendezvous.py", "run-static"]);
    expect(c.command.slice(c.command.indexOf("--") + 1)).toEqual(serverArgs(i.deployment.config, "prefill", 8088));
    expect(c.readinessProbe.tcpSocket.port).toBe(8088);
    expect(c.ports).toEqual([{ name: "http", containerPort: 8088, protocol: "TCP" }]);
  });
});

describe("the scheduler", () => {
  it("inventory: CPU-only on its node, NODE_PORTS prefill-then-decode, no_proxy, waits for every instance", () => {
    const i = inputsOf([{ ...MANUAL_2P2D, scheduler: { noProxy: ["proxy.internal"] } }]);
    const s = buildSchedulerDeployment(i) as any;
    const c = pod(s).containers[0];
    expect(s.metadata.name).toBe("qwen-2p2d-scheduler");
    expect(s.spec.strategy).toEqual({ type: "Recreate" });
    expect(Object.keys(c.resources.requests)).toEqual(["cpu", "memory"]);
    expect(c.securityContext).toBeUndefined();
    const e = env(c);
    expect(e.NODE_PORTS).toBe("8088,8090,8089,8091");
    expect(e.USE_OPENAI).toBe("1");
    expect(e.no_proxy).toBe("localhost,127.0.0.1,proxy.internal,10.0.0.18");
    expect(e.RANK_TABLE_FILE_PATH).toMatch(/\/local_ranktable_10\.0\.0\.18_host\.json$/);
    expect(pod(s).nodeSelector).toEqual({ "kubernetes.io/hostname": "npu-node-18" });
    expect(pod(s).initContainers[0].command.slice(2)).toEqual([
      "wait-ports",
      "10.0.0.18:8088",
      "10.0.0.18:8090",
      "10.0.0.18:8089",
      "10.0.0.18:8091",
    ]);
    expect(c.command).toContain("--port=9000");
    expect(c.command).toContain("--prefill-routing-policy=RoundRobin");
    expect(pod(s).volumes.some((v: any) => /davinci/.test(v.hostPath?.path ?? ""))).toBe(false);
  });
  it("USE_OPENAI=0 when useOpenAI is false", () => {
    const i = inputsOf([{ ...MANUAL_1P1D, scheduler: { useOpenAI: false } }]);
    expect(env(pod(buildSchedulerDeployment(i)).containers[0]).USE_OPENAI).toBe("0");
  });
  it("has a ClusterIP Service on its port whose selector matches the scheduler pod only", () => {
    const i = inputsOf([MANUAL_1P1D]);
    const svc = buildService(i) as any;
    expect(svc.metadata.name).toBe("qwen-1p1d");
    expect(svc.spec.type).toBe("ClusterIP");
    expect(svc.spec.ports).toEqual([{ name: "http", port: 9000, targetPort: 9000, protocol: "TCP" }]);
    const matches = (labels: Record<string, string>) => Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v);
    expect(matches((buildSchedulerDeployment(i) as any).spec.template.metadata.labels)).toBe(true);
    expect(matches((buildInstanceDeployment(i, i.deployment.instances[0]) as any).spec.template.metadata.labels)).toBe(false);
  });
});

describe("NetworkPolicy", () => {
  it("selects the P/D pods and admits the scheduler (pod and host) on the instance ports", () => {
    const i = inputsOf([MANUAL_1P1D]);
    const np = buildNetworkPolicy(i) as any;
    const selects = (labels: Record<string, string>) =>
      Object.entries(np.spec.podSelector.matchLabels).every(([k, v]) => labels[k] === v) &&
      np.spec.podSelector.matchExpressions.every((e: any) => e.values.includes(labels[e.key]));
    expect(selects((buildInstanceDeployment(i, i.deployment.instances[1]) as any).spec.template.metadata.labels)).toBe(true);
    expect(selects((buildSchedulerDeployment(i) as any).spec.template.metadata.labels)).toBe(false);
    expect(np.spec.ingress[0].from).toEqual([
      { podSelector: { matchLabels: { "app.kubernetes.io/name": "pd-scheduler", "app.kubernetes.io/instance": "qwen-1p1d-scheduler" } } },
      { ipBlock: { cidr: "10.0.0.18/32" } },
    ]);
    expect(np.spec.ingress[0].ports).toEqual([
      { protocol: "TCP", port: 8088 },
      { protocol: "TCP", port: 8089 },
    ]);
  });
});

describe("device-plugin mode", () => {
  const i = inputsOf([MANUAL_1P1D, DEVICE_PLUGIN], 1);
  const p = buildInstanceDeployment(i, i.deployment.instances[0]) as any;
  const c = pod(p).containers[0];
  it("requests tp NPUs, is not privileged, stays off inventory nodes", () => {
    expect(c.resources.limits["huawei.com/ascend-1980"]).toBe("2");
    expect(c.securityContext).toBeUndefined();
    expect(pod(p).volumes.some((v: any) => v.hostPath?.type === "CharDevice")).toBe(false);
    expect(pod(p).nodeSelector).toEqual({ "accelerator/huawei-npu": "ascend-1980" });
    expect(pod(p).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions).toEqual([
      // Every listed inventory node, used or not: the inventory belongs to inventory deployments whole.
      { key: "kubernetes.io/hostname", operator: "NotIn", values: ["npu-node-18", "npu-node-19"] },
    ]);
  });
  it("narrows its nodes and adds tolerations by the deployment's placement (instances and scheduler alike)", () => {
    const toleration = { key: "pool", operator: "Equal", value: "inference", effect: "NoSchedule" };
    const placed = inputsOf(
      [MANUAL_1P1D, { ...DEVICE_PLUGIN, placement: { nodeSelector: { pool: "inference" }, tolerations: [toleration] } }],
      1,
    );
    for (const spec of [pod(buildInstanceDeployment(placed, placed.deployment.instances[0])), pod(buildSchedulerDeployment(placed))]) {
      expect(spec.nodeSelector).toEqual({ "accelerator/huawei-npu": "ascend-1980", pool: "inference" });
      expect(spec.tolerations).toEqual([toleration]);
    }
    expect(pod(p).tolerations).toBeUndefined();
  });
  it("reads its annotation through the downward API and registers on the SFS Turbo work dir", () => {
    expect(pod(p).volumes).toContainEqual({
      name: "podinfo",
      downwardAPI: { items: [{ path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } }] },
    });
    const arg = (flag: string) => c.command[c.command.indexOf(flag) + 1];
    expect(c.command.slice(0, 3)).toEqual(["python3", "/etc/ascend-stack/pd/rendezvous.py", "run"]);
    expect(arg("--annotation-key")).toBe("cce.kubectl.kubernetes.io/ascend-1980-configuration");
    // Scoped by namespace and stack: another stack or namespace on the same share never shares entries.
    expect(arg("--dir")).toBe(`/mnt/sfs_turbo/.ascend-stack/rendezvous/ai/${STACK_ID}/qwen-dp`);
    expect(arg("--instance")).toBe("qwen-dp-prefill-0");
    expect(env(c).POD_UID).toEqual({ fieldRef: { fieldPath: "metadata.uid" } });
  });
  it("ships the manifest (declared order) and the script in the ConfigMap; ports avoid the inventory deployment's", () => {
    const cm = buildConfigMap(i) as any;
    const manifest = JSON.parse(cm.data["manifest.json"]);
    expect(manifest.instances.map((x: any) => `${x.name}:${x.port}`)).toEqual([
      "qwen-dp-prefill-0:8090",
      "qwen-dp-prefill-1:8092",
      "qwen-dp-decode-0:8091",
    ]);
    expect(manifest.scheduler).toEqual({ name: "qwen-dp-scheduler", port: 9001 });
    expect(cm.data["rendezvous.py"]).toBe(RENDEZVOUS_SOURCE);
    expect(Object.keys(cm.data).some((k) => k.startsWith("global_"))).toBe(false);
  });
});

describe("change isolation", () => {
  const all = (i: PdInputs) => ({
    configMap: buildConfigMap(i),
    scheduler: buildSchedulerDeployment(i),
    ...Object.fromEntries(i.deployment.instances.map((x) => [x.name, buildInstanceDeployment(i, x)])),
  });
  const changed = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();

  // Inventory: stay on one host; a second host turns the global file into global_ranktable_merge.json,
  // which every instance then reads (a real change for all of them).
  const inv = { ...MANUAL_2P2D, prefill: [{ node: "npu-node-18", devices: [0, 1] }], decode: [{ node: "npu-node-18", devices: [4, 5] }] };
  const cases = {
    inventory: {
      base: inv,
      decode: { ...inv, decode: [...inv.decode, { node: "npu-node-18", devices: [6, 7] }] },
      prefill: { ...inv, prefill: [...inv.prefill, { node: "npu-node-18", devices: [2, 3] }] },
    },
    "device-plugin": { base: DEVICE_PLUGIN, decode: { ...DEVICE_PLUGIN, decode: 2 }, prefill: { ...DEVICE_PLUGIN, prefill: 3 } },
  };
  for (const [mode, c] of Object.entries(cases)) {
    const name = c.base.name;
    it(`${mode}: adding a decode instance changes only it, the ConfigMap and the scheduler`, () => {
      expect(changed(all(inputsOf([c.base])), all(inputsOf([c.decode])))).toEqual(["configMap", `${name}-decode-1`, "scheduler"].sort());
    });
    it(`${mode}: adding a prefill instance changes only it, the ConfigMap and the scheduler`, () => {
      const added = mode === "inventory" ? 1 : 2;
      expect(changed(all(inputsOf([c.base])), all(inputsOf([c.prefill])))).toEqual(
        ["configMap", `${name}-prefill-${added}`, "scheduler"].sort(),
      );
    });
  }
  it("changing one instance's port changes only that instance and the scheduler (NODE_PORTS)", () => {
    const moved = {
      ...MANUAL_2P2D,
      decode: [
        { node: "npu-node-18", devices: [4, 5], port: 8200 },
        { node: "npu-node-18", devices: [6, 7] },
      ],
    };
    // rank tables carry no ports: the ConfigMap stays
    expect(changed(all(inputsOf([MANUAL_2P2D])), all(inputsOf([moved])))).toEqual(["qwen-2p2d-decode-0", "scheduler"]);
  });
  it("changing an instance's cards changes only that instance's Deployment and the tables", () => {
    const a = { ...MANUAL_2P2D, decode: [{ node: "npu-node-18", devices: [4, 5] }] };
    const b = { ...MANUAL_2P2D, decode: [{ node: "npu-node-18", devices: [6, 7] }] };
    expect(changed(all(inputsOf([a])), all(inputsOf([b])))).toEqual(["configMap", "qwen-2p2d-decode-0"]);
  });
});
