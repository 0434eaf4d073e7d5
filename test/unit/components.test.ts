import type * as pulumi from "@pulumi/pulumi";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { installMocks, nameOf, recorder, registered, settled, valueOf } from "./mocks";
import { validConfig } from "./helpers";

installMocks();
// Modules that register resources are imported after the mocks are in place.
let stackModule: typeof import("../../components/stack");
let storage: typeof import("../../components/storage/SfsTurboVolume");
let training: typeof import("../../components/training/TrainingJob");
beforeAll(async () => {
  stackModule = await import("../../components/stack");
  storage = await import("../../components/storage/SfsTurboVolume");
  training = await import("../../components/training/TrainingJob");
});
beforeEach(() => {
  registered.length = 0;
});

const byType = (type: string) => registered.filter((r) => r.type === type);

describe("the whole stack", () => {
  it("registers every Kubernetes object through an explicit provider, inside typed components", async () => {
    const config = validConfig({
      training: {
        jobs: [
          { name: "vcjob", command: "x" },
          { name: "vc2", nodes: 2, command: "y" },
        ],
      },
    });
    const outputs = stackModule.deployStack(config);
    expect(await valueOf(outputs.trainingJobs.vc2.job)).toBe("vc2");
    await settled();
    const kube = registered.filter((r) => r.type.startsWith("kubernetes:") && r.type !== "pulumi:providers:kubernetes");
    // namespace-less stack: PV + PVC, the pre-pull DaemonSet, and per job a ConfigMap and a Volcano Job
    expect(kube.map((r) => r.type).sort()).toEqual([
      "kubernetes:apps/v1:DaemonSet",
      "kubernetes:batch.volcano.sh/v1alpha1:Job",
      "kubernetes:batch.volcano.sh/v1alpha1:Job",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:ConfigMap",
      "kubernetes:core/v1:PersistentVolume",
      "kubernetes:core/v1:PersistentVolumeClaim",
    ]);
    // Volcano Jobs through the client-side-apply provider (its preview of a replacement is no dry-run
    // update, which Volcano's webhook denies); everything else through the stack's provider.
    for (const r of kube) {
      const expected = r.type.includes("volcano") ? "test-k8s-volcano-jobs" : "test-k8s";
      expect(r.provider, `${r.type} ${r.name}`).toMatch(new RegExp(`::pulumi:providers:kubernetes::${expected}::`));
    }
    const providers = byType("pulumi:providers:kubernetes");
    expect(providers.map((r) => r.name)).toEqual(["test-k8s", "test-k8s-volcano-jobs"]);
    expect(providers.map((r) => r.inputs.enableServerSideApply)).toEqual([undefined, "false"]); // provider inputs travel as strings
    expect(providers[1].inputs.namespace).toBe(providers[0].inputs.namespace);
    expect(registered.map((r) => r.type)).toEqual(
      expect.arrayContaining(["ascend:storage:SfsTurboVolume", "ascend:images:ImagePrePull", "ascend:training:TrainingJob"]),
    );
    // one pre-pull for all jobs, with the base image once
    const ds = byType("kubernetes:apps/v1:DaemonSet");
    expect(ds).toHaveLength(1);
    expect(ds[0].inputs.spec.template.spec.initContainers.map((c: any) => c.image)).toEqual([config.images.base]);
    expect(byType("kubernetes:batch.volcano.sh/v1alpha1:Job").map((r) => r.inputs.metadata.name)).toEqual(["vcjob", "vc2"]);
  });

  it("keeps the registry password a secret in the pull secret", async () => {
    const pulumi = await import("@pulumi/pulumi");
    const images = await import("../../components/images/RegistryPullSecret");
    const { transformation, seen } = recorder();
    new images.RegistryPullSecret(
      "registry",
      {
        server: "swr.example.com",
        username: "cn-southwest-2@AK",
        password: pulumi.secret("hunter2"),
        secretName: "swr-pull-secret",
        namespace: "default",
      },
      { transformations: [transformation] },
    );
    const secret = seen["registry-secret"];
    expect(secret.props.type).toBe("kubernetes.io/dockerconfigjson");
    // The docker config reaches the engine only as a Pulumi secret, and the provider's outputs stay secret too.
    const dockerConfig = secret.props.stringData[".dockerconfigjson"];
    expect(await pulumi.isSecret(dockerConfig)).toBe(true);
    expect(secret.opts.additionalSecretOutputs).toEqual(expect.arrayContaining(["data", "stringData"]));
    const docker = JSON.parse(await valueOf<string>(dockerConfig));
    expect(docker.auths["swr.example.com"]).toMatchObject({ username: "cn-southwest-2@AK", password: "hunter2" });
    const config = validConfig({ registry: { server: "swr.example.com", username: "cn-southwest-2@AK" } }, { registryPassword: "secret" });
    stackModule.deployStack(config, { registryPassword: pulumi.secret("hunter2") });
    await settled();
    const pod = byType("kubernetes:batch.volcano.sh/v1alpha1:Job")[0].inputs.spec.tasks[0].template.spec;
    expect(pod.imagePullSecrets).toEqual([{ name: "swr-pull-secret" }]);
  });
});

