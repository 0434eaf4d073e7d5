// Prints (JSON, for `kubectl apply -f -`) the local cluster's fake MindCluster nodes: kwok nodes
// shaped like Atlas 800T A2 (910B, 8 chips) servers in a cluster running MindCluster, with the
// labels its Volcano plugin and device plugin use, the node annotation baseDeviceInfos (each
// chip's RoCE address) and the per-node ConfigMap kube-system/mindx-dl-deviceinfo-<node>
// (docs/cluster-profiles.md). The chips' addresses are the device-plugin stand-in's (same function).
//
// Usage: node mindcluster-nodes.mjs <count> <kubelet version>
import { createHash } from "node:crypto";
import { DEVICES_PER_NODE, MINDCLUSTER_RESOURCE, deviceIp, nodeIndexOf } from "./device-allocator.mjs";

function objectsOf(i, version) {
  const name = `mindcluster-node-${i}`;
  const chips = [...Array(DEVICES_PER_NODE).keys()].map((id) => ({ id, name: `Ascend910-${id}`, ip: deviceIp(nodeIndexOf(name), id) }));
  const deviceInfo = {
    DeviceList: {
      [MINDCLUSTER_RESOURCE]: chips.map((c) => c.name).join(","),
      [`${MINDCLUSTER_RESOURCE}-Fault`]: "[]",
      [`${MINDCLUSTER_RESOURCE}-NetworkUnhealthy`]: "",
      [`${MINDCLUSTER_RESOURCE}-Unhealthy`]: "",
    },
    UpdateTime: 0,
  };
  const node = {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      annotations: {
        "kwok.x-k8s.io/node": "fake",
        baseDeviceInfos: JSON.stringify(Object.fromEntries(chips.map((c) => [c.name, { IP: c.ip, SuperDeviceID: 0 }]))),
      },
      labels: {
        accelerator: "huawei-Ascend910",
        "accelerator-type": "module-910b-8",
        "host-arch": "huawei-arm",
        "node-role.kubernetes.io/worker": "worker",
        workerselector: "dls-worker-node",
        "kubernetes.io/hostname": name,
        "kubernetes.io/arch": "arm64",
        "kubernetes.io/os": "linux",
      },
    },
    spec: {},
    status: {
      // Loopback addresses: nothing can ever try to reach a real host.
      addresses: [
        { type: "InternalIP", address: `127.0.11.${i + 1}` },
        { type: "Hostname", address: name },
      ],
      capacity: {
        cpu: "192",
        memory: "1500Gi",
        pods: "110",
        "ephemeral-storage": "3500Gi",
        [MINDCLUSTER_RESOURCE]: String(DEVICES_PER_NODE),
      },
      allocatable: {
        cpu: "190",
        memory: "1400Gi",
        pods: "110",
        "ephemeral-storage": "3200Gi",
        [MINDCLUSTER_RESOURCE]: String(DEVICES_PER_NODE),
      },
      nodeInfo: {
        machineID: "",
        systemUUID: "",
        bootID: "",
        architecture: "arm64",
        operatingSystem: "linux",
        osImage: "openEuler 22.03 (LTS-SP4)",
        kernelVersion: "5.10.0-216.0.0.115.oe2203sp4.aarch64",
        containerRuntimeVersion: "containerd://1.7.2",
        kubeletVersion: version,
        kubeProxyVersion: version,
      },
    },
  };
  const configMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: `mindx-dl-deviceinfo-${name}`, namespace: "kube-system" },
    data: {
      DeviceInfoCfg: JSON.stringify({
        DeviceInfo: deviceInfo,
        CheckCode: createHash("sha256").update(JSON.stringify(deviceInfo)).digest("hex"),
      }),
    },
  };
  return [node, configMap];
}

const [count, version] = process.argv.slice(2);
if (!/^\d+$/.test(count ?? "") || !version) {
  console.error("usage: mindcluster-nodes.mjs <count> <kubelet version>");
  process.exit(2);
}
const items = [...Array(Number(count)).keys()].flatMap((i) => objectsOf(i, version));
console.log(JSON.stringify({ apiVersion: "v1", kind: "List", items }));
