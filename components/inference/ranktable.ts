/**
 * The manual's P/D rank tables (docs/manual-facts.md#rank-tables, pd_ranktable_tools.py): global table, per-instance local
 * tables, the scheduler's `_host` table, their file names, the multi-host merge and NODE_PORTS.
 * Pure; rendezvous.py implements the same assembly and a test keeps the two byte-identical.
 */

export interface RankDevice {
  /** Physical card id (device_id). */
  id: number | string;
  /** The card's RoCE IP (device_ip), from hccn_tool or the device plugin. */
  ip: string;
}

/** One prefill or decode instance as the rank table sees it. */
export interface RankServer {
  /** Host IP: server_id and server_ip. */
  hostIP: string;
  /** Cards in rank order: rank_id = position. */
  devices: RankDevice[];
  /** The instance's `--port` (NODE_PORTS). */
  port: number;
}

/** Instances in declared order; the global table and NODE_PORTS follow it. */
export interface RankTopology {
  schedulerIP: string;
  prefill: RankServer[];
  decode: RankServer[];
}

const VERSION = { version: "1.0", status: "completed" } as const;

function serverEntry(s: RankServer) {
  return {
    server_id: s.hostIP,
    server_ip: s.hostIP,
    device: s.devices.map((d, rank) => ({ device_id: String(d.id), device_ip: d.ip, rank_id: String(rank) })),
  };
}

function group(id: string, servers: object[]) {
  return { group_id: id, server_count: String(servers.length), server_list: servers };
}

/** The global table: groups "0" scheduler, "1" prefill, "2" decode, always in that order. */
export function globalRankTable(t: RankTopology) {
  return {
    ...VERSION,
    server_group_list: [
      group("0", [{ server_id: t.schedulerIP, server_ip: t.schedulerIP }]),
      group("1", t.prefill.map(serverEntry)),
      group("2", t.decode.map(serverEntry)),
    ],
  };
}

/** A P/D instance's local table: its global entry, wrapped as group "0". */
export function localRankTable(s: RankServer) {
  return { ...VERSION, group_id: "0", server_count: "1", server_list: [serverEntry(s)] };
}

/** The scheduler's `_host` local table (what `--api-server` generates). */
export function hostRankTable(schedulerIP: string) {
  return { ...VERSION, group_id: "0", server_count: "1", server_list: [{ server_id: schedulerIP, server_ip: schedulerIP }] };
}

/** Distinct host IPs of a topology (scheduler first, then instances in order). */
export function hostsOf(t: RankTopology): string[] {
  return [...new Set([t.schedulerIP, ...t.prefill.map((s) => s.hostIP), ...t.decode.map((s) => s.hostIP)])];
}

export const MERGED_GLOBAL_FILE = "global_ranktable_merge.json";
/** The gen step's per-host global file. */
export const hostGlobalFileName = (ip: string) => `global_ranktable_${ip}.json`;
/** The file every instance reads: the host's table on one host, the merged table on several. */
export const globalFileName = (t: RankTopology) => (hostsOf(t).length > 1 ? MERGED_GLOBAL_FILE : hostGlobalFileName(t.schedulerIP));
/** local_ranktable_<ip>_<deviceids>.json, e.g. local_ranktable_10.0.0.18_45.json. */
export const localFileName = (s: RankServer) => `local_ranktable_${s.hostIP}_${s.devices.map((d) => String(d.id)).join("")}.json`;
export const hostLocalFileName = (ip: string) => `local_ranktable_${ip}_host.json`;

/** What `--mode gen` writes on host `ip`: that host's instances; group "0" empty unless it carries `--api-server`. */
export function hostGlobalRankTable(t: RankTopology, ip: string) {
  const on = (s: RankServer) => s.hostIP === ip;
  return {
    ...VERSION,
    server_group_list: [
      group("0", t.schedulerIP === ip ? [{ server_id: ip, server_ip: ip }] : []),
      group("1", t.prefill.filter(on).map(serverEntry)),
      group("2", t.decode.filter(on).map(serverEntry)),
    ],
  };
}

type GlobalTable = ReturnType<typeof globalRankTable>;

/** `--mode merge`: concatenates each group's servers in list order. */
export function mergeGlobalTables(tables: GlobalTable[]): GlobalTable {
  const servers = (i: number) => tables.flatMap((t) => t.server_group_list[i].server_list);
  return { ...VERSION, server_group_list: [group("0", servers(0)), group("1", servers(1)), group("2", servers(2))] } as GlobalTable;
}

/** JSON as written to the files (4-space indent like Python's json.dump(indent=4), final newline). */
export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 4) + "\n";
}

/** Every file of a deployment: the global table, one local table per instance, the `_host` table. */
export function rankTableFiles(t: RankTopology): Record<string, string> {
  const files: Record<string, string> = { [globalFileName(t)]: renderJson(globalRankTable(t)) };
  for (const s of [...t.prefill, ...t.decode]) files[localFileName(s)] = renderJson(localRankTable(s));
  files[hostLocalFileName(t.schedulerIP)] = renderJson(hostRankTable(t.schedulerIP));
  return files;
}
