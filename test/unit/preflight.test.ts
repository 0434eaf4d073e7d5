// Preflight's decisions (components/preflight): a cluster snapshot and a stack config in, findings
// out. The snapshot starts as a healthy CCE-like cluster; each test breaks one thing.
import { describe, expect, it } from "vitest";
import { preflightFindings } from "../../components/preflight/checks";
import type { PodDemand } from "../../components/preflight/demand";
import { formatFindings, type PreflightFinding } from "../../components/preflight/findings";
import { unplacedPods, type NodeRoom } from "../../components/preflight/fit";
import {
  observed,
  unobserved,
  type ClusterPodJson,
  type ClusterSnapshot,
  type NodeJson,
  type Taint,
} from "../../components/preflight/snapshot";
import { validConfig } from "./helpers";

const NPU = "huawei.com/ascend-1980";
const NPU_LABELS = { "accelerator/huawei-npu": "ascend-1980" };

function npuNode(
  name: string,
  opts: { npus?: number; ip?: string; taints?: Taint[]; labels?: Record<string, string>; ready?: boolean } = {},
): NodeJson {
  return {
    metadata: { name, labels: { ...(opts.labels ?? NPU_LABELS), "kubernetes.io/hostname": name } },
    spec: { taints: opts.taints },
    status: {
      allocatable: { cpu: "192", [NPU]: String(opts.npus ?? 8) },
      addresses: [{ type: "InternalIP", address: opts.ip ?? "10.0.0.1" }],
      conditions: [{ type: "Ready", status: opts.ready === false ? "False" : "True" }],
    },
  };
}

function pod(
  name: string,
  node: string,
  opts: { npus?: number; hostPort?: number; namespace?: string; labels?: Record<string, string> } = {},
): ClusterPodJson {
  return {
    metadata: { name, namespace: opts.namespace ?? "other", labels: opts.labels },
    spec: {
      nodeName: node,
      hostNetwork: opts.hostPort !== undefined,
      containers: [
        {
          name: "c",
          ports: opts.hostPort !== undefined ? [{ containerPort: opts.hostPort }] : undefined,
          resources: opts.npus ? { limits: { [NPU]: String(opts.npus) } } : undefined,
        },
      ],
    },
  };
}

function snapshot(patch: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    namespaceExists: observed(true),
    volcano: observed({ jobs: true, queues: true, podGroups: true }),
    queues: observed([{ name: "default", state: "Open" }]),
    storageClasses: observed([{ name: "csi-sfsturbo", reclaimPolicy: "Delete" }]),
    csiDrivers: observed(["sfsturbo.csi.everest.io"]),
    claims: observed([]),
    nodes: observed([npuNode("npu-0"), npuNode("npu-1")]),
    pods: observed([]),
    ...patch,
  };
}

/** A device-plugin P/D deployment: `prefill` + `decode` instances of `tp` NPUs. */
const pd = (prefill: number, decode: number, tp = 2, extra: Record<string, unknown> = {}) => ({
  deployments: [{ name: "qwen", model: "/mnt/sfs_turbo/m", servedModelName: "q", tensorParallelSize: tp, prefill, decode, ...extra }],
});

const only = (findings: PreflightFinding[], severity: PreflightFinding["severity"]) => findings.filter((f) => f.severity === severity);

describe("preflight on a healthy cluster", () => {
  it("finds nothing for a training job and the manual's 1p1d-tp2", () => {
    expect(preflightFindings(validConfig({ inference: pd(1, 1) }), snapshot())).toEqual([]);
  });
});

