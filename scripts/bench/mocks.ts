/**
 * Program evaluation alone, without engine, provider or cluster: validates a stack config with
 * one P/D deployment of BENCH_MOCK_INSTANCES instances (default 1,000: 500 prefill, 500 decode)
 * and runs the program (deployStack) against Pulumi's mock monitor until every resource is
 * registered and every output resolved. With BENCH_MOCK_MODE=floor it instead registers as many
 * plain Deployments, each with the spec of one of the program's instances, and no component: what
 * the Pulumi SDK alone costs for objects of that size. Prints one JSON line with the timings;
 * mockRuns.ts starts it in a fresh Node.js process per repetition.
 */
import type * as K8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { performance } from "node:perf_hooks";
import { pdDeployment } from "./cases";
import type { MockRun } from "./mockRuns";
import { BENCH_CLAIM } from "./steps";

const instances = Number(process.env.BENCH_MOCK_INSTANCES ?? 1000);
const floor = process.env.BENCH_MOCK_MODE === "floor";
const t0 = performance.now();
let registered = 0;
/** The inputs of the first instance Deployment the program registered (floor mode's template). */
let instanceInputs: Record<string, unknown> | undefined;
void pulumi.runtime.setMocks(
  {
    newResource(args) {
      registered++;
      if (!instanceInputs && args.type === "kubernetes:apps/v1:Deployment" && /-(prefill|decode)-\d+$/.test(args.name))
        instanceInputs = args.inputs;
      return { id: `${args.name}-id`, state: args.inputs };
    },
    call(args) {
      return args.inputs;
    },
  },
  "ascend-stack",
  "bench-mocks",
  false,
);

async function main() {
  // Imported after the mocks are installed, as the program is imported after the engine connects.
  const { validateStackConfig } = await import("../../components/config/validate");
  const { deployStack } = await import("../../components/stack");
  const tLoaded = performance.now();
  const config = (count: number) => ({
    cluster: { namespace: "bench-mocks", createNamespace: false },
    storage: { volumes: [{ name: BENCH_CLAIM, type: "existing" }] },
    inference: { deployments: [pdDeployment(count)] },
  });
  const result = validateStackConfig(config(floor ? 2 : instances));
  if (!result.ok) throw new Error(`bench config is invalid: ${JSON.stringify(result.issues)}`);
  if (floor) return evaluateFloor(() => deployStack(result.config), tLoaded);
  const tValidated = performance.now();
  const outputs = deployStack(result.config);
  const tRegistered = performance.now();
  // Every output of the stack resolved: all registrations have gone through the mock monitor.
  await new Promise((resolve) => pulumi.output(outputs).apply(resolve));
  const tResolved = performance.now();
  report({
    instances,
    resources: registered,
    loadSeconds: (tLoaded - t0) / 1000,
    validateSeconds: (tValidated - tLoaded) / 1000,
    programSeconds: (tRegistered - tValidated) / 1000,
    resolveSeconds: (tResolved - tRegistered) / 1000,
    evaluationSeconds: (tResolved - tLoaded) / 1000,
  });
}

/** Prints the run as mockRuns.ts reads it. */
function report(fields: Omit<MockRun, "mode" | "heapMiB">): void {
  const run: MockRun = { mode: floor ? "floor" : "program", ...fields, heapMiB: process.memoryUsage().heapUsed / 2 ** 20 };
  process.stdout.write(JSON.stringify(run) + "\n");
}

/** Floor mode: `program` (2 instances) once for a template, then `instances` plain Deployments. */
async function evaluateFloor(program: () => object, tLoaded: number): Promise<void> {
  const k8s = await import("@pulumi/kubernetes");
  await new Promise((resolve) => pulumi.output(program()).apply(resolve));
  const template = instanceInputs as { metadata: Record<string, unknown> } | undefined;
  if (!template) throw new Error("the program registered no instance Deployment to copy");
  const before = registered;
  const tStart = performance.now();
  const names = Array.from({ length: instances }, (_, i) => {
    const name = `floor-${i}`;
    return new k8s.apps.v1.Deployment(name, { ...template, metadata: { ...template.metadata, name } } as K8s.apps.v1.DeploymentArgs)
      .metadata.name;
  });
  const tRegistered = performance.now();
  await new Promise((resolve) => pulumi.all(names).apply(resolve));
  const tResolved = performance.now();
  report({
    instances,
    resources: registered - before,
    loadSeconds: (tLoaded - t0) / 1000,
    validateSeconds: 0,
    programSeconds: (tRegistered - tStart) / 1000,
    resolveSeconds: (tResolved - tRegistered) / 1000,
    evaluationSeconds: (tResolved - tStart) / 1000,
  });
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : err}\n`);
  process.exit(1);
});
