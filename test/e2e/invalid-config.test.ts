/** A broken stack config fails the real preview with the validation message and creates nothing. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ExampleStack, projectObjects, requireEnvironment } from "./harness";

let s: ExampleStack;
beforeAll(async () => {
  requireEnvironment();
  s = await ExampleStack.open("e2e-invalid", "Pulumi.local.yaml");
});
afterAll(async () => {
  await s?.remove();
});

it("preview and up fail with every problem and its path; nothing reaches the cluster", async () => {
  const before = projectObjects();
  s.edit("training", (t) => {
    t.jobs[0].npus = 16;
    t.jobs[0].mountPath = "/home/ma-user/work";
  });
  s.edit("storage", (st) => {
    st.volumes[0].capacity = "lots";
  });
  const failure = await s.stack.preview().then(
    () => undefined,
    (e: Error) => e.message,
  );
  expect(failure).toContain("invalid stack config (3 problem(s)); nothing was changed");
  expect(failure).toContain("storage.volumes[0].capacity: must be a Kubernetes quantity");
  // The training rules still ran and reported with their paths, beside the storage failure.
  expect(failure).toContain("training.jobs[0].mountPath: must not be /home/ma-user");
  await expect(s.stack.up()).rejects.toThrow(/invalid stack config/);
  const exported = await s.stack.exportStack();
  // Only the stack's own root resource may exist: no provider, no component, no object.
  const types = (exported.deployment.resources ?? []).map((r: { type: string }) => r.type);
  expect(types.filter((t: string) => t !== "pulumi:pulumi:Stack")).toEqual([]);
  expect(projectObjects()).toEqual(before);
});
