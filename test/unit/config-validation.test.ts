import { describe, expect, it } from "vitest";
import { stackConfigFromYaml } from "../../components/config/stackFile";
import { validateStackConfig } from "../../components/config/validate";
import { issuesOf, rawConfig, SFS_VOLUME, validConfig } from "./helpers";

const job = (patch: Record<string, unknown>) => rawConfig({ training: { jobs: [{ name: "vcjob", command: "sh run.sh", ...patch }] } });

describe("defaults reproduce the manual", () => {
  it("fills the accelerator profile, images and job defaults", () => {
    const c = validConfig();
    expect(c.cluster.namespace).toBe("default");
    expect(c.accelerator).toEqual({
      profile: "ascend-1980",
      resourceName: "huawei.com/ascend-1980",
      nodeSelector: { "accelerator/huawei-npu": "ascend-1980" },
      npusPerNode: 8,
      deviceAnnotation: "cce.kubectl.kubernetes.io/ascend-1980-configuration",
      tolerations: [],
    });
    expect(c.images.base).toContain("pytorch_2_3_ascend:pytorch_2.3.1-cann_8.0.rc3");
    const j = c.training.jobs[0];
    expect(j).toMatchObject({
      nodes: 1,
      maxRetry: 5,
      queue: "default",
      mountPath: "/mnt/sfs_turbo",
      containerName: "ascendspeed",
      shmSize: "200Gi",
    });
    expect(j.resources).toEqual({ cpu: { request: "2650m", limit: "192" }, memory: { request: "3200Mi", limit: "1500Gi" } });
    expect(c.storage.volumes[0]).toMatchObject({ capacity: "500Gi", storageClassName: "csi-sfsturbo", allowDestroy: false });
  });

  it("accepts numbers where Kubernetes quantities are expected", () => {
    const c = validConfig({ training: { jobs: [{ name: "vcjob", command: "x", resources: { cpu: { limit: 192 } } }] } });
    expect(c.training.jobs[0].resources.cpu.limit).toBe("192");
  });
});

describe("every problem is reported at once with its path", () => {
  it("collects schema and cross-field problems from several sections", () => {
    const issues = issuesOf({
      storage: { volumes: [{ ...SFS_VOLUME, capacity: "lots" }] },
      training: {
        jobs: [
          { name: "Bad_Name", command: "x", npus: 16 },
          { name: "ok", nodes: 0, command: "x" },
        ],
      },
      images: { pullPolicy: "Sometimes" },
      typo: 1,
    });
    const paths = issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["storage.volumes[0].capacity", "training.jobs[1].nodes", "images.pullPolicy", "typo"]));
    // jobs[1] fails its schema; the valid sibling jobs[0] still gets its cross-field rules.
    expect(paths).toContain("training.jobs[0].npus");
  });

  it("does not report consequences of a failed section in another one", () => {
    const issues = issuesOf(
      rawConfig({
        storage: { volumes: [{ ...SFS_VOLUME, capacity: "lots" }] },
        training: { jobs: [{ name: "vcjob", command: "x", mountPath: "/home/ma-user" }] },
      }),
    );
    expect(issues.map((i) => i.path)).toEqual(["storage.volumes[0].capacity", "training.jobs[0].mountPath"]);
  });

  it("runs cross-field rules when the structure is valid", () => {
    const issues = issuesOf(rawConfig({ training: { jobs: [{ name: "Bad_Name", command: "x", npus: 16 }] } }));
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: "training.jobs[0].name", message: expect.stringContaining("RFC 1035") },
        { path: "training.jobs[0].npus", message: expect.stringContaining("accelerator.npusPerNode is 8") },
      ]),
    );
  });
});

