/**
 * A discrete-event model of who uses which NPU card while Pulumi moves a stack from one config to
 * another (components/inference/npuOwnership.ts). Only what decides card ownership is modelled:
 *   - the scheduler (nodeSelector, required hostname NotIn, free NPU units) and the kubelet's
 *     device manager, which hands unit-requesting pods concrete card ids (lowest free first: the
 *     local device-plugin stand-in's allocator) and takes them back when the pod is gone;
 *   - inventory containers running rendezvous.py run-static: wait until their own (possibly
 *     stale) view of the ledger names them owner of all their cards, take the node's per-card
 *     locks in ascending order, run; stop (and restart, waiting again) when the view no longer
 *     gives them every card;
 *   - Deployments (Recreate), Volcano Jobs, and the Pulumi engine's ordering (npuPlan.ts/run()).
 * Every event that could happen is enabled at once and one is picked by a seeded PRNG, so a seed
 * is one interleaving; the invariant is checked after every event.
 */
import { allocate, requestedDevices } from "../../scripts/cluster/device-allocator.mjs";
import type { NpuLedger } from "../../components/inference/npuOwnership";

export interface PodSpec {
  /** holder: takes units, opens none (the reservation); unit: opens the cards it is given; inventory: opens `inv.cards` by path. */
  role: "holder" | "unit" | "inventory";
  /** The pod template's spec, as the builders made it. */
  template: Record<string, any>;
  inv?: { node: string; owner: string; cards: number[] };
}
export interface ClusterNode {
  hostname: string;
  labels: Record<string, string>;
}
export interface Pod {
  id: number;
  owner: string;
  gen: number;
  spec: PodSpec;
  phase: "pending" | "running" | "terminating" | "gone";
  node?: string;
  allocated: number[];
  /** Index of the ledger version this pod's mounted ConfigMap shows (kubelet propagates late). */
  view: number;
  /** Inventory container: waiting for the ledger, taking locks, or serving on its cards. */
  state: "ledger" | "locking" | "running";
  locks: number[];
}
export interface ModelOptions {
  /** Per-card locks of run-static (off: a negative control). */
  locks: boolean;
  /** A running container stops when its view no longer gives it its cards (off: a negative control). */
  stopOnLoss: boolean;
}
export interface Event {
  name: string;
  run: () => void;
}

const CARDS = 8;
const HOSTNAME = "kubernetes.io/hostname";

/** mulberry32: a small deterministic PRNG, one stream per seed. */
export function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const notInOf = (t: Record<string, any>): string[] =>
  (t.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms?.[0]?.matchExpressions ?? [])
    .filter((e: any) => e.key === HOSTNAME && e.operator === "NotIn")
    .flatMap((e: any) => e.values);

export class Cluster {
  pods: Pod[] = [];
  /** Ledger versions in the order Pulumi wrote them; undefined: no ledger ConfigMap. */
  ledgers: (NpuLedger | undefined)[] = [undefined];
  /** node/card -> id of the pod holding its lock (the kernel drops it when the container dies). */
  locks = new Map<string, number>();
  trace: string[] = [];
  private nextId = 1;

  constructor(
    readonly nodes: ClusterNode[],
    readonly opts: ModelOptions,
    readonly rand: (n: number) => number,
  ) {}

  alive = (p: Pod) => p.phase !== "gone";
  podsOf = (owner: string) => this.pods.filter((p) => p.owner === owner && this.alive(p));

  /** A new pod mounts the ledger as the kubelet's cache has it: any version written so far. */
  createPod(owner: string, gen: number, spec: PodSpec): Pod {
    const pod: Pod = {
      id: this.nextId++,
      owner,
      gen,
      spec,
      phase: "pending",
      allocated: [],
      view: this.rand(this.ledgers.length),
      state: "ledger",
      locks: [],
    };
    this.pods.push(pod);
    return pod;
  }

  /** Deleting a pod: the kubelet stops it after a while (a later event); a pending pod just goes. */
  deletePod(p: Pod): void {
    if (p.phase === "pending") p.phase = "gone";
    else if (p.phase === "running") p.phase = "terminating";
  }

  private usedUnits(node: string): number[] {
    return this.pods.filter((p) => this.alive(p) && p.node === node).flatMap((p) => p.allocated);
  }

