/**
 * Independent check of generated rank tables against the manual's constraints (docs/manual-facts.md#pd-constraints): it
 * parses the rendered files rather than trusting the generator, so validation and the property
 * tests catch a generator defect, not only a config mistake.
 */
import { globalFileName, hostLocalFileName, localFileName, rankTableFiles, type RankTopology } from "./ranktable";

interface Server {
  server_id: string;
  server_ip: string;
  device?: { device_id: string; device_ip: string; rank_id: string }[];
}
interface Group {
  group_id: string;
  server_count: string;
  server_list: Server[];
}

const allStrings = (v: unknown): boolean =>
  typeof v === "string" ||
  (Array.isArray(v) ? v.every(allStrings) : typeof v === "object" && v !== null && Object.values(v).every(allStrings));

/**
 * Problems of a topology's rank tables; empty when the manual's constraints hold. `ports`: the
 * NODE_PORTS value the scheduler is given (topology.ts nodePortsOf), checked against the tables.
 */
export function rankTableProblems(
  t: RankTopology,
  ports: string,
  files: Record<string, string> = rankTableFiles(t),
  schedulerPort?: number,
  /** Instance names in the global table's order (all prefill, then all decode), to name culprits. */
  names?: readonly string[],
): string[] {
  const problems: string[] = [];
  const globalText = files[globalFileName(t)];
  if (globalText === undefined) return [`the global table ${globalFileName(t)} is missing`];
  const global = JSON.parse(globalText) as { version: string; status: string; server_group_list: Group[] };
  if (global.version !== "1.0" || global.status !== "completed")
    problems.push('the global table must have version "1.0" and status "completed"');
  if (!allStrings(global.server_group_list)) problems.push("every rank-table value must be a string");
  const groups = global.server_group_list;
  if (groups.length !== 3 || groups.map((g) => g.group_id).join() !== "0,1,2")
    return [...problems, 'server_group_list must hold exactly three groups in order: "0" scheduler, "1" prefill, "2" decode'];
  for (const g of groups)
    if (g.server_count !== String(g.server_list.length))
      problems.push(`group ${g.group_id}: server_count ${g.server_count} does not match its ${g.server_list.length} server(s)`);
  if (groups[0].server_list.length !== 1) problems.push(`exactly one scheduler is allowed (group "0" has ${groups[0].server_list.length})`);

  const pd = [...groups[1].server_list, ...groups[2].server_list];
  const cards = new Set<string>();
  for (const s of pd) {
    (s.device ?? []).forEach((d, rank) => {
      if (d.rank_id !== String(rank))
        problems.push(`server ${s.server_ip}: rank_id ${d.rank_id} at position ${rank}; ranks run 0..tp-1 within an instance`);
      const key = `${s.server_ip}/${d.device_id}`;
      if (cards.has(key)) problems.push(`NPU ${key} is used by two instances`);
      cards.add(key);
    });
  }

  // One-to-one: every local table is exactly one global entry, and every entry has one.
  const locals = Object.entries(files).filter(([name]) => name.startsWith("local_ranktable_") && !name.endsWith("_host.json"));
  const entryKeys = pd.map((s) => JSON.stringify(s));
  const localKeys = locals.map(([, text]) => {
    const local = JSON.parse(text) as { group_id: string; server_count: string; server_list: Server[] };
    return local.group_id === "0" && local.server_count === "1" && local.server_list.length === 1
      ? JSON.stringify(local.server_list[0])
      : "";
  });
  const sorted = (a: string[]) => [...a].sort().join("\n");
  if (locals.length !== pd.length || sorted(localKeys) !== sorted(entryKeys)) {
    const head = `local tables (${locals.length}) do not correspond one-to-one with the global table's ${pd.length} prefill/decode entries`;
    problems.push(`${head}${fileCollisions(t, names)}`);
  }
  if (files[hostLocalFileName(t.schedulerIP)] === undefined)
    problems.push(`the scheduler's ${hostLocalFileName(t.schedulerIP)} is missing`);

  // NODE_PORTS must list the instances' ports in the global table's order.
  const all = [...t.prefill, ...t.decode];
  const portOf = (s: Server) =>
    all.find(
      (x) => x.hostIP === s.server_ip && x.devices.map((d) => String(d.id)).join() === (s.device ?? []).map((d) => d.device_id).join(),
    )?.port;
  const expected = pd.map(portOf).join(",");
  if (expected !== ports)
    problems.push(`NODE_PORTS "${ports}" is not in the global table's order (all prefill, then all decode): expected "${expected}"`);

  const perHost = new Map<string, number[]>();
  for (const x of all) perHost.set(x.hostIP, [...(perHost.get(x.hostIP) ?? []), x.port]);
  if (schedulerPort !== undefined) perHost.set(t.schedulerIP, [...(perHost.get(t.schedulerIP) ?? []), schedulerPort]);
  for (const [host, list] of perHost)
    if (new Set(list).size !== list.length) problems.push(`ports on host ${host} are not distinct: ${list.join(",")}`);
  return problems;
}

/** ": a and b both get <file>" for instances whose local tables share a file name, or a generic hint. */
function fileCollisions(t: RankTopology, names?: readonly string[]): string {
  const servers = [...t.prefill, ...t.decode];
  const byFile = new Map<string, string[]>();
  servers.forEach((s, k) => {
    const file = localFileName(s);
    const who = `${names?.[k] ?? `${k < t.prefill.length ? "prefill" : "decode"} instance ${k < t.prefill.length ? k : k - t.prefill.length}`} (devices ${s.devices.map((d) => d.id).join(",")} on ${s.hostIP})`;
    byFile.set(file, [...(byFile.get(file) ?? []), who]);
  });
  const clashes = [...byFile].filter(([, who]) => who.length > 1).map(([file, who]) => `${who.join(" and ")} both get ${file}`);
  return clashes.length
    ? `: ${clashes.join("; ")}; give them device lists whose joined ids differ`
    : " (a local table does not match its global entry)";
}