describe("one bad input per rule", () => {
  const cases: [string, unknown, string, RegExp][] = [
    ["unknown top-level key", { ...rawConfig(), trainig: {} }, "trainig", /unknown config key/],
    ["unknown nested key", job({ comand: "x" }), "training.jobs[0].comand", /unknown key/],
    ["missing command", { ...rawConfig(), training: { jobs: [{ name: "vcjob" }] } }, "training.jobs[0].command", /Required/],
    ["job name not a Service name", job({ name: "1job" }), "training.jobs[0].name", /RFC 1035/],
    ["derived pod name too long", job({ name: "j".repeat(57), nodes: 2 }), "training.jobs[0].name", /derived pod name .* at most 63/],
    [
      "duplicate job names",
      rawConfig({
        training: {
          jobs: [
            { name: "a", command: "x" },
            { name: "a", command: "y" },
          ],
        },
      }),
      "training.jobs[1].name",
      /must be unique/,
    ],
    ["NPUs over the node", job({ npus: 9 }), "training.jobs[0].npus", /npusPerNode is 8/],
    ["minAvailable over nodes", job({ nodes: 2, minAvailable: 3 }), "training.jobs[0].minAvailable", /only 2 pod/],
    [
      "cpu request over limit",
      job({ resources: { cpu: { request: "200", limit: "192" } } }),
      "training.jobs[0].resources.cpu",
      /exceeds limit/,
    ],
    [
      "memory quantity does not parse",
      job({ resources: { memory: { request: "3200MB" } } }),
      "training.jobs[0].resources.memory.request",
      /quantity/,
    ],
    ["mount at /home/ma-user", job({ mountPath: "/home/ma-user/work" }), "training.jobs[0].mountPath", /home\/ma-user/],
    ["relative mount path", job({ mountPath: "mnt" }), "training.jobs[0].mountPath", /absolute/],
    ["unknown volume", job({ volume: "nfs" }), "training.jobs[0].volume", /not in storage.volumes/],
    [
      "no volume at all",
      { training: { jobs: [{ name: "vcjob", command: "x" }] } },
      "training.jobs[0].volume",
      /add one under storage.volumes/,
    ],
    ["bad env name", job({ env: { "1X": "y" } }), "training.jobs[0].env.1X", /environment variable/],
    ["HCCL timeout out of range", job({ hccl: { connectTimeoutSeconds: 10 } }), "training.jobs[0].hccl.connectTimeoutSeconds", /120/],
    ["bad container name", job({ containerName: "Ascend_Speed" }), "training.jobs[0].containerName", /RFC 1123/],
    ["bad image reference", job({ image: "swr/UPPER:tag" }), "training.jobs[0].image", /image reference/],
    [
      "render mode with a kubeconfig",
      rawConfig({ cluster: { renderYamlToDirectory: "out", kubeconfig: "k" } }),
      "cluster.kubeconfig",
      /renderYamlToDirectory/,
    ],
    ["bad namespace", rawConfig({ cluster: { namespace: "Prod" } }), "cluster.namespace", /RFC 1123/],
    [
      "bad volume type",
      rawConfig({ storage: { volumes: [{ name: "v", type: "nfs" }] } }),
      "storage.volumes[0].type",
      /static.*subpath.*existing|Invalid discriminator/,
    ],
    [
      "static volume without share id",
      rawConfig({ storage: { volumes: [{ name: "sfs-turbo", type: "static", exportLocation: "a:/" }] } }),
      "storage.volumes[0].shareId",
      /Required/,
    ],
    ["duplicate volume names", rawConfig({ storage: { volumes: [SFS_VOLUME, SFS_VOLUME] } }), "storage.volumes[1].name", /must be unique/],
    ["bad volume name", rawConfig({ storage: { volumes: [{ ...SFS_VOLUME, name: "SFS" }] } }), "storage.volumes[0].name", /subdomain/],
    ["bad capacity", rawConfig({ storage: { volumes: [{ ...SFS_VOLUME, capacity: "big" }] } }), "storage.volumes[0].capacity", /quantity/],
    [
      "build without repository",
      rawConfig({ images: { build: { enabled: true } }, registry: { server: "swr.example", username: "u" } }),
      "images.build.repository",
      /required/,
    ],
    [
      "build without registry",
      rawConfig({ images: { build: { enabled: true, repository: "swr.example/org/img" } } }),
      "registry",
      /required/,
    ],
    ["registry without password", rawConfig({ registry: { server: "swr.example", username: "u" } }), "registryPassword", /--secret/],
    ["npusPerNode zero", rawConfig({ accelerator: { npusPerNode: 0 } }), "accelerator.npusPerNode", /greater than or equal to 1/],
    [
      "bad resource name",
      rawConfig({ accelerator: { resourceName: "huawei.com/ascend 1980" } }),
      "accelerator.resourceName",
      /extended resource/,
    ],
  ];
  it.each(cases)("%s", (_name, raw, path, message) => {
    const issues = issuesOf(raw);
    expect(issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it("rejects a registry password stored in plaintext", () => {
    const issues = issuesOf(rawConfig({ registry: { server: "swr.example", username: "u" } }), { registryPassword: "plaintext" });
    expect(issues).toEqual([{ path: "registryPassword", message: expect.stringContaining("must be a secret") }]);
  });

  it("accepts the registry with a secret password", () => {
    expect(validateStackConfig(rawConfig({ registry: { server: "swr.example", username: "u" } }), { registryPassword: "secret" }).ok).toBe(
      true,
    );
  });
});

describe("stack files", () => {
  it("strips the project prefix, keeps foreign keys out and sees secure values", () => {
    const parsed = stackConfigFromYaml(`
config:
  ascend-stack:cluster:
    namespace: ml
  ascend-stack:registryPassword:
    secure: AAABAKl0
  kubernetes:context: other
`);
    expect(parsed.raw).toEqual({ cluster: { namespace: "ml" } });
    expect(parsed.secrets).toEqual({ registryPassword: "secret" });
    expect(parsed.foreignKeys).toEqual(["kubernetes:context"]);
    expect(parsed.foreign).toEqual({ "kubernetes:context": "other" });
  });

  it("flags a plaintext password in the file", () => {
    expect(stackConfigFromYaml("config:\n  ascend-stack:registryPassword: hunter2\n").secrets).toEqual({ registryPassword: "plaintext" });
  });

  it("reports a non-mapping config", () => {
    expect(validateStackConfig([1, 2])).toEqual({ ok: false, issues: [{ path: "", message: expect.stringContaining("mapping") }] });
  });
});
