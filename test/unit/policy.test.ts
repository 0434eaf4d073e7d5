// The CrossGuard policy pack's checks (policy/, docs/policy-pack.md): each policy fails a violating
// hand-written resource and passes a compliant one, and the objects our own stacks generate pass
// every policy.
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackFile } from "../../components/config/stackFile";
import { validateStackConfig } from "../../components/config/validate";
import { plain, type KubeResource, type Violation } from "../../policy/k8s";
import { RULES, type Rule } from "../../policy/policies";
import { table } from "../e2e/fixtures/policy-violations/rankTable";
import { installMocks, registered, settled } from "./mocks";

installMocks("policy");

const rule = (name: string): Rule => RULES.find((r) => r.name === name)!;

/** The messages a policy reports for these resources (resource policies: each one; stack policies: all together). */
function check(name: string, ...resources: KubeResource[]): string[] {
  const r = rule(name);
  if ("resource" in r) return resources.flatMap((x) => r.resource(x, {}));
  return r.stack(resources, {}).map((v: Violation) => v.message);
}

const DRIVER = { name: "ascend-driver", hostPath: { path: "/usr/local/Ascend/driver" } };
const NPU_SMI = { name: "npu-smi", hostPath: { path: "/usr/local/sbin/npu-smi" } };
const mountOf = (v: { name: string; hostPath: { path: string } }) => ({ name: v.name, mountPath: v.hostPath.path });

/** A raw Deployment as any program would declare it. */
function deployment(name: string, pod: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeResource {
  return {
    type: "kubernetes:apps/v1:Deployment",
    name,
    urn: `urn:pulumi:s::p::kubernetes:apps/v1:Deployment::${name}`,
    props: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: "team" },
      spec: { ...extra, template: { spec: pod } },
    },
  };
}

describe("reading a preview's properties", () => {
  it("drops the values @pulumi/policy cannot know yet (its proxy throws on them) and keeps the rest", () => {
    const unknown = (o: Record<string, unknown>, key: string) =>
      new Proxy(o, {
        get: (target, p) =>
          p === key
            ? (() => {
                throw new Error("unknown");
              })()
            : (target as any)[p],
      });
    const props = { metadata: unknown({ name: "x", namespace: "n" }, "name"), spec: { list: [1, unknown({ a: 1, b: 2 }, "b")] } };
    expect(plain(props)).toEqual({ metadata: { namespace: "n" }, spec: { list: [1, { a: 1 }] } });
  });
});

describe("no-mount-under-ma-user-home", () => {
  const pod = (mountPath: string) => ({
    containers: [{ name: "app", volumeMounts: [{ name: "work", mountPath }] }],
    volumes: [{ name: "work", emptyDir: {} }],
  });
  it("fails a mount at or under /home/ma-user, naming the resource, container, volume and path", () => {
    expect(check("no-mount-under-ma-user-home", deployment("d", pod("/home/ma-user")))).toEqual([
      expect.stringMatching(
        /^Deployment team\/d: container "app" mounts volume "work" at \/home\/ma-user; nothing may be mounted at or under \/home\/ma-user/,
      ),
    ]);
    expect(check("no-mount-under-ma-user-home", deployment("d", pod("/home/ma-user//work/")))[0]).toContain("at /home/ma-user/work;");
  });
  it("passes other paths, including look-alikes", () => {
    expect(check("no-mount-under-ma-user-home", deployment("d", pod("/home/ma-user2")), deployment("e", pod("/mnt/sfs_turbo")))).toEqual(
      [],
    );
  });
  it("reads every pod-template kind: Pod, StatefulSet, DaemonSet, Job, CronJob, init containers, Volcano tasks", () => {
    const spec = pod("/home/ma-user/x");
    const init = { initContainers: spec.containers, containers: [{ name: "main" }], volumes: spec.volumes };
    const objects: KubeResource[] = [
      { type: "kubernetes:core/v1:Pod", name: "p", props: { spec } },
      { type: "kubernetes:apps/v1:StatefulSet", name: "s", props: { spec: { template: { spec } } } },
      { type: "kubernetes:apps/v1:DaemonSet", name: "ds", props: { spec: { template: { spec: init } } } },
      { type: "kubernetes:batch/v1:Job", name: "j", props: { spec: { template: { spec } } } },
      { type: "kubernetes:batch/v1:CronJob", name: "c", props: { spec: { jobTemplate: { spec: { template: { spec } } } } } },
      {
        type: "kubernetes:batch.volcano.sh/v1alpha1:Job",
        name: "v",
        props: { spec: { tasks: [{ name: "main", replicas: 1, template: { spec } }] } },
      },
    ];
    expect(check("no-mount-under-ma-user-home", ...objects).map((m) => m.split(":")[0])).toEqual([
      "Pod p",
      "StatefulSet s",
      "DaemonSet ds",
      "Job j",
      "CronJob c",
      'Job v task "main"',
    ]);
  });
});