describe("preflight: what the stack needs installed", () => {
  it("fails when Volcano's APIs are not served, naming them", () => {
    const f = preflightFindings(validConfig(), snapshot({ volcano: observed({ jobs: false, queues: false, podGroups: false }) }));
    expect(f).toEqual([
      expect.objectContaining({
        severity: "error",
        path: "training.jobs",
        message: expect.stringMatching(/batch\.volcano\.sh\/v1alpha1 Job.*Volcano is not installed/),
      }),
    ]);
  });

  it("does not ask for Volcano when the stack has no training job", () => {
    const config = validConfig({ training: { jobs: [] }, inference: pd(1, 1) });
    expect(preflightFindings(config, snapshot({ volcano: observed({ jobs: false, queues: false, podGroups: false }) }))).toEqual([]);
  });

  it("fails for a queue that does not exist or is closed, at the job's queue", () => {
    const config = validConfig({
      training: {
        jobs: [
          { name: "a", command: "x", queue: "research" },
          { name: "b", command: "x", queue: "frozen" },
        ],
      },
    });
    const f = preflightFindings(
      config,
      snapshot({
        queues: observed([{ name: "default" }, { name: "frozen", state: "Closed" }]),
        nodes: observed([npuNode("n0"), npuNode("n1")]),
      }),
    );
    expect(f).toEqual([
      {
        severity: "error",
        path: "training.jobs[0].queue",
        object: "Queue research",
        message: expect.stringContaining("does not exist (queues: default, frozen)"),
      },
      { severity: "error", path: "training.jobs[1].queue", object: "Queue frozen", message: expect.stringContaining("is Closed") },
    ]);
  });

  it("fails for a missing namespace unless the stack creates it", () => {
    const snap = snapshot({ namespaceExists: observed(false) });
    expect(preflightFindings(validConfig({ cluster: { namespace: "ml" } }), snap)).toEqual([
      expect.objectContaining({ severity: "error", path: "cluster.namespace", object: "Namespace ml" }),
    ]);
    expect(preflightFindings(validConfig({ cluster: { namespace: "ml", createNamespace: true } }), snap)).toEqual([]);
  });

  it("fails without SFS Turbo's CSI driver, and for missing sub-path classes and existing claims", () => {
    const config = validConfig({
      storage: {
        volumes: [
          { name: "weights", type: "static", shareId: "s", exportLocation: "1.2.3.4:/" },
          { name: "scratch", type: "subpath", storageClassName: "sfsturbo-subpath" },
          { name: "old", type: "existing", claimName: "old-claim" },
        ],
      },
    });
    const f = preflightFindings(config, snapshot({ csiDrivers: observed([]), storageClasses: observed([]) }));
    expect(f.map((x) => [x.severity, x.path, x.object])).toEqual([
      ["error", "storage.volumes[0]", "CSIDriver sfsturbo.csi.everest.io"],
      // A static PV binds to its claim by name without the class: only a warning.
      ["warning", "storage.volumes[0].storageClassName", "StorageClass csi-sfsturbo"],
      ["error", "storage.volumes[1].storageClassName", "StorageClass sfsturbo-subpath"],
      ["error", "storage.volumes[2].claimName", "PersistentVolumeClaim default/old-claim"],
    ]);
  });

  it("fails for a dynamic volume whose class is missing or deletes its volumes", () => {
    const dynamic = (name: string, storageClassName: string) => ({ name, type: "dynamic", storageClassName });
    const config = validConfig({ storage: { volumes: [dynamic("a", "nfs-retain"), dynamic("b", "nfs-delete"), dynamic("c", "nope")] } });
    const classes = observed([
      { name: "nfs-retain", reclaimPolicy: "Retain" },
      { name: "nfs-delete", reclaimPolicy: "Delete" },
    ]);
    const f = preflightFindings(config, snapshot({ storageClasses: classes }));
    expect(f.map((x) => [x.severity, x.path, x.object])).toEqual([
      ["error", "storage.volumes[1].storageClassName", "StorageClass nfs-delete"],
      ["error", "storage.volumes[2].storageClassName", "StorageClass nope"],
    ]);
    expect(f[0].message).toMatch(/reclaims its volumes with Delete: deleting the claim would delete the data/);
  });

  it("warns, not fails, for what the credentials may not read", () => {
    const f = preflightFindings(
      validConfig(),
      snapshot({ nodes: unobserved("the credentials may not read it (HTTP 403)"), queues: unobserved("HTTP 403") }),
    );
    expect(only(f, "error")).toEqual([]);
    expect(f.map((x) => x.message)).toEqual([
      "not checked: HTTP 403",
      "NPU capacity not checked: the credentials may not read it (HTTP 403)",
    ]);
  });
});

