import { describe, expect, it } from "vitest";
import { buildPrePullDaemonSet, dockerConfigJson } from "../../components/images/builders";
import { buildPersistentVolumeClaim, buildStaticPersistentVolume } from "../../components/storage/builders";
import { validConfig } from "./helpers";

describe("SFS Turbo static volume", () => {
  const volume = validConfig().storage.volumes[0] as any;
  const pv: any = buildStaticPersistentVolume(volume);
  const pvc: any = buildPersistentVolumeClaim(volume, "ml");

  it("binds the share through Everest's CSI driver, ReadWriteMany, reclaim Retain", () => {
    expect(pv.spec.csi).toEqual({
      driver: "sfsturbo.csi.everest.io",
      fsType: "nfs",
      volumeHandle: "share-1",
      volumeAttributes: {
        "everest.io/share-export-location": "192.168.0.169:/",
        "storage.kubernetes.io/csiProvisionerIdentity": "everest-csi-provisioner",
      },
    });
    expect(pv.spec).toMatchObject({
      accessModes: ["ReadWriteMany"],
      persistentVolumeReclaimPolicy: "Retain",
      storageClassName: "csi-sfsturbo",
      capacity: { storage: "500Gi" },
    });
    expect(pv.spec.mountOptions).toEqual(["vers=3", "nolock", "timeo=600", "hard"]);
  });

  it("claims exactly that PV", () => {
    expect(pvc.metadata).toMatchObject({ name: "sfs-turbo", namespace: "ml" });
    expect(pvc.spec).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "500Gi" } },
      storageClassName: "csi-sfsturbo",
      volumeName: "sfs-turbo",
    });
  });

  it("labels both with the recommended labels", () => {
    for (const o of [pv, pvc])
      expect(o.metadata.labels).toMatchObject({ "app.kubernetes.io/part-of": "ascend-stack", "app.kubernetes.io/instance": "sfs-turbo" });
  });
});

describe("SFS Turbo sub-path volume", () => {
  it("asks the sub-path StorageClass and does not block up on binding", () => {
    const v = validConfig({
      storage: { volumes: [{ name: "scratch", type: "subpath", storageClassName: "sfsturbo-subpath", claimName: "scratch-claim" }] },
      training: { jobs: [] },
    }).storage.volumes[0] as any;
    const pvc: any = buildPersistentVolumeClaim(v, "default");
    expect(pvc.metadata.name).toBe("scratch-claim");
    expect(pvc.metadata.annotations["pulumi.com/skipAwait"]).toBe("true");
    expect(pvc.spec).toEqual({
      accessModes: ["ReadWriteMany"],
      resources: { requests: { storage: "100Gi" } },
      storageClassName: "sfsturbo-subpath",
    });
  });
});

describe("image pre-pull DaemonSet", () => {
  const ds: any = buildPrePullDaemonSet({
    name: "prepull",
    namespace: "default",
    images: ["a/b:1", "c/d:2"],
    nodeSelector: { "accelerator/huawei-npu": "ascend-1980" },
    imagePullPolicy: "IfNotPresent",
    imagePullSecrets: ["swr"],
  });
  const pod = ds.spec.template.spec;

  it("pulls every image on every accelerator node, one init container each", () => {
    expect(pod.nodeSelector).toEqual({ "accelerator/huawei-npu": "ascend-1980" });
    expect(pod.initContainers.map((c: any) => [c.name, c.image, c.command.join(" ")])).toEqual([
      ["pull-0", "a/b:1", "/bin/sh -c true"],
      ["pull-1", "c/d:2", "/bin/sh -c true"],
    ]);
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
    expect(pod.imagePullSecrets).toEqual([{ name: "swr" }]);
  });

  it("selects its pods by derived labels", () => {
    expect(ds.spec.selector.matchLabels).toEqual({ "app.kubernetes.io/name": "image-prepull", "app.kubernetes.io/instance": "prepull" });
    expect(ds.spec.template.metadata.labels).toMatchObject(ds.spec.selector.matchLabels);
  });

  it("refuses an empty image list", () => {
    expect(() => buildPrePullDaemonSet({ name: "p", namespace: "d", images: [], nodeSelector: {}, imagePullPolicy: "Always" })).toThrow(
      /no images/,
    );
  });
});

describe("registry credentials", () => {
  it("builds a docker config with the base64 auth", () => {
    const cfg = JSON.parse(dockerConfigJson("swr.example", "u", "p"));
    expect(cfg.auths["swr.example"]).toEqual({ username: "u", password: "p", auth: Buffer.from("u:p").toString("base64") });
  });
});
