/**
 * NODE_PORTS of the P/D scheduler (docs/manual-facts.md#pd-env, #pd-constraints; manual M13,
 * M14): the instances' `--port` values, in the global rank table's order (every prefill instance,
 * then every decode instance); any other order fails start-up. Stack-wide: the table is in a
 * ConfigMap, the ports in the instances' Deployments.
 *
 * Checked where the stack says everything literally: the scheduler's NODE_PORTS and
 * GLOBAL_RANK_TABLE_FILE_PATH, the table in a ConfigMap of the stack mounted at that path, and
 * each instance's RANK_TABLE_FILE_PATH (its local table, or just its file name
 * local_ranktable_<ip>_<ids>.json) and start_servers.sh `--port`. Tables assembled at start
 * (e.g. device-plugin mode) are not visible to a preview and are not judged.
 */
import { containersOf, envOf, kindOf, mountsOf, namespaceOf, podTemplatesOf, type Json, type KubeResource, type Violation } from "../k8s";
import { portOf } from "./startServers";

interface Entry {
  ip: string;
  /** Device ids concatenated, as the local table's file name writes them. */
  ids: string;
}

/** The text of the file at `path` inside a container, when a mounted ConfigMap of the stack holds it. */
export function fileFromConfigMap(
  resources: readonly KubeResource[],
  owner: KubeResource,
  spec: Json,
  container: Json,
  path: string,
): string | undefined {
  for (const m of mountsOf(spec, container)) {
    const cm = m.volume?.configMap;
    if (!cm?.name) continue;
    let key: string | undefined;
    if (m.subPath) key = path === m.mountPath ? m.subPath : undefined;
    else if (path.startsWith(`${m.mountPath}/`)) key = path.slice(m.mountPath.length + 1);
    if (!key) continue;
    const item = Array.isArray(cm.items) ? cm.items.find((x: Json) => x?.path === key) : undefined;
    if (Array.isArray(cm.items) && cm.items.length && !item) continue;
    const dataKey = item ? item.key : key;
    const found = resources.find(
      (r) => kindOf(r).kind === "ConfigMap" && r.props?.metadata?.name === cm.name && namespaceOf(r) === namespaceOf(owner),
    );
    const text = found?.props?.data?.[dataKey];
    if (typeof text === "string") return text;
  }
  return undefined;
}

const parse = (text: string | undefined): Json => {
  try {
    return text === undefined ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
};

const entryOf = (s: Json): Entry => ({
  ip: String(s?.server_ip ?? ""),
  ids: (Array.isArray(s?.device) ? s.device : []).map((d: Json) => String(d?.device_id)).join(""),
});

/** An instance's global-table entry: from its local table, else from the local table's file name. */
function instanceEntry(localText: string | undefined, localPath: string): Entry | undefined {
  const local = parse(localText);
  if (Array.isArray(local?.server_list) && local.server_list.length === 1) return entryOf(local.server_list[0]);
  const hit = /local_rank_?table_(.+)_(\d+)\.json$/.exec(localPath);
  return hit ? { ip: hit[1], ids: hit[2] } : undefined;
}

export function nodePortsViolations(resources: readonly KubeResource[]): Violation[] {
  const containers = resources.flatMap((r) =>
    podTemplatesOf(r).flatMap((t) =>
      containersOf(t.spec).map((c) => ({ r, t, c, global: envOf(c.container, "GLOBAL_RANK_TABLE_FILE_PATH") })),
    ),
  );
  const out: Violation[] = [];
  for (const s of containers) {
    const nodePorts = envOf(s.c.container, "NODE_PORTS");
    if (nodePorts === undefined || s.global === undefined) continue;
    const globalText = fileFromConfigMap(resources, s.r, s.t.spec, s.c.container, s.global);
    const groups = parse(globalText)?.server_group_list;
    if (!Array.isArray(groups)) continue;
    const order: Entry[] = ["1", "2"].flatMap((id) => groups.find((g: Json) => g?.group_id === id)?.server_list ?? []).map(entryOf);
    // The instances reading the same global table (same namespace, same file content).
    const ports = new Map<string, number>();
    for (const x of containers) {
      const local = envOf(x.c.container, "RANK_TABLE_FILE_PATH");
      const port = portOf(x.c.container);
      if (x === s || x.global !== s.global || !local || local.endsWith("_host.json") || port === undefined) continue;
      if (namespaceOf(x.r) !== namespaceOf(s.r) || fileFromConfigMap(resources, x.r, x.t.spec, x.c.container, x.global!) !== globalText)
        continue;
      const e = instanceEntry(fileFromConfigMap(resources, x.r, x.t.spec, x.c.container, local), local);
      if (e) ports.set(`${e.ip}/${e.ids}`, port);
    }
    const expected = order.map((e) => ports.get(`${e.ip}/${e.ids}`));
    const actual = nodePorts.split(",").map((p) => p.trim());
    const wrong = actual.length !== expected.length || expected.some((p, k) => p !== undefined && String(p) !== actual[k]);
    if (!wrong) continue;
    out.push({
      urn: s.r.urn,
      message:
        `${s.t.where} container "${s.c.name}" has NODE_PORTS "${nodePorts}", but the global rank table ${s.global} lists ${order.length} ` +
        `instance(s) (prefill, then decode) whose ports are "${expected.map((p) => p ?? "?").join(",")}"; the manual requires NODE_PORTS ` +
        `in the global table's order, otherwise start-up fails`,
    });
  }
  return out;
}