describe("driver-mounted-with-npu-smi", () => {
  it("fails a container that mounts the driver without npu-smi", () => {
    const d = deployment("d", { containers: [{ name: "npu", volumeMounts: [mountOf(DRIVER)] }], volumes: [DRIVER] });
    expect(check("driver-mounted-with-npu-smi", d)).toEqual([
      'Deployment team/d: container "npu" mounts the Ascend driver (volume "ascend-driver" at /usr/local/Ascend/driver) but not npu-smi ' +
        "(hostPath /usr/local/sbin/npu-smi); the manual mounts the driver and npu-smi together, always",
    ]);
  });
  it("judges each container on its own mounts", () => {
    const d = deployment("d", {
      containers: [
        { name: "ok", volumeMounts: [mountOf(DRIVER), mountOf(NPU_SMI)] },
        { name: "bad", volumeMounts: [{ name: "ascend-driver", mountPath: "/opt/driver" }] },
      ],
      volumes: [DRIVER, NPU_SMI],
    });
    expect(check("driver-mounted-with-npu-smi", d)).toEqual([expect.stringContaining('container "bad" mounts the Ascend driver')]);
  });
  it("passes both mounts, npu-smi's host directory, and containers without the driver", () => {
    const sbin = { name: "sbin", hostPath: { path: "/usr/local/sbin" } };
    expect(
      check(
        "driver-mounted-with-npu-smi",
        deployment("a", { containers: [{ name: "c", volumeMounts: [mountOf(DRIVER), mountOf(NPU_SMI)] }], volumes: [DRIVER, NPU_SMI] }),
        deployment("b", { containers: [{ name: "c", volumeMounts: [mountOf(DRIVER), mountOf(sbin)] }], volumes: [DRIVER, sbin] }),
        deployment("c", { containers: [{ name: "c" }] }),
      ),
    ).toEqual([]);
  });
});

describe("batched-tokens-cover-model-len", () => {
  const server = (...flags: string[]) =>
    deployment("pd", { containers: [{ name: "prefill", command: ["sh", "/x/PD_separate/start_servers.sh", ...flags] }] });
  it("fails --max-num-batched-tokens below --max-model-len, in either flag spelling", () => {
    expect(check("batched-tokens-cover-model-len", server("--max-model-len=8192", "--max-num-batched-tokens", "4096"))).toEqual([
      expect.stringMatching(/container "prefill" runs start_servers.sh with --max-num-batched-tokens=4096 below --max-model-len=8192/),
    ]);
    const shell = deployment("sh", {
      containers: [
        {
          name: "c",
          command: ["/bin/sh", "-c"],
          args: ["cd /w && sh start_servers.sh --max-model-len=4096 --max-num-batched-tokens=2048"],
        },
      ],
    });
    expect(check("batched-tokens-cover-model-len", shell)).toHaveLength(1);
  });
  it("passes equal or larger budgets, chunked prefill, missing or non-literal values, and other commands", () => {
    expect(
      check(
        "batched-tokens-cover-model-len",
        server("--max-model-len=4096", "--max-num-batched-tokens=4096"),
        server("--max-model-len=8192", "--max-num-batched-tokens=4096", "--enable-chunked-prefill"),
        server("--max-model-len=8192"),
        server("--max-model-len=$(LEN)", "--max-num-batched-tokens=1"),
        deployment("other", { containers: [{ name: "c", command: ["vllm", "--max-model-len=8192", "--max-num-batched-tokens=1"] }] }),
      ),
    ).toEqual([]);
  });
});