  private fits(p: Pod, n: ClusterNode): boolean {
    const t = p.spec.template;
    if (Object.entries(t.nodeSelector ?? {}).some(([k, v]) => n.labels[k] !== v)) return false;
    if (notInOf(t).includes(n.hostname)) return false;
    return CARDS - this.usedUnits(n.hostname).length >= requestedDevices({ spec: t });
  }

  /** Does this pod's view of the ledger give it every card it opens? */
  owns(p: Pod): boolean {
    const { node, owner, cards } = p.spec.inv!;
    const owners = this.ledgers[p.view]?.[node] ?? {};
    return cards.every((c) => owners[String(c)] === owner);
  }

  private release(p: Pod): void {
    for (const c of p.locks) this.locks.delete(`${p.node}/${c}`);
    p.locks = [];
  }

  /** One step of an inventory container (rendezvous.py cmd_run_static), when it can take one. */
  private containerStep(p: Pod): (() => void) | undefined {
    const owns = this.owns(p);
    if (p.state === "ledger") return owns ? () => (p.state = this.opts.locks ? "locking" : "running") : undefined;
    if (p.state === "running") return owns || !this.opts.stopOnLoss ? undefined : () => (this.release(p), (p.state = "ledger")); // exit 75, restarted
    const card = [...p.spec.inv!.cards].sort((a, b) => a - b).find((c) => !p.locks.includes(c))!;
    const key = `${p.node}/${card}`;
    if (!this.locks.has(key))
      return () => {
        this.locks.set(key, p.id);
        p.locks.push(card);
        if (p.locks.length === p.spec.inv!.cards.length) p.state = "running";
      };
    return owns ? undefined : () => (this.release(p), (p.state = "ledger")); // acquire_npu_locks gives up
  }

  /** Every cluster-side event that could happen next. */
  events(): Event[] {
    const out: Event[] = [];
    for (const p of this.pods) {
      if (p.phase === "pending") {
        const feasible = this.nodes.filter((n) => this.fits(p, n));
        if (feasible.length)
          out.push({
            name: `schedule ${p.owner}#${p.id}`,
            run: () => {
              const n = feasible[this.rand(feasible.length)];
              const index = this.nodes.indexOf(n);
              const got = allocate(
                { index, ip: `10.0.0.${index}`, used: this.usedUnits(n.hostname), total: CARDS },
                { metadata: { name: `${p.owner}-${p.id}` }, spec: p.spec.template },
              );
              p.allocated = (got?.devices ?? []).map((d) => Number(d.device_id));
              p.node = n.hostname;
              p.phase = "running";
            },
          });
      }
      if (p.phase === "running" || p.phase === "terminating") {
        if (p.view < this.ledgers.length - 1)
          out.push({ name: `ledger view ${p.owner}#${p.id}`, run: () => (p.view = this.ledgers.length - 1) });
        if (p.phase === "terminating")
          out.push({ name: `terminated ${p.owner}#${p.id}`, run: () => (this.release(p), (p.phase = "gone")) });
        else if (p.spec.role === "inventory") {
          const step = this.containerStep(p);
          if (step) out.push({ name: `container ${p.owner}#${p.id} (${p.state})`, run: step });
        }
      }
    }
    return out;
  }

  /** Ready: serving (an inventory container on its cards), or running (any other pod). */
  ready = (p: Pod) => p.phase === "running" && (p.spec.role !== "inventory" || p.state === "running");

  /** Who opens which card right now: node/card -> pod ids. */
  usage(): Map<string, number[]> {
    const use = new Map<string, number[]>();
    const add = (node: string, card: number, id: number) => use.set(`${node}/${card}`, [...(use.get(`${node}/${card}`) ?? []), id]);
    for (const p of this.pods) {
      if (p.phase !== "running" && p.phase !== "terminating") continue;
      if (p.spec.role === "unit") p.allocated.forEach((c) => add(p.node!, c, p.id));
      if (p.spec.role === "inventory" && p.state === "running") p.spec.inv!.cards.forEach((c) => add(p.node!, c, p.id));
    }
    return use;
  }

  /** The exclusivity invariant: a description of the first card opened by two containers, or undefined. */
  violation(): string | undefined {
    for (const [card, ids] of this.usage())
      if (ids.length > 1)
        return `card ${card} used by ${ids
          .map((id) => {
            const p = this.pods.find((q) => q.id === id)!;
            return `${p.owner}#${id}`;
          })
          .join(" and ")}`;
    return undefined;
  }
}
