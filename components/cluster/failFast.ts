/**
 * Deciding, from snapshots of pods, that a deploy cannot succeed (pure; deployWatch.ts does the
 * I/O). The Kubernetes provider waits for a Deployment's readiness until its timeout (40 minutes
 * for model loads) and drops the scheduler's reason, and it does not wait for Volcano jobs at
 * all; so the program watches the pods this update creates and names the cause.
 */

/** The fields of a Pod this module reads (as the API returns them). */
export interface PodJson {
  metadata: { name: string; uid: string; labels?: Record<string, string> };
  status?: {
    phase?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
    initContainerStatuses?: ContainerStatusJson[];
    containerStatuses?: ContainerStatusJson[];
  };
}
interface ContainerStatusJson {
  name: string;
  state?: { waiting?: { reason?: string; message?: string } };
}

/** Waiting reasons that do not heal by themselves (a pull in progress is ContainerCreating). */
const STUCK_WAITING = new Set([
  "ErrImagePull",
  "ImagePullBackOff",
  "InvalidImageName",
  "CreateContainerConfigError",
  "CreateContainerError",
]);

export interface PodProblem {
  reason: string;
  message: string;
}

/** Why a pod cannot start, if it cannot: unschedulable, or a container stuck before starting. */
export function podProblem(pod: PodJson): PodProblem | undefined {
  const scheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False" && scheduled.reason === "Unschedulable")
    return { reason: "Unschedulable", message: scheduled.message ?? "the scheduler found no node" };
  for (const c of [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])]) {
    const waiting = c.state?.waiting;
    if (waiting?.reason && STUCK_WAITING.has(waiting.reason))
      return { reason: waiting.reason, message: `container ${c.name}: ${waiting.message ?? waiting.reason}` };
  }
  return undefined;
}

/** The label Volcano puts on every pod of a job: the job's name. */
export const JOB_NAME_LABEL = "volcano.sh/job-name";

/** The pods of training job `job`. */
export function podsOfJob(pods: readonly PodJson[], job: string): PodJson[] {
  return pods.filter((p) => p.metadata.labels?.[JOB_NAME_LABEL] === job);
}

/** The workload a pod belongs to, for messages: the P/D instance or reservation, or the Volcano job. */
export function workloadOf(pod: PodJson): string {
  const labels = pod.metadata.labels ?? {};
  const job = labels[JOB_NAME_LABEL];
  if (job) return `training job ${job}`;
  return labels["app.kubernetes.io/instance"] ?? pod.metadata.name;
}

export interface Finding {
  pod: string;
  workload: string;
  reason: string;
  message: string;
  /** Seconds the problem has lasted. */
  seconds: number;
}

/** Since when each new pod has had its current problem (keyed by pod uid); the watch keeps it between polls. */
export type ProblemClock = Map<string, { reason: string; since: number }>;

/**
 * Problems of pods created by this update (not in `existing`) that lasted at least `timeoutMs`:
 * each is a deploy that cannot succeed. A problem that clears or changes restarts its clock.
 */
export function fatalFindings(
  pods: readonly PodJson[],
  existing: ReadonlySet<string>,
  clock: ProblemClock,
  now: number,
  timeoutMs: number,
): Finding[] {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const pod of pods) {
    const uid = pod.metadata.uid;
    if (existing.has(uid)) continue;
    seen.add(uid);
    const problem = podProblem(pod);
    if (!problem) {
      clock.delete(uid);
      continue;
    }
    const started = clock.get(uid);
    const since = started && started.reason === problem.reason ? started.since : now;
    clock.set(uid, { reason: problem.reason, since });
    if (now - since >= timeoutMs)
      findings.push({ pod: pod.metadata.name, workload: workloadOf(pod), ...problem, seconds: Math.round((now - since) / 1000) });
  }
  for (const uid of [...clock.keys()]) if (!seen.has(uid)) clock.delete(uid);
  return findings;
}

/** A new training job is placed once Volcano created its pods and every one of them is scheduled. */
export function jobScheduled(pods: readonly PodJson[], job: string, expectedPods: number): boolean {
  const mine = podsOfJob(pods, job);
  return (
    mine.length >= expectedPods && mine.every((p) => p.status?.conditions?.some((c) => c.type === "PodScheduled" && c.status === "True"))
  );
}

export function formatFinding(f: Finding): string {
  return `${f.workload} cannot start: pod ${f.pod} has been ${f.reason} for ${f.seconds}s: ${f.message}`;
}

/** The fields of a Volcano PodGroup this module reads. */
export interface PodGroupJson {
  metadata: { name: string; ownerReferences?: { kind: string; name: string }[] };
  spec?: { minMember?: number };
  status?: { phase?: string; conditions?: { type: string; status: string; reason?: string; message?: string }[] };
}

/**
 * Why a training job has no pods after the bound: Volcano creates a job's pods only once the
 * scheduler admits its PodGroup (the whole gang of minAvailable pods fits); without a PodGroup the
 * job controller never ran.
 */
export function unplacedJobMessage(job: string, seconds: number, podGroups: readonly PodGroupJson[]): string {
  const group = podGroups.find((g) => g.metadata.ownerReferences?.some((o) => o.kind === "Job" && o.name === job));
  const head = `training job ${job} cannot start: Volcano created no pod for it in ${seconds}s`;
  if (!group) return `${head} and no PodGroup either (is Volcano's controller running, and does the job's queue exist?)`;
  const why = group.status?.conditions?.find((c) => c.type === "Unschedulable" && c.status === "True");
  return (
    `${head}: its PodGroup ${group.metadata.name} is ${group.status?.phase ?? "new"}` +
    (why ? ` (${why.reason ?? "Unschedulable"}: ${why.message ?? ""})` : "") +
    `; the gang of ${group.spec?.minMember ?? "?"} pods does not fit the cluster's free NPU nodes`
  );
}

/**
 * A job awaited since the update started whose pods all existed before it: left unplaced by an
 * earlier update and not changed by this one, so not this update's doing.
 */
export function leftUnplacedBefore(pods: readonly PodJson[], job: string, existing: ReadonlySet<string>): boolean {
  const mine = podsOfJob(pods, job);
  return mine.length > 0 && mine.every((p) => existing.has(p.metadata.uid));
}

/** Volcano Job phases after which a job's pods are not expected to be (or stay) scheduled. */
const FINISHED_JOB_PHASES = new Set(["Completed", "Failed", "Terminated", "Aborted"]);

/**
 * The training jobs an update awaits: those that do not exist when it starts, and those that exist
 * unfinished without every pod scheduled (the update may be replacing them; a job already placed
 * or finished is left alone). `live`: the namespace's Volcano Jobs with their phase.
 */
export function jobsToAwait<J extends { name: string; pods: number }>(
  jobs: readonly J[],
  live: readonly { name: string; phase?: string }[],
  pods: readonly PodJson[],
): J[] {
  return jobs.filter((j) => {
    const found = live.find((l) => l.name === j.name);
    if (!found) return true;
    return !FINISHED_JOB_PHASES.has(found.phase ?? "") && !jobScheduled(pods, j.name, j.pods);
  });
}