describe("volcano-gang-complete (advisory)", () => {
  const job = (minAvailable: number | undefined, replicas: number[]): KubeResource => ({
    type: "kubernetes:batch.volcano.sh/v1alpha1:Job",
    name: "train",
    props: {
      apiVersion: "batch.volcano.sh/v1alpha1",
      kind: "Job",
      metadata: { name: "train" },
      spec: {
        ...(minAvailable === undefined ? {} : { minAvailable }),
        tasks: replicas.map((n, i) => ({ name: `t${i}`, replicas: n, template: { spec: { containers: [] } } })),
      },
    },
  });
  it("is advisory", () => expect(rule("volcano-gang-complete").enforcementLevel).toBe("advisory"));
  it("fails a multi-pod job whose minAvailable is below its pod count", () => {
    expect(check("volcano-gang-complete", job(1, [1, 1]))).toEqual([
      expect.stringMatching(/^Job train: minAvailable is 1 but its 2 task\(s\) run 2 pods; set minAvailable: 2/),
    ]);
  });
  it("passes gang-complete, defaulted and single-pod jobs, and batch/v1 Jobs", () => {
    const batchJob: KubeResource = { type: "kubernetes:batch/v1:Job", name: "j", props: { spec: { minAvailable: 1, tasks: [{}, {}] } } };
    expect(check("volcano-gang-complete", job(2, [1, 1]), job(undefined, [1, 1]), job(1, [1]), batchJob)).toEqual([]);
  });
});

describe("sfs-turbo-retained", () => {
  const pv = (reclaim: string | undefined, protect: boolean): KubeResource => ({
    type: "kubernetes:core/v1:PersistentVolume",
    name: "share",
    protect,
    props: {
      metadata: { name: "share" },
      spec: { csi: { driver: "sfsturbo.csi.everest.io" }, ...(reclaim ? { persistentVolumeReclaimPolicy: reclaim } : {}) },
    },
  });
  const pvc = (storageClassName: string, protect: boolean): KubeResource => ({
    type: "kubernetes:core/v1:PersistentVolumeClaim",
    name: "claim",
    protect,
    props: { metadata: { name: "claim", namespace: "team" }, spec: { storageClassName } },
  });
  it("fails an SFS Turbo PV with Delete or without protect, and an unprotected SFS Turbo claim", () => {
    expect(check("sfs-turbo-retained", pv("Delete", true))).toEqual([
      "PersistentVolume share is an SFS Turbo volume with persistentVolumeReclaimPolicy Delete; it must be Retain",
    ]);
    expect(check("sfs-turbo-retained", pv("Retain", false), pvc("csi-sfsturbo", false))).toEqual([
      "PersistentVolume share is an SFS Turbo volume without the protect resource option; set protect: true so a destroy cannot remove it",
      "PersistentVolumeClaim team/claim is an SFS Turbo claim without the protect resource option; set protect: true so a destroy cannot remove it",
    ]);
  });
  it("fails an SFS Turbo StorageClass that deletes its volumes", () => {
    const sc: KubeResource = {
      type: "kubernetes:storage.k8s.io/v1:StorageClass",
      name: "sub",
      props: { metadata: { name: "sfs-subpath" }, parameters: { "csi.storage.k8s.io/csi-driver-name": "sfsturbo.csi.everest.io" } },
    };
    expect(check("sfs-turbo-retained", sc)).toEqual([
      expect.stringContaining("with reclaimPolicy Delete (the default); it must be Retain"),
    ]);
  });
  it("passes protected Retain volumes and claims, and other storage", () => {
    expect(check("sfs-turbo-retained", pv("Retain", true), pv(undefined, true), pvc("csi-sfsturbo", true), pvc("csi-disk", false))).toEqual(
      [],
    );
  });
  it("takes further SFS Turbo class names from the policy config", () => {
    const r = rule("sfs-turbo-retained") as Extract<Rule, { resource: unknown }>;
    expect(r.resource(pvc("my-subpath", false), { storageClassNames: ["my-subpath"] })).toHaveLength(1);
  });
});

