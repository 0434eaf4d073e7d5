/**
 * The Pulumi engine and the controllers, as far as card ownership depends on them:
 *   - a resource's create/update starts once everything it depends on is done; independent ones
 *     start in any order (each start is its own event, so every interleaving is possible);
 *   - a Deployment's create/update completes when its new pod is Ready; the Deployment controller
 *     (strategy Recreate) creates the new pod only once the old one is gone;
 *   - a Volcano Job (a custom resource: no await) completes at once; a spec change replaces it,
 *     deleting first (deleteBeforeReplace);
 *   - resources dropped from the program are deleted only after every create/update of the run,
 *     dependents first; a delete completes when the object's pods are gone (the provider's
 *     default foreground cascading delete waits for them).
 * No timeouts: a wait that can still end is waited out (cluster.failFast or the provider's timeout
 * would turn a long wait into a failed update, never into a shared card); a deadlock is a state
 * from which no event at all can happen.
 */
import type { Cluster, Event, PodSpec } from "./npuModel";
import type { Resource } from "./npuPlan";

type Op = "create" | "update" | "replace" | "same" | "delete";
interface Step {
  op: Op;
  res: Resource;
  started: boolean;
  done: boolean;
}
interface LiveObject {
  res: Resource;
  gen: number;
  podsMade: boolean;
}

export class Engine {
  objects = new Map<string, LiveObject>();
  private steps: Step[] = [];
  private old: Resource[] = [];

  constructor(readonly cluster: Cluster) {}

  /** `pulumi up` from the state `from` to the program `to`. */
  up(from: Resource[], to: Resource[]): void {
    const old = new Map(from.map((r) => [r.key, r]));
    const opOf = (r: Resource): Op => {
      const o = old.get(r.key);
      return !o ? "create" : o.spec === r.spec ? "same" : r.replaceOnChange ? "replace" : "update";
    };
    const kept = new Set(to.map((r) => r.key));
    this.steps = [
      ...to.map((res) => ({ op: opOf(res), res, started: false, done: false })),
      ...from.filter((r) => !kept.has(r.key)).map((res) => ({ op: "delete" as Op, res, started: false, done: false })),
    ];
    this.old = from;
  }

  finished = () => this.steps.every((s) => s.done);
  pendingSteps = () => this.steps.filter((s) => !s.done).map((s) => `${s.op} ${s.res.key}${s.started ? " (started)" : ""}`);

  private startable(s: Step): boolean {
    if (s.started) return false;
    const doneKey = (k: string) => this.steps.find((t) => t.res.key === k && t.op !== "delete")?.done ?? true;
    if (s.op !== "delete") return s.res.deps.every(doneKey);
    // Deletes: after every create/update, and after the deletes of what depended on this one.
    if (this.steps.some((t) => t.op !== "delete" && !t.done)) return false;
    const dependents = this.old.filter((r) => r.deps.includes(s.res.key)).map((r) => r.key);
    return this.steps.every((t) => t.op !== "delete" || t.done || !dependents.includes(t.res.key));
  }

  private apply(res: Resource): void {
    const live = this.objects.get(res.key);
    if (res.kind === "ledger") this.cluster.ledgers.push(res.ledger);
    if (live) {
      live.res = res;
      live.gen++;
      this.cluster.podsOf(res.key).forEach((p) => this.cluster.deletePod(p)); // Recreate
    } else this.objects.set(res.key, { res, gen: 1, podsMade: false });
  }

  private remove(res: Resource): void {
    this.objects.delete(res.key);
    if (res.kind === "ledger") this.cluster.ledgers.push(undefined);
    this.cluster.podsOf(res.key).forEach((p) => this.cluster.deletePod(p));
  }

  private start(s: Step): void {
    s.started = true;
    if (s.op === "delete" || s.op === "replace") this.remove(s.op === "delete" ? s.res : this.objects.get(s.res.key)!.res);
    else if (s.op !== "same") this.apply(s.res);
    // Nothing to wait for: unchanged resources, the ledger (a ConfigMap), a created Volcano Job.
    if (s.op === "same" || s.res.kind === "ledger" || (s.op === "create" && s.res.kind === "job")) s.done = true;
  }

