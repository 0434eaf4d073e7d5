/**
 * Ports of the instances and schedulers (host network): explicit ones first, then schedulers
 * from 9000, then prefill k from 8088 + 2k and decode k from 8089 + 2k (the manual's 8088/8089
 * for 1p1d), each the lowest free one on its host. An instance's default port depends only on its
 * role and index, so adding an instance moves no other.
 */
import type { Path, Problem } from "../common/issues";
import { PD_DEFAULTS, type InferenceNodeConfig } from "./config";
import type { DraftDeployment } from "./topology";

/** Any host: device-plugin pods may land on any accelerator node, so their ports clash everywhere. */
const ANY_HOST = "*";

interface Taken {
  host: string;
  port: number;
  owner: string;
  /** The config key that set the port; undefined for an automatically chosen one. */
  path?: Path;
}

const clashes = (a: Taken, host: string, port: number) => a.port === port && (a.host === host || a.host === ANY_HOST || host === ANY_HOST);
const hostOf = (d: DraftDeployment, node?: InferenceNodeConfig) => (d.config.mode === "inventory" && node ? node.hostname : ANY_HOST);
const RULE = "instances sharing a host (host network) need distinct ports, also distinct from the scheduler's";

export function assignPorts(drafts: DraftDeployment[], problems: Problem[]): void {
  const taken: Taken[] = [];
  const reserve = (host: string, port: number, owner: string, path: Path) => {
    const other = taken.find((r) => clashes(r, host, port));
    if (other) {
      const where =
        host === ANY_HOST || other.host === ANY_HOST
          ? "a host both may run on (device-plugin pods can land on any accelerator node)"
          : `host "${host}"`;
      problems.push({ path, message: `port ${port} of ${owner} clashes with ${other.owner} on ${where}: ${RULE}` });
      // Both keys were set explicitly: show the clash at each, so the key just edited is among them.
      if (other.path)
        problems.push({ path: other.path, message: `port ${port} of ${other.owner} clashes with ${owner} on ${where}: ${RULE}` });
    }
    taken.push({ host, port, owner, path });
  };
  const firstFree = (host: string, from: number, step: number, owner: string) => {
    let port = from;
    while (taken.some((r) => clashes(r, host, port))) port += step;
    taken.push({ host, port, owner });
    return port;
  };
  for (const d of drafts) {
    if (d.scheduler.port)
      reserve(hostOf(d, d.scheduler.node), d.scheduler.port, d.scheduler.name, ["inference", "deployments", d.index, "scheduler", "port"]);
    for (const inst of d.instances)
      if (inst.port)
        reserve(hostOf(d, inst.node), inst.port, inst.name, [...inst.path, ...(Array.isArray(d.config[inst.role]) ? ["port"] : [])]);
  }
  for (const d of drafts)
    if (!d.scheduler.port) d.scheduler.port = firstFree(hostOf(d, d.scheduler.node), PD_DEFAULTS.schedulerPort, 1, d.scheduler.name);
  for (const d of drafts)
    for (const inst of d.instances) {
      if (inst.port) continue;
      const from = PD_DEFAULTS.firstInstancePort + (inst.role === "decode" ? 1 : 0) + 2 * inst.index;
      inst.port = firstFree(hostOf(d, inst.node), from, 2, inst.name);
    }
}