/** A pod pinned to a node that opens cards by path. */
function npuPod(name: string, node: string | undefined, cards: number[], extra: Record<string, unknown> = {}): KubeResource {
  const volumes = cards.map((c) => ({ name: `davinci${c}`, hostPath: { path: `/dev/davinci${c}`, type: "CharDevice" } }));
  return deployment(
    name,
    {
      ...(node ? { nodeSelector: { "kubernetes.io/hostname": node } } : {}),
      containers: [{ name: "npu", volumeMounts: volumes.map((v) => ({ name: v.name, mountPath: v.hostPath.path })) }],
      volumes,
    },
    extra,
  );
}

describe("npu-not-shared", () => {
  it("fails two containers that open the same card on one node, naming both and the card", () => {
    expect(check("npu-not-shared", npuPod("a", "n1", [4, 5]), npuPod("b", "n1", [5, 6]))).toEqual([
      'Deployment team/a container "npu" and Deployment team/b container "npu" both use NPU 5 on node n1; never bind two containers to the same NPU (the manual: the later one cannot use it)',
    ]);
  });
  it("treats an unpinned pod as possibly on any node, and ASCEND_VISIBLE_DEVICES as cards", () => {
    const env = {
      type: "kubernetes:core/v1:Pod",
      name: "p",
      props: { spec: { containers: [{ name: "c", env: [{ name: "ASCEND_VISIBLE_DEVICES", value: "0,1" }] }] } },
    };
    expect(check("npu-not-shared", npuPod("a", undefined, [1]), env)).toEqual([expect.stringContaining("both use NPU 1 on any node")]);
  });
  it("fails replicas that would share their cards", () => {
    expect(check("npu-not-shared", npuPod("a", "n1", [0], { replicas: 2 }))).toEqual([
      expect.stringContaining("runs 2 replicas on node n1"),
    ]);
  });
  it("passes distinct cards, distinct nodes, init containers before their main container, and device-plugin requests", () => {
    const init = npuPod("i", "n1", [3]);
    const spec = init.props.spec.template.spec;
    spec.initContainers = [{ ...spec.containers[0], name: "init" }];
    const plugin = deployment(
      "dp",
      { containers: [{ name: "c", resources: { limits: { "huawei.com/ascend-1980": "2" } } }] },
      { replicas: 4 },
    );
    expect(check("npu-not-shared", npuPod("a", "n1", [0, 1]), npuPod("b", "n1", [2]), npuPod("c", "n2", [0, 1]), init, plugin)).toEqual([]);
  });
});

describe("node-ports-follow-rank-table", () => {
  const configMap: KubeResource = {
    type: "kubernetes:core/v1:ConfigMap",
    name: "tables",
    props: { metadata: { name: "tables", namespace: "team" }, data: { "global.json": JSON.stringify(table) } },
  };
  const vol = { volumes: [{ name: "t", configMap: { name: "tables" } }] };
  const mounts = [{ name: "t", mountPath: "/tables" }];
  const instance = (name: string, ids: string, port: number) =>
    deployment(name, {
      ...vol,
      containers: [
        {
          name: "server",
          command: ["sh", "start_servers.sh", `--port=${port}`],
          env: [
            { name: "GLOBAL_RANK_TABLE_FILE_PATH", value: "/tables/global.json" },
            { name: "RANK_TABLE_FILE_PATH", value: `/tables/local_ranktable_10.0.0.1_${ids}.json` },
          ],
          volumeMounts: mounts,
        },
      ],
    });
  const scheduler = (ports: string) =>
    deployment("scheduler", {
      ...vol,
      containers: [
        {
          name: "scheduler",
          env: [
            { name: "GLOBAL_RANK_TABLE_FILE_PATH", value: "/tables/global.json" },
            { name: "NODE_PORTS", value: ports },
          ],
          volumeMounts: mounts,
        },
      ],
    });
  const stack = (ports: string) => [configMap, instance("decode", "6", 8089), instance("prefill", "4", 8088), scheduler(ports)];
  it("fails NODE_PORTS out of the global table's order", () => {
    expect(check("node-ports-follow-rank-table", ...stack("8089,8088"))).toEqual([
      'Deployment team/scheduler container "scheduler" has NODE_PORTS "8089,8088", but the global rank table /tables/global.json lists 2 instance(s) ' +
        '(prefill, then decode) whose ports are "8088,8089"; the manual requires NODE_PORTS in the global table\'s order, otherwise start-up fails',
    ]);
    expect(check("node-ports-follow-rank-table", ...stack("8088"))).toHaveLength(1);
  });
  it("passes the global table's order, and tables it cannot see", () => {
    expect(check("node-ports-follow-rank-table", ...stack("8088,8089"))).toEqual([]);
    expect(check("node-ports-follow-rank-table", ...stack("8089,8088").slice(1))).toEqual([]);
  });
});