describe("preflight: NPU capacity", () => {
  it("fails when no node matches the accelerator's selector, saying why each labelled node is out", () => {
    const tainted = npuNode("npu-0", { taints: [{ key: "dedicated", value: "infer", effect: "NoSchedule" }] });
    const f = preflightFindings(validConfig(), snapshot({ nodes: observed([tainted, npuNode("cpu-0", { labels: {} })]) }));
    expect(f).toEqual([
      {
        severity: "error",
        path: "training.jobs[0]",
        object: "training job vcjob",
        message: expect.stringMatching(
          /1 node\(s\) match accelerator\/huawei-npu=ascend-1980 \(npu-0 has taint dedicated=infer:NoSchedule that its tolerations \(accelerator.tolerations, placement.tolerations\) do not tolerate\)/,
        ),
      },
    ]);
    const tolerated = validConfig({ accelerator: { tolerations: [{ key: "dedicated", operator: "Exists" }] } });
    expect(preflightFindings(tolerated, snapshot({ nodes: observed([tainted]) }))).toEqual([]);
  });

  it("fails when the demand exceeds what the nodes advertise: a gang needs its nodes at once, one pod per node", () => {
    const config = validConfig({ training: { jobs: [{ name: "big", command: "x", nodes: 3 }] } });
    const f = preflightFindings(config, snapshot());
    expect(f).toEqual([
      expect.objectContaining({
        severity: "error",
        path: "training.jobs[0]",
        message: expect.stringMatching(
          /needs 3 pod\(s\), 24 NPU\(s\) \(a gang: 3 nodes with room at once\).*2 node\(s\) it may use offer 16/,
        ),
      }),
    ]);
    // Two pods of 4 NPUs fit one 8-NPU node by count, but a training job puts one pod per node.
    const spread = validConfig({ training: { jobs: [{ name: "two", command: "x", nodes: 2, npus: 4 }] } });
    expect(only(preflightFindings(spread, snapshot({ nodes: observed([npuNode("n0")]) })), "error")).toHaveLength(1);
  });

  it("packs the whole stack: training and P/D instances share the NPU nodes", () => {
    // 8 (job) + 4×2 (P/D) = 16 NPUs on two 8-NPU nodes fits exactly; one more instance does not.
    expect(preflightFindings(validConfig({ inference: pd(2, 2) }), snapshot())).toEqual([]);
    const f = preflightFindings(validConfig({ inference: pd(3, 2) }), snapshot());
    expect(f.map((x) => [x.severity, x.object])).toEqual([["error", expect.stringMatching(/^(training job vcjob|P\/D deployment qwen)$/)]]);
  });

  it("warns when the NPUs exist but other pods hold them, naming the pods; the stack's own pods do not count", () => {
    const foreign = pod("notebook", "npu-0", { npus: 8 });
    const f = preflightFindings(validConfig({ inference: pd(1, 1) }), snapshot({ pods: observed([foreign]) }));
    expect(only(f, "error")).toEqual([]);
    expect(only(f, "warning")).toEqual([
      expect.objectContaining({
        path: expect.stringMatching(/^(training\.jobs\[0\]|inference\.deployments\[0\]\.(prefill|decode))/),
        message: expect.stringContaining("Pod other/notebook on npu-0 (8 NPU(s))"),
      }),
    ]);
    const own = pod("qwen-prefill-0-abc", "npu-0", {
      npus: 8,
      namespace: "default",
      labels: { "app.kubernetes.io/instance": "qwen-prefill-0" },
    });
    const job = pod("vcjob-main-0", "npu-1", { npus: 8, namespace: "default", labels: { "volcano.sh/job-name": "vcjob" } });
    expect(preflightFindings(validConfig({ inference: pd(1, 1) }), snapshot({ pods: observed([own, job]) }))).toEqual([]);
  });

  it("counts host ports: a P/D instance cannot share a node with a pod on its port", () => {
    const config = validConfig({ training: { jobs: [] }, inference: pd(1, 1) });
    const holders = [pod("a", "npu-0", { hostPort: 8088 }), pod("b", "npu-1", { hostPort: 8088 })];
    const f = preflightFindings(config, snapshot({ pods: observed(holders) }));
    expect(f).toEqual([
      expect.objectContaining({
        severity: "warning",
        message: expect.stringMatching(/1 of its 3 pod\(s\).*Pod other\/a on npu-0 \(0 NPU\(s\), ports 8088\)/),
      }),
    ]);
  });
});

