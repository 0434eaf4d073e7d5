// Stand-in for an NFS dynamic provisioner on the local cluster: every pending claim of a
// StorageClass whose provisioner is ascend.local/nfs (scripts/cluster/mindcluster.yaml) gets a PV
// of its own, bound to it, with the class's reclaim policy, as an external provisioner would.
// The PV names an NFS export on loopback: only kwok nodes use these claims, nothing mounts them.
//
// Usage: node nfs-provisioner.mjs <cluster state dir> <apiserver url>
import { everySecond, kubeClient, log } from "./kube-client.mjs";

export const PROVISIONER = "ascend.local/nfs";
const [dir, server] = process.argv.slice(2);
if (!dir || !server) {
  console.error("usage: nfs-provisioner.mjs <cluster dir> <apiserver url>");
  process.exit(2);
}
const { call, list } = kubeClient(dir, server);

async function reconcile() {
  const classes = new Map(
    (await list("/apis/storage.k8s.io/v1/storageclasses")).filter((c) => c.provisioner === PROVISIONER).map((c) => [c.metadata.name, c]),
  );
  if (classes.size === 0) return;
  for (const pvc of await list("/api/v1/persistentvolumeclaims")) {
    const sc = classes.get(pvc.spec.storageClassName);
    if (!sc || pvc.spec.volumeName || pvc.status?.phase !== "Pending" || pvc.metadata.deletionTimestamp) continue;
    const name = `pvc-${pvc.metadata.uid}`;
    const pv = {
      apiVersion: "v1",
      kind: "PersistentVolume",
      metadata: { name, annotations: { "pv.kubernetes.io/provisioned-by": PROVISIONER } },
      spec: {
        accessModes: pvc.spec.accessModes,
        capacity: { storage: pvc.spec.resources.requests.storage },
        nfs: { server: "127.0.0.1", path: `/exports/${pvc.metadata.namespace}-${pvc.metadata.name}` },
        persistentVolumeReclaimPolicy: sc.reclaimPolicy ?? "Delete",
        storageClassName: sc.metadata.name,
        claimRef: {
          apiVersion: "v1",
          kind: "PersistentVolumeClaim",
          namespace: pvc.metadata.namespace,
          name: pvc.metadata.name,
          uid: pvc.metadata.uid,
        },
      },
    };
    const res = await call("POST", "/api/v1/persistentvolumes", pv);
    if (res.status === 201) log(`provisioned ${name} for ${pvc.metadata.namespace}/${pvc.metadata.name}`);
    else if (res.status !== 409) throw new Error(`POST PV ${name}: HTTP ${res.status} ${res.body?.message ?? ""}`);
  }
}

await everySecond(`provisioning claims of ${PROVISIONER} classes (every second)`, reconcile);