describe("the objects our own stacks generate", () => {
  let resources: KubeResource[] = [];
  beforeAll(async () => {
    const stack = await import("../../components/stack");
    for (const file of ["Pulumi.pd-examples.yaml", "Pulumi.local.yaml", "Pulumi.local-inventory.yaml", "Pulumi.local-vllm.yaml"]) {
      const { raw, secrets } = readStackFile(path.join(__dirname, "../..", file));
      const r = validateStackConfig(raw, secrets);
      if (!r.ok) throw new Error(`${file}: ${JSON.stringify(r.issues)}`);
      registered.length = 0;
      stack.deployStack(r.config);
      await settled();
      // Storage is protected by SfsTurboVolume (unless allowDestroy, which these stacks do not set; components.test.ts checks the option).
      const storage = (t: string) => t.endsWith(":PersistentVolume") || t.endsWith(":PersistentVolumeClaim");
      resources.push(
        ...registered
          .filter((x) => x.type.startsWith("kubernetes:") && x.type !== "pulumi:providers:kubernetes")
          .map((x) => ({ type: x.type, name: `${file}/${x.name}`, props: x.inputs, protect: storage(x.type) })),
      );
    }
    resources = resources.filter((r) => !r.type.startsWith("pulumi:"));
  });
  it("include P/D instances, schedulers with rank tables, Volcano Jobs and SFS Turbo volumes", () => {
    const types = new Set(resources.map((r) => r.type));
    expect([...types]).toEqual(
      expect.arrayContaining([
        "kubernetes:apps/v1:Deployment",
        "kubernetes:core/v1:ConfigMap",
        "kubernetes:batch.volcano.sh/v1alpha1:Job",
        "kubernetes:core/v1:PersistentVolume",
      ]),
    );
    // The NODE_PORTS check has something to judge: inventory schedulers with their tables.
    expect(
      resources.some(
        (r) => JSON.stringify(r.props).includes('"NODE_PORTS"') && JSON.stringify(r.props).includes("GLOBAL_RANK_TABLE_FILE_PATH"),
      ),
    ).toBe(true);
  });
  it("include vllm-ascend instances, which mount a file of the driver (hccn_tool) and npu-smi with it", () => {
    const prefill = resources.find((r) => r.name === "Pulumi.local-vllm.yaml/qwen-vllm-prefill-0")!;
    expect(JSON.stringify(prefill.props)).toContain("/usr/local/Ascend/driver/tools/hccn_tool");
    const withoutNpuSmi = JSON.parse(JSON.stringify(prefill).replace('"path":"/usr/local/sbin/npu-smi"', '"path":"/opt/npu-smi"'));
    expect(check("driver-mounted-with-npu-smi", withoutNpuSmi)).toHaveLength(1);
  });
  it("would fail with a scheduler's NODE_PORTS reversed (the check reads our rank tables)", () => {
    const list = resources.filter((r) => r.name.startsWith("Pulumi.pd-examples.yaml/"));
    const swapped = list.map((r) => {
      const text = JSON.stringify(r.props);
      if (!text.includes('"NODE_PORTS"') || !text.includes('"value":"8088,8089"')) return r;
      return { ...r, props: JSON.parse(text.replace('"value":"8088,8089"', '"value":"8089,8088"')) };
    });
    expect(swapped).not.toEqual(list);
    expect(check("node-ports-follow-rank-table", ...swapped)).toEqual([expect.stringContaining('NODE_PORTS "8089,8088"')]);
  });
  it.each(RULES.map((r) => r.name))("pass %s", (name) => {
    const r = rule(name);
    const perStack = new Map<string, KubeResource[]>();
    for (const x of resources) perStack.set(x.name.split("/")[0], [...(perStack.get(x.name.split("/")[0]) ?? []), x]);
    for (const [file, list] of perStack)
      expect(check(name, ...list), `${file} (${"stack" in r ? "stack" : "resource"} policy)`).toEqual([]);
  });
});