describe("preflight: inventory nodes", () => {
  const inventory = (ports: Record<string, unknown> = {}) => ({
    nodes: [{ hostname: "npu-0", hostIP: "10.0.0.1", deviceIPs: { "0": "10.9.0.1", "1": "10.9.0.2", "2": "10.9.0.3", "3": "10.9.0.4" } }],
    deployments: [
      {
        name: "inv",
        mode: "inventory",
        model: "/mnt/sfs_turbo/m",
        servedModelName: "q",
        prefill: [{ node: "npu-0", devices: [0, 1], ...ports }],
        decode: [{ node: "npu-0", devices: [2, 3] }],
      },
    ],
  });
  const config = validConfig({ training: { jobs: [] }, inference: inventory() });

  it("finds nothing when the node matches the inventory", () => {
    expect(preflightFindings(config, snapshot())).toEqual([]);
  });

  it("fails for a node that does not exist, a wrong IP and cards the node does not have", () => {
    expect(preflightFindings(config, snapshot({ nodes: observed([npuNode("npu-1")]) }))).toEqual([
      expect.objectContaining({
        severity: "error",
        path: "inference.nodes[0].hostname",
        message: expect.stringContaining("no node has this hostname (nodes: npu-1)"),
      }),
    ]);
    const f = preflightFindings(config, snapshot({ nodes: observed([npuNode("npu-0", { ip: "10.0.0.7", npus: 2 })]) }));
    expect(f.map((x) => [x.path, x.object])).toEqual([
      ["inference.nodes[0].hostIP", "Node npu-0"],
      ["inference.nodes[0].hostname", "Node npu-0"],
      ["inference.nodes[0].deviceIPs.2", "Node npu-0"],
      ["inference.nodes[0].deviceIPs.3", "Node npu-0"],
    ]);
    expect(f[0].message).toContain("has InternalIP 10.0.0.7, not 10.0.0.1");
  });

  it("fails when another pod holds an instance's host port or the node's NPUs", () => {
    const f = preflightFindings(
      config,
      snapshot({ pods: observed([pod("holder", "npu-0", { hostPort: 8088 }), pod("trainer", "npu-0", { npus: 1 })]) }),
    );
    expect(f).toEqual([
      {
        severity: "error",
        path: "inference.nodes[0].hostname",
        object: "Node npu-0",
        message: expect.stringContaining("Pod other/trainer holds 1 of its NPUs"),
      },
      {
        severity: "error",
        path: "inference.deployments[0].prefill[0]",
        object: "Node npu-0",
        message: "host port 8088 of inv-prefill-0 is held by Pod other/holder: the pod would stay Pending",
      },
    ]);
  });
});

describe("preflight's packing", () => {
  const pods = (sizes: number[], group?: string): PodDemand[] =>
    sizes.map((npus, i) => ({
      path: "p",
      workload: "w",
      name: `p${i}`,
      npus,
      ports: [],
      nodeSelector: {},
      tolerations: [],
      avoidHosts: [],
      spreadGroup: group,
    }));
  const rooms = (...npus: number[]): NodeRoom[] => npus.map((n, i) => ({ name: `n${i}`, npus: n, ports: new Set() }));

  it("is exact for sizes that divide one another, in any order", () => {
    const nodes = rooms(8, 8);
    const demand = pods([2, 2, 4, 2, 4, 2]);
    expect(
      unplacedPods(
        demand,
        demand.map(() => nodes),
      ),
    ).toEqual([]);
    const over = pods([2, 2, 4, 2, 4, 2, 1]);
    expect(
      unplacedPods(
        over,
        over.map(() => nodes),
      ).map((p) => p.npus),
    ).toEqual([1]);
  });

  it("keeps a spread group's pods on distinct nodes", () => {
    const nodes = rooms(8, 8);
    const demand = pods([1, 1, 1], "job");
    expect(
      unplacedPods(
        demand,
        demand.map(() => nodes),
      ),
    ).toHaveLength(1);
  });
});

describe("formatFindings", () => {
  it("lists errors first, each with its config path and cluster object", () => {
    const text = formatFindings([
      { severity: "warning", path: "a", object: "Node x", message: "m1" },
      { severity: "error", path: "b", object: "Queue q", message: "m2" },
    ]);
    expect(text).toBe("  - error b [Queue q]: m2\n  - warning a [Node x]: m1");
  });
});
