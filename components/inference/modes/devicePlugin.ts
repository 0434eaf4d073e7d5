/**
 * Device-plugin mode: every instance requests its NPUs; the pods assemble the rank tables at start
 * through the rendezvous on the SFS Turbo work dir (rendezvous.py run), from the device plugin's
 * pod annotation; they stay off the stack's inventory nodes.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { acceleratorPlacement } from "../../common/placement";
import type { PdInputs } from "../builders";
import { MANIFEST_KEY, MINDCLUSTER_RENDEZVOUS_SCRIPT, PATHS, rendezvousDirOf } from "../names";
import type { ResolvedDeployment } from "../topology";
import type { ModeStrategy } from "./podParts";
import { fieldEnv } from "../../common/kube";
import { readsMindClusterAnnotation, resourcesOf, SCRIPT, useOpenAIEnv, workDirOf } from "./shared";

/** The front of rendezvous.py for MindCluster's annotation, shipped beside it on that profile (read once). */
const MINDCLUSTER_FRONT_SOURCE = fs.readFileSync(path.join(__dirname, "..", MINDCLUSTER_RENDEZVOUS_SCRIPT), "utf8");

/** The declared instance list the rendezvous assembles from. */
export function rendezvousManifest(dep: ResolvedDeployment) {
  return {
    deployment: dep.config.name,
    // Every instance's annotation must list exactly this many cards.
    tensor_parallel_size: dep.config.tensorParallelSize,
    scheduler: { name: dep.scheduler.name, port: dep.scheduler.port },
    instances: dep.instances.map((x) => ({ name: x.name, role: x.role, index: x.index, port: x.port })),
  };
}

/** The pod's annotations (downward API) and an emptyDir for the assembled tables. */
const RENDEZVOUS_VOLUMES = {
  volumes: [
    { name: "podinfo", downwardAPI: { items: [{ path: "annotations", fieldRef: { fieldPath: "metadata.annotations" } }] } },
    { name: "ranktable", emptyDir: {} },
  ],
  volumeMounts: [
    { name: "podinfo", mountPath: PATHS.podInfo, readOnly: true },
    { name: "ranktable", mountPath: PATHS.tables },
  ],
};

function rendezvousCommand(i: PdInputs, name: string, server: string[]): string[] {
  const d = i.deployment.config;
  return [
    ...[
      "python3",
      readsMindClusterAnnotation(i) ? `${PATHS.config}/${MINDCLUSTER_RENDEZVOUS_SCRIPT}` : SCRIPT,
      "run",
      "--manifest",
      `${PATHS.config}/${MANIFEST_KEY}`,
      "--instance",
      name,
    ],
    ...["--dir", rendezvousDirOf(workDirOf(d), i.namespace, i.stackId, d.name), "--out", PATHS.tables],
    ...["--annotations", `${PATHS.podInfo}/annotations`, "--annotation-key", i.accelerator.deviceAnnotation],
    "--",
    ...server,
  ];
}

const identityEnv = () => [fieldEnv("POD_UID", "metadata.uid"), fieldEnv("HOST_IP", "status.hostIP")];

const placementOf = (i: PdInputs) => acceleratorPlacement(i.accelerator, i.deployment.config.placement, i.inventoryHosts);

export const devicePluginMode: ModeStrategy = {
  configMapData: (i) => ({
    [MANIFEST_KEY]: JSON.stringify(rendezvousManifest(i.deployment), null, 2) + "\n",
    ...(readsMindClusterAnnotation(i) ? { [MINDCLUSTER_RENDEZVOUS_SCRIPT]: MINDCLUSTER_FRONT_SOURCE } : {}),
  }),

  instance(i, x, server) {
    const d = i.deployment.config;
    return {
      placement: placementOf(i),
      command: rendezvousCommand(i, x.name, server),
      env: [...identityEnv(), useOpenAIEnv(d)],
      resources: resourcesOf(d.resources, { name: i.accelerator.resourceName, count: d.tensorParallelSize }),
      ...RENDEZVOUS_VOLUMES,
    };
  },

  scheduler(i, server) {
    return {
      placement: placementOf(i),
      // The rendezvous registers this host, assembles the tables, waits for every instance's
      // port, then starts the server; NODE_PORTS and no_proxy (with the P/D IPs) are set by it too.
      command: rendezvousCommand(i, i.deployment.scheduler.name, server),
      env: identityEnv(),
      ...RENDEZVOUS_VOLUMES,
    };
  },
};
