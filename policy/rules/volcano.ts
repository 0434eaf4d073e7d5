/**
 * Gang scheduling of Volcano Jobs (docs/manual-facts.md#training-volcano-job, manual M6): a job of
 * several pods must be placed all at once. With `minAvailable` below the pod count, Volcano binds
 * the pods that fit, and they hold their nodes' NPUs while the job waits for the rest.
 */
import { describe, isVolcanoJob, type Json, type KubeResource } from "../k8s";

/** Advisory: the manual's own templates say `minAvailable: 1`, which works while the cluster is idle. */
export function gangViolations(r: KubeResource): string[] {
  if (!isVolcanoJob(r)) return [];
  const spec = r.props?.spec ?? {};
  const tasks: Json[] = Array.isArray(spec.tasks) ? spec.tasks : [];
  const pods = tasks.reduce((n, t) => n + (typeof t?.replicas === "number" ? t.replicas : 1), 0);
  // Volcano defaults an absent minAvailable to every task's replicas: gang-complete.
  if (pods <= 1 || typeof spec.minAvailable !== "number" || spec.minAvailable >= pods) return [];
  return [
    `${describe(r)}: minAvailable is ${spec.minAvailable} but its ${tasks.length} task(s) run ${pods} pods; set minAvailable: ${pods} ` +
      `so Volcano schedules the whole gang at once (otherwise the pods that fit hold their NPUs while the rest wait)`,
  ];
}
