/**
 * Kill the API server in the middle of `pulumi up`, restart it, run again: the stack converges
 * and nothing is orphaned (everything the interrupted run created is tracked and destroyable).
 * The cluster's supervisord does not restart a program that exits, so the API server stays down
 * until `scripts/cluster.sh start` brings it back, as an operator would (checked below).
 */
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { ExampleStack, previewOps, projectObjects, repo } from "./harness";

const VOLUME = "sfs-turbo-crash";
let s: ExampleStack;

beforeAll(async () => {
  s = await ExampleStack.openLocal("e2e-crash", VOLUME);
});

afterAll(async () => {
  await s?.dispose(VOLUME);
});

/** supervisorctl of the tests' cluster (scripts/cluster.sh ctl), e.g. `pid kube-apiserver`. */
function ctl(...args: string[]): string {
  try {
    return execFileSync(path.join(repo, "scripts/cluster.sh"), ["ctl", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e: any) {
    return String(e.stdout ?? ""); // `status` exits 3 for a program that is not running
  }
}

function killApiServer(): void {
  const pid = Number(ctl("pid", "kube-apiserver").trim());
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, "SIGKILL");
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 200));
  }
}

it("converges after an API server crash during up, with no orphan", async () => {
  const before = new Set(projectObjects());
  const up = s.stack.up().then(
    () => "succeeded",
    (e: Error) => `failed: ${e.message.slice(0, 200)}`,
  );
  // Crash as soon as the run has created something.
  await waitFor(() => {
    try {
      return projectObjects().some((o) => !before.has(o));
    } catch {
      return false;
    }
  }, 120_000);
  killApiServer();
  await new Promise((r) => setTimeout(r, 3000));
  // Still down: nothing restarted it behind the test's back.
  expect(ctl("status", "kube-apiserver")).toMatch(/^kube-apiserver\s+EXITED/);
  execFileSync(path.join(repo, "scripts/cluster.sh"), ["start"], { stdio: "inherit" });
  const first = await up;
  console.log(`interrupted up: ${first}`);

  // Rerun: pending creates from the crash are cleared, objects they made are adopted by the re-apply.
  await s.stack.refresh({ clearPendingCreates: true });
  await s.stack.up();
  expect((await previewOps(s)).changed).toEqual({});

  // Every object the runs created is tracked: destroying the stack removes all but the protected volume.
  await s.stack.destroy({ excludeProtected: true });
  const left = projectObjects().filter((o) => !before.has(o));
  expect(left).toEqual([`PersistentVolume//${VOLUME}`, `PersistentVolumeClaim/e2e-crash/${VOLUME}`]);
});
