/** The mindcluster profile: its defaults, its rules (each with a bad input), its training job and volumes. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MINDCLUSTER } from "../../components/common/profiles";
import { buildConfigMap, buildInstanceDeployment, type PdInputs } from "../../components/inference/builders";
import { resolveInference } from "../../components/inference/topology";
import { buildPersistentVolumeClaim } from "../../components/storage/builders";
import { buildTrainingConfigMap, buildVolcanoJob, type TrainingJobInputs } from "../../components/training/builders";
import { MINDCLUSTER_RANK_TABLE_DIR } from "../../components/training/flavors";
import { issuesOf, validConfig } from "./helpers";

const NFS = { name: "shared", type: "dynamic", storageClassName: "nfs-rwx" };
const mindcluster = (patch: Record<string, unknown> = {}) => ({
  cluster: { profile: "mindcluster" },
  storage: { volumes: [NFS] },
  training: { jobs: [{ name: "pt", nodes: 2, command: "sh run.sh" }] },
  ...patch,
});
const pathsOf = (raw: Record<string, unknown>) => issuesOf(raw).map((i) => i.path);
const messageAt = (raw: Record<string, unknown>, path: string) => issuesOf(raw).find((i) => i.path === path)?.message;

describe("config of the mindcluster profile", () => {
  it("takes MindCluster's names as the accelerator defaults; cce keeps CCE's", () => {
    expect(validConfig(mindcluster()).accelerator).toEqual({
      profile: "ascend-910b",
      resourceName: "huawei.com/Ascend910",
      nodeSelector: { accelerator: "huawei-Ascend910", "accelerator-type": "module-910b-8" },
      npusPerNode: 8,
      deviceAnnotation: "ascend.kubectl.kubernetes.io/ascend-910-configuration",
      tolerations: [],
    });
    const cce = validConfig();
    expect(cce.cluster.profile).toBe("cce");
    expect(cce.accelerator.resourceName).toBe("huawei.com/ascend-1980");
  });

  it("takes the profile as written when another cluster key is broken", () => {
    const issues = issuesOf(mindcluster({ cluster: { profile: "mindcluster", namespace: 7 } }));
    expect(issues.map((i) => i.path)).toEqual(["cluster.namespace"]);
  });

  it("rejects an unknown profile, listing both", () => {
    expect(messageAt(mindcluster({ cluster: { profile: "kubeflow" } }), "cluster.profile")).toMatch(/"cce", "mindcluster"/);
  });

  it("rejects CCE's names and SFS Turbo volumes, each at its path", () => {
    const raw = mindcluster({
      accelerator: {
        profile: "ascend-1980",
        resourceName: "huawei.com/ascend-1980",
        deviceAnnotation: "cce.kubectl.kubernetes.io/ascend-1980-configuration",
        nodeSelector: { "accelerator/huawei-npu": "ascend-1980" },
      },
      storage: {
        volumes: [
          { name: "sfs", type: "static", shareId: "s", exportLocation: "1.2.3.4:/" },
          { name: "sub", type: "subpath", storageClassName: "sfsturbo-subpath" },
          NFS,
        ],
      },
      training: { jobs: [{ name: "pt", command: "x", volume: "shared" }] },
    });
    expect(pathsOf(raw).sort()).toEqual(
      [
        "accelerator.deviceAnnotation",
        "accelerator.nodeSelector.accelerator/huawei-npu",
        "accelerator.profile",
        "accelerator.resourceName",
        "storage.volumes[0].type",
        "storage.volumes[1].type",
      ].sort(),
    );
    expect(messageAt(raw, "storage.volumes[0].type")).toMatch(/SFS Turbo volume of CCE's Everest add-on.*type dynamic/);
    expect(messageAt(raw, "accelerator.resourceName")).toMatch(/not a resource MindCluster's device plugin advertises/);
  });

  it("refuses 310P cards for training and P/D, and an accelerator-type that disagrees with npusPerNode", () => {
    const p310 = mindcluster({ accelerator: { resourceName: "huawei.com/Ascend310P" } });
    expect(messageAt(p310, "accelerator.resourceName")).toMatch(/no HCCL rank table; training.jobs need huawei.com\/Ascend910/);
    const sixteen = mindcluster({
      accelerator: { nodeSelector: { accelerator: "huawei-Ascend910", "accelerator-type": "module-910b-16" } },
    });
    expect(messageAt(sixteen, "accelerator.npusPerNode")).toMatch(
      /is 8, but nodes labelled accelerator-type=module-910b-16 .* have 16 chips/,
    );
    expect(
      validConfig(
        mindcluster({
          accelerator: { npusPerNode: 16, nodeSelector: { accelerator: "huawei-Ascend910", "accelerator-type": "module-910b-16" } },
        }),
      ).accelerator.npusPerNode,
    ).toBe(16);
  });

  it("on cce, rejects MindCluster's resource and annotation", () => {
    const raw = { accelerator: { resourceName: MINDCLUSTER.npu910, deviceAnnotation: MINDCLUSTER.deviceInfoAnnotation } };
    expect(messageAt(raw, "accelerator.resourceName")).toMatch(/MindCluster's resource name.*cluster.profile: mindcluster/);
    expect(messageAt(raw, "accelerator.deviceAnnotation")).toMatch(/MindCluster's annotation/);
  });

  it("allows dynamic volumes on cce too", () => {
    expect(validConfig({ storage: { volumes: [NFS] } }).storage.volumes[0].type).toBe("dynamic");
  });
});

function mindclusterJob(nodes = 2): TrainingJobInputs {
  const c = validConfig(mindcluster({ training: { jobs: [{ name: "pt", nodes, command: "sh run.sh" }] } }));
  return {
    job: c.training.jobs[0],
    namespace: "ml",
    accelerator: c.accelerator,
    image: "img",
    imagePullPolicy: "IfNotPresent",
    claimName: "shared",
    profile: "mindcluster",
  };
}

describe("the mindcluster training job (MindCluster's rank-table vcjob)", () => {
  it("ConfigMap rings-config-<job>, labelled ring-controller.atlas, hccl.json initializing", () => {
    const cm: any = buildTrainingConfigMap(mindclusterJob());
    expect(cm.metadata.name).toBe("rings-config-pt");
    expect(cm.metadata.labels["ring-controller.atlas"]).toBe("ascend-910b");
    expect(cm.metadata.labels["ring-controller.cce"]).toBeUndefined();
    expect(cm.data).toEqual({ "hccl.json": '{"status":"initializing"}\n' });
  });

  it("Job: upstream Volcano's env and svc plugins only, MindCluster's labels, 910 resources", () => {
    const job: any = buildVolcanoJob(mindclusterJob());
    expect(job.spec.plugins).toEqual({ env: [], svc: ["--publish-not-ready-addresses=true"] });
    expect(job.metadata.labels).toMatchObject({
      "ring-controller.atlas": "ascend-910b",
      framework: "pytorch",
      "fault-scheduling": "force",
    });
    expect(job.spec.schedulerName).toBe("volcano");
    expect(job.spec.minAvailable).toBe(2);
    expect(job.spec.tasks.map((t: any) => [t.name, t.replicas])).toEqual([
      ["main", 1],
      ["work", 1],
    ]);
    const pod = job.spec.tasks[0].template;
    expect(pod.metadata.labels).toEqual({ app: "pytorch", "ring-controller.atlas": "ascend-910b" });
    expect(pod.spec.nodeSelector).toEqual({ accelerator: "huawei-Ascend910", "accelerator-type": "module-910b-8" });
    const c = pod.spec.containers[0];
    expect(c.resources.requests["huawei.com/Ascend910"]).toBe("8");
    expect(c.resources.limits["huawei.com/Ascend910"]).toBe("8");
  });

  it("pods mount the rank table where MindCluster's samples do, and see their chips", () => {
    const pod = (buildVolcanoJob(mindclusterJob()) as any).spec.tasks[1].template;
    const c = pod.spec.containers[0];
    expect(c.volumeMounts).toContainEqual({ name: "ascend-910-config", mountPath: MINDCLUSTER_RANK_TABLE_DIR });
    expect(pod.spec.volumes).toContainEqual({ name: "ascend-910-config", configMap: { name: "rings-config-pt" } });
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.value ?? e.valueFrom.fieldRef.fieldPath]));
    expect(env).toMatchObject({
      ASCEND_VISIBLE_DEVICES: "metadata.annotations['huawei.com/Ascend910']",
      XDL_IP: "status.hostIP",
      RANK_TABLE_FILE: "/user/serverid/devindex/config/hccl.json",
      MASTER_ADDR: "pt-main-0.pt.ml.svc",
      NNODES: "2",
    });
    // CCE's manual variables are CCE's only.
    expect(env.framework).toBeUndefined();
  });
});

describe("dynamic volumes", () => {
  it("a RWX claim on the class, without Everest's annotations, not awaited", () => {
    const v = validConfig({ storage: { volumes: [{ ...NFS, claimName: "data", capacity: "2Ti" }] } }).storage.volumes[0];
    if (v.type !== "dynamic") throw new Error("expected a dynamic volume");
    expect(buildPersistentVolumeClaim(v, "ml")).toEqual({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      metadata: {
        name: "data",
        namespace: "ml",
        labels: expect.objectContaining({ "app.kubernetes.io/instance": "shared", "app.kubernetes.io/component": "storage" }),
        annotations: { "pulumi.com/skipAwait": "true" },
      },
      spec: { accessModes: ["ReadWriteMany"], resources: { requests: { storage: "2Ti" } }, storageClassName: "nfs-rwx" },
    });
  });
});

/** The MindCluster front of rendezvous.py, run by python3: what it makes of an annotation value. */
function readMindClusterAnnotation(value: string, hostIP: string, expected: number) {
  const code = [
    "import json, sys",
    `sys.path.insert(0, ${JSON.stringify(path.join(__dirname, "../../components/inference"))})`,
    "import mindcluster_rendezvous, rendezvous",
    "try:",
    "    print(json.dumps(rendezvous.devices_from_annotation(sys.argv[1], 'a', sys.argv[2], int(sys.argv[3]))))",
    "except rendezvous.AnnotationError as e:",
    "    print(json.dumps({'error': str(e)}))",
  ].join("\n");
  const r = spawnSync("python3", ["-c", code, value, hostIP, String(expected)], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
}

describe("P/D on the mindcluster profile", () => {
  const devices = [
    { device_id: "1", device_ip: "198.18.1.152" },
    { device_id: "0", device_ip: "198.18.1.151" },
  ];
  it("reads MindCluster's annotation (server_id the pod UID) with host_ip as the server", () => {
    const value = JSON.stringify({ pod_name: "p", server_id: "0b7c-uid", host_ip: "127.0.11.1", devices });
    expect(readMindClusterAnnotation(value, "127.0.11.1", 2)).toEqual([
      "127.0.11.1",
      [
        { device_id: "0", device_ip: "198.18.1.151" },
        { device_id: "1", device_ip: "198.18.1.152" },
      ],
    ]);
  });

  it("names a missing host_ip, and keeps rendezvous.py's checks (host, count)", () => {
    expect(readMindClusterAnnotation(JSON.stringify({ server_id: "uid", devices }), "127.0.11.1", 2).error).toMatch(/has no host_ip/);
    const elsewhere = JSON.stringify({ server_id: "uid", host_ip: "127.0.11.2", devices });
    expect(readMindClusterAnnotation(elsewhere, "127.0.11.1", 2).error).toMatch(/this pod runs on host 127.0.11.1/);
    const short = JSON.stringify({ server_id: "uid", host_ip: "127.0.11.1", devices: devices.slice(0, 1) });
    expect(readMindClusterAnnotation(short, "127.0.11.1", 2).error).toMatch(/lists 1 devices but the instance requested 2/);
  });

  it("device-plugin pods run the front with MindCluster's annotation, shipped beside rendezvous.py", () => {
    const c = validConfig(
      mindcluster({
        training: { jobs: [] },
        inference: {
          deployments: [{ name: "qwen", model: "/mnt/sfs_turbo/m", servedModelName: "q", tensorParallelSize: 2, prefill: 1, decode: 1 }],
        },
      }),
    );
    const dep = resolveInference({ inference: c.inference, accelerator: c.accelerator }).deployments[0];
    const inputs: PdInputs = {
      deployment: dep,
      namespace: "ml",
      accelerator: c.accelerator,
      image: "img",
      imagePullPolicy: "IfNotPresent",
      claimName: "shared",
      inventoryHosts: [],
      stackId: "s",
      inventoryTolerations: [],
    };
    const cm: any = buildConfigMap(inputs);
    expect(Object.keys(cm.data).sort()).toEqual(["manifest.json", "mindcluster_rendezvous.py", "rendezvous.py"]);
    const prefill: any = buildInstanceDeployment(inputs, dep.instances[0]);
    const container = prefill.spec.template.spec.containers[0];
    expect(container.command.slice(0, 2)).toEqual(["python3", "/etc/ascend-stack/pd/mindcluster_rendezvous.py"]);
    expect(container.command).toContain("ascend.kubectl.kubernetes.io/ascend-910-configuration");
    expect(container.resources.limits["huawei.com/Ascend910"]).toBe("2");
    expect(prefill.spec.template.spec.nodeSelector).toEqual({ accelerator: "huawei-Ascend910", "accelerator-type": "module-910b-8" });
  });
});
