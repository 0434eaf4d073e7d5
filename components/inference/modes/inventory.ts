/**
 * Inventory mode: the rank tables are computed at deploy time into the ConfigMap; each instance is
 * pinned to its node and opens its own cards by path, guarded by the NPU ledger and per-card
 * locks (docs/npu-exclusivity.md); the scheduler waits for every instance's port after restarts.
 */
import type { ResolvedInstance } from "../topology";
import type { PdInputs } from "../builders";
import { globalFileName, hostLocalFileName, localFileName, rankTableFiles, type RankServer, type RankTopology } from "../ranktable";
import { PATHS } from "../names";
import { LEDGER_KEY, ledgerConfigMapNameOf, NPU_PATHS } from "../reservation";
import type { ModeStrategy } from "./podParts";
import { resourcesOf, SCRIPT, tolerationsOf, useOpenAIEnv } from "./shared";

function topologyOf(i: PdInputs): RankTopology {
  const t = i.deployment.rankTopology;
  if (!t) throw new Error(`inventory deployment ${i.deployment.config.name} has unplaced instances (validation reports this first)`);
  return t;
}

/** The rank-table server of an inventory instance. */
function rankServer(x: ResolvedInstance): RankServer {
  return { hostIP: x.node!.hostIP, port: x.port, devices: x.devices!.map((id) => ({ id, ip: x.node!.deviceIPs[String(id)] })) };
}

/** Device nodes: the manual's `--device` list. */
function deviceVolumes(devices: number[]) {
  const devs = [
    ...devices.map((d) => ({ name: `davinci${d}`, path: `/dev/davinci${d}` })),
    { name: "davinci-manager", path: "/dev/davinci_manager" },
    { name: "devmm-svm", path: "/dev/devmm_svm" },
    { name: "hisi-hdc", path: "/dev/hisi_hdc" },
  ];
  return {
    volumes: devs.map((d) => ({ name: d.name, hostPath: { path: d.path, type: "CharDevice" } })),
    volumeMounts: devs.map((d) => ({ name: d.name, mountPath: d.path })),
  };
}

/** The instance's exclusivity arguments of rendezvous.py run-static: its node, name and cards. */
function exclusivityArgs(x: ResolvedInstance): string[] {
  return [
    "--npu-node",
    x.node!.hostname,
    "--npu-owner",
    x.name,
    "--npus",
    x.devices!.join(","),
    "--ledger",
    `${NPU_PATHS.ledgerDir}/${LEDGER_KEY}`,
    "--lock-dir",
    NPU_PATHS.lockDir,
  ];
}

function exclusivityVolumes(i: PdInputs) {
  return {
    volumes: [
      { name: "npu-ledger", configMap: { name: ledgerConfigMapNameOf(i.stackId) } },
      { name: "npu-locks", hostPath: { path: NPU_PATHS.lockDir, type: "DirectoryOrCreate" } },
    ],
    volumeMounts: [
      { name: "npu-ledger", mountPath: NPU_PATHS.ledgerDir, readOnly: true },
      { name: "npu-locks", mountPath: NPU_PATHS.lockDir },
    ],
  };
}

export const inventoryMode: ModeStrategy = {
  configMapData: (i) => rankTableFiles(topologyOf(i)),

  instance(i, x, server) {
    const globalPath = `${PATHS.config}/${globalFileName(topologyOf(i))}`;
    const localPath = `${PATHS.config}/${localFileName(rankServer(x))}`;
    const devices = deviceVolumes(x.devices!);
    const exclusive = exclusivityVolumes(i);
    return {
      placement: { nodeSelector: { ...i.accelerator.nodeSelector, "kubernetes.io/hostname": x.node!.hostname }, ...tolerationsOf(i, true) },
      command: ["python3", SCRIPT, "run-static", "--watch", globalPath, "--watch", localPath, ...exclusivityArgs(x), "--", ...server],
      env: [
        { name: "GLOBAL_RANK_TABLE_FILE_PATH", value: globalPath },
        { name: "RANK_TABLE_FILE_PATH", value: localPath },
        useOpenAIEnv(i.deployment.config),
        // The process uses exactly its cards (privileged makes every card visible).
        { name: "ASCEND_RT_VISIBLE_DEVICES", value: x.devices!.join(",") },
      ],
      // No NPU request: the node's reservation pod holds every unit, so the device plugin gives
      // no card of this node to anyone; the cards are this instance's by the ledger.
      resources: resourcesOf(i.deployment.config.resources),
      // The device plugin would mount the cards it picks, not these: opening explicit
      // /dev/davinciN needs the device cgroup that only privileged grants.
      securityContext: { privileged: true },
      volumes: [...devices.volumes, ...exclusive.volumes],
      volumeMounts: [...devices.volumeMounts, ...exclusive.volumeMounts],
    };
  },

  scheduler(i, server) {
    const dep = i.deployment;
    const t = topologyOf(i);
    const globalPath = `${PATHS.config}/${globalFileName(t)}`;
    return {
      placement: { nodeSelector: { "kubernetes.io/hostname": dep.scheduler.node!.hostname }, ...tolerationsOf(i, true) },
      command: ["python3", SCRIPT, "run-static", "--watch", globalPath, "--", ...server],
      env: [
        { name: "GLOBAL_RANK_TABLE_FILE_PATH", value: globalPath },
        { name: "RANK_TABLE_FILE_PATH", value: `${PATHS.config}/${hostLocalFileName(t.schedulerIP)}` },
      ],
      volumes: [],
      volumeMounts: [],
      // After a restart (no Pulumi ordering then), wait until every P/D instance answers.
      initContainers: [
        {
          name: "wait-instances",
          image: i.image,
          imagePullPolicy: i.imagePullPolicy,
          command: ["python3", SCRIPT, "wait-ports", ...dep.instances.map((x) => `${x.node!.hostIP}:${x.port}`)],
          resources: resourcesOf(dep.config.scheduler.resources),
          volumeMounts: [{ name: "pd-config", mountPath: PATHS.config, readOnly: true }],
        },
      ],
    };
  },
};