describe("training image build", () => {
  it("builds FROM the base image for arm64, pushes with secret credentials, and feeds jobs and the pre-pull", async () => {
    const { secret } = await import("@pulumi/pulumi");
    const config = validConfig(
      {
        registry: { server: "swr.example.com", username: "u" },
        images: { build: { enabled: true, repository: "swr.example.com/org/train", tag: "v1" } },
      },
      { registryPassword: "secret" },
    );
    const outputs = stackModule.deployStack(config, { registryPassword: secret("hunter2") });
    expect(await valueOf(outputs.trainingImage!)).toBe("swr.example.com/org/train:v1");
    await settled();
    const image = registered.find((r) => r.type === "docker:index/image:Image")!;
    expect(image.inputs.imageName).toBe("swr.example.com/org/train:v1");
    expect(image.inputs.build).toMatchObject({ platform: "linux/arm64", args: { BASE_IMAGE: config.images.base } });
    // The registry block holds the password: it reaches the engine as a secret.
    const pulumi = await import("@pulumi/pulumi");
    const { TrainingImage } = await import("../../components/images/TrainingImage");
    const { transformation, seen } = recorder();
    const b = config.images.build;
    new TrainingImage(
      "image-alone",
      {
        repository: b.repository!,
        tag: b.tag,
        context: b.context,
        dockerfile: b.dockerfile,
        platform: b.platform,
        args: b.args,
        baseImage: config.images.base,
        registry: { server: "swr.example.com", username: "u", password: secret("hunter2") },
      },
      { transformations: [transformation] },
    );
    const registry = pulumi.output(seen["image-alone-image"].props.registry);
    expect(await pulumi.isSecret(registry)).toBe(true);
    expect(await valueOf(registry)).toEqual({ server: "swr.example.com", username: "u", password: "hunter2" });
    expect(registered.some((r) => r.type === "ascend:images:TrainingImage")).toBe(true);
    const job = byType("kubernetes:batch.volcano.sh/v1alpha1:Job")[0];
    expect(job.inputs.spec.tasks[0].template.spec.containers[0].image).toBe("swr.example.com/org/train:v1");
    const ds = byType("kubernetes:apps/v1:DaemonSet")[0];
    expect(ds.inputs.spec.template.spec.initContainers.map((c: any) => c.image)).toEqual(["swr.example.com/org/train:v1"]);
  });
});