  /** Whether a started step's wait is over. */
  private completed(s: Step): boolean {
    const gone = this.cluster.podsOf(s.res.key).length === 0;
    if (s.op === "delete") return gone;
    if (s.op === "replace") return gone; // the old Job's pods are gone: create the new one
    const live = this.objects.get(s.res.key)!;
    return this.cluster.podsOf(s.res.key).some((p) => p.gen === live.gen && this.cluster.ready(p));
  }

  events(): Event[] {
    const out: Event[] = [];
    for (const s of this.steps) {
      if (this.startable(s)) out.push({ name: `pulumi starts ${s.op} ${s.res.key}`, run: () => this.start(s) });
      else if (s.started && !s.done && this.completed(s))
        out.push({
          name: `pulumi completes ${s.op} ${s.res.key}`,
          run: () => (s.op === "replace" ? (this.apply(s.res), (s.done = true)) : (s.done = true)),
        });
    }
    // Controllers: a Deployment gets a pod once none is left (Recreate); a Job gets its pods once.
    for (const [key, o] of this.objects) {
      if (o.res.kind === "deployment" && this.cluster.podsOf(key).length === 0)
        out.push({ name: `deployment controller creates ${key} pod`, run: () => this.cluster.createPod(key, o.gen, o.res.pods[0]) });
      if (o.res.kind === "job" && !o.podsMade)
        out.push({
          name: `volcano creates ${key} pods`,
          run: () => ((o.podsMade = true), o.res.pods.forEach((p) => this.cluster.createPod(key, o.gen, p))),
        });
    }
    return out;
  }
}

export interface Outcome {
  /** The first card opened by two containers, with the events that led there. */
  violation?: string;
  /** Why the last `pulumi up` could not finish (no event possible, or the step bound hit). */
  deadlock?: string;
  cluster: Cluster;
  trace: string[];
}

/**
 * Deploys `plans[0]` on an empty cluster, then updates to each next plan; `foreign` pods (not the
 * stack's) are submitted when the last update starts. Returns at the first violation; otherwise
 * runs until nothing more can happen.
 */
export function simulate(cluster: Cluster, plans: Resource[][], foreign: PodSpec[] = [], bound = 20_000): Outcome {
  const engine = new Engine(cluster);
  const trace = cluster.trace;
  const step = (): boolean => {
    const events = [...cluster.events(), ...engine.events()];
    if (events.length === 0 || trace.length >= bound) return false;
    const e = events[cluster.rand(events.length)];
    e.run();
    trace.push(e.name);
    return true;
  };
  const tail = () => trace.slice(-40).join("\n  ");
  for (let i = 0; i < plans.length; i++) {
    engine.up(plans[i - 1] ?? [], plans[i]);
    if (i === plans.length - 1) foreign.forEach((p) => cluster.createPod("foreign", 1, p));
    while (!engine.finished() || i === plans.length - 1) {
      if (!step()) break;
      const v = cluster.violation();
      if (v) return { violation: `${v} after:\n  ${tail()}`, cluster, trace };
    }
    if (!engine.finished() || trace.length >= bound)
      return { deadlock: `pulumi up #${i} stuck with ${engine.pendingSteps().join(", ")} after:\n  ${tail()}`, cluster, trace };
  }
  return { cluster, trace };
}

/** Inventory instances of `plan` not serving on their cards, and unit Deployments without a running pod. */
export function notServing(cluster: Cluster, plan: Resource[]): string[] {
  return plan
    .filter((r) => r.kind === "deployment")
    .filter((r) => !cluster.podsOf(r.key).some((p) => cluster.ready(p) && JSON.stringify(p.spec.inv) === JSON.stringify(r.pods[0].inv)))
    .map((r) => r.key);
}