describe("render mode", () => {
  it("never puts the real registry password into rendered manifests", async () => {
    const { secret } = await import("@pulumi/pulumi");
    const config = validConfig(
      { cluster: { renderYamlToDirectory: "/tmp/out" }, registry: { server: "swr.example.com", username: "u" } },
      { registryPassword: "secret" },
    );
    stackModule.deployStack(config, { registryPassword: secret("hunter2") });
    await settled();
    const pullSecret = registered.find((r) => r.type === "kubernetes:core/v1:Secret")!;
    const text = JSON.stringify(pullSecret.inputs);
    expect(text).not.toContain("hunter2");
    expect(text).toContain(JSON.stringify(stackModule.RENDER_PLACEHOLDER).slice(1, -1));
    expect(registered.find((r) => r.type === "pulumi:providers:kubernetes")!.inputs.renderYamlToDirectory).toBe("/tmp/out");
  });
});

describe("SfsTurboVolume", () => {
  it("protects the PV and PVC by default", async () => {
    const volume = validConfig().storage.volumes[0];
    const { transformation, seen } = recorder();
    const v = new storage.SfsTurboVolume("sfs", { volume, namespace: "default" }, { transformations: [transformation] });
    expect(await valueOf(v.claimName)).toBe("sfs-turbo");
    expect(Object.keys(seen)).toEqual(["sfs", "sfs-pv", "sfs-pvc"]);
    for (const k of ["sfs-pv", "sfs-pvc"]) expect(seen[k].opts).toMatchObject({ protect: true, retainOnDelete: true });
  });

  it("lets allowDestroy lift the protection", () => {
    const volume = validConfig({
      storage: { volumes: [{ name: "sfs-turbo", type: "static", shareId: "s", exportLocation: "a:/", allowDestroy: true }] },
    }).storage.volumes[0];
    const { transformation, seen } = recorder();
    new storage.SfsTurboVolume("sfs2", { volume, namespace: "default" }, { transformations: [transformation] });
    for (const k of ["sfs2-pv", "sfs2-pvc"]) expect(seen[k].opts.protect).toBe(false);
  });

  it("creates nothing for an existing claim, and only a claim for a sub-path volume", async () => {
    const [existing, subpath] = validConfig({
      storage: {
        volumes: [
          { name: "sfs-turbo", type: "existing", claimName: "cce-sfs" },
          { name: "scratch", type: "subpath", storageClassName: "sfsturbo-subpath" },
        ],
      },
    }).storage.volumes;
    const re = recorder();
    const rs = recorder();
    const e = new storage.SfsTurboVolume("e", { volume: existing, namespace: "default" }, { transformations: [re.transformation] });
    new storage.SfsTurboVolume("s", { volume: subpath, namespace: "default" }, { transformations: [rs.transformation] });
    expect(Object.keys(re.seen)).toEqual(["e"]);
    expect(await valueOf(e.claimName)).toBe("cce-sfs");
    expect(Object.keys(rs.seen)).toEqual(["s", "s-pvc"]);
  });
});

describe("TrainingJob", () => {
  it("replaces the Volcano Job on spec changes (delete first) and ignores the plugin's ConfigMap rewrite", async () => {
    const seen: Record<string, pulumi.CustomResourceOptions> = {};
    const record: pulumi.ResourceTransformation = (args) => {
      seen[args.name] = args.opts;
      return undefined;
    };
    const c = validConfig();
    new training.TrainingJob(
      "vcjob",
      {
        job: c.training.jobs[0],
        namespace: "default",
        accelerator: c.accelerator,
        image: "img:1",
        imagePullPolicy: "IfNotPresent",
        claimName: "sfs-turbo",
      },
      { transformations: [record] },
    );
    expect(Object.keys(seen).sort()).toEqual(["vcjob", "vcjob-configmap", "vcjob-job"]);
    expect(seen["vcjob-job"]).toMatchObject({ replaceOnChanges: ["spec"], deleteBeforeReplace: true });
    expect(seen["vcjob-configmap"]).toMatchObject({ ignoreChanges: ["data"] });
    expect(await Promise.all((seen["vcjob-job"].dependsOn as pulumi.Resource[]).map(nameOf))).toEqual(["vcjob-configmap"]);
  });
});
