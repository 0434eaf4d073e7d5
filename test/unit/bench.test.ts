// The benchmark's parsing and statistics (scripts/bench): what `npm run bench` reports must be
// computed right, or its tables mislead.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { diffCounters, formatCounters, parseRequestMetrics } from "../../scripts/bench/apiRequests";
import { parsePprofTop } from "../../scripts/bench/engineProfile";
import { categoryOf, classifyNodeProfile } from "../../scripts/bench/nodeProfile";
import { formatSummary, summarize } from "../../scripts/bench/stats";
import { objectKinds } from "../../scripts/bench/steps";

describe("summarize", () => {
  it("takes the median of odd and even counts and the spread", () => {
    expect(summarize([3, 1, 2])).toEqual({ median: 2, min: 1, max: 3, n: 3 });
    expect(summarize([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4, n: 4 });
    expect(formatSummary(summarize([2.5, 2.25, 3]))).toBe("2.50 (2.25–3.00)");
    expect(formatSummary(summarize([1.234]))).toBe("1.23");
    expect(() => summarize([])).toThrow(/no values/);
  });
});

describe("parsePprofTop", () => {
  it("reads the sampled total and the cumulative time of the snapshot saves", () => {
    const text = [
      "Duration: 9.79s, Total samples = 6.14s (62.72%)",
      "      flat  flat%   sum%        cum   cum%",
      "         0     0%     0%      4.01s 65.31%  github.com/pulumi/pulumi/pkg/v3/backend.(*SnapshotManager).defaultServiceLoop",
      "         0     0%     0%     3990ms 64.98%  github.com/pulumi/pulumi/pkg/v3/backend.(*SnapshotManager).saveSnapshot",
    ].join("\n");
    expect(parsePprofTop(text)).toEqual({ totalSeconds: 6.14, stateWriteSeconds: 3.99 });
    expect(parsePprofTop("Total samples = 120ms").stateWriteSeconds).toBe(0);
  });
});

describe("API server request counters", () => {
  const metrics = (applies: number, seconds: number) =>
    [
      `apiserver_request_total{code="201",component="apiserver",dry_run="All",group="",resource="configmaps",scope="namespace",subresource="",verb="APPLY",version="v1"} ${applies}`,
      `apiserver_request_duration_seconds_sum{component="apiserver",dry_run="All",group="",resource="configmaps",scope="namespace",subresource="",verb="APPLY",version="v1"} ${seconds}`,
      // Not counted: watches, other kinds, subresources.
      `apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="configmaps",scope="cluster",subresource="",verb="WATCH",version="v1"} 7`,
      `apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 9`,
      `apiserver_request_total{code="200",component="apiserver",dry_run="",group="batch.volcano.sh",resource="jobs",scope="namespace",subresource="status",verb="PUT",version="v1alpha1"} 3`,
    ].join("\n");
  it("counts the stack's kinds only, separates dry runs, and diffs two snapshots", () => {
    const kinds = new Set(["configmaps", "jobs"]);
    const before = parseRequestMetrics(metrics(10, 0.5), kinds);
    expect([...before.keys()]).toEqual(["APPLY configmaps dry-run"]);
    const diff = diffCounters(before, parseRequestMetrics(metrics(60, 1.5), kinds));
    expect(formatCounters(diff)).toBe("50 APPLY configmaps dry-run (1.00 s)");
    expect(formatCounters(diffCounters(before, before))).toBe("none");
  });
});

describe("Node.js profile categories", () => {
  it("attributes samples by their leaf frame, stack-trace captures first", () => {
    expect(categoryOf({ functionName: "(garbage collector)", url: "" }, false)).toBe("garbage collection");
    expect(categoryOf({ functionName: "mb", url: "file:///p/node_modules/google-protobuf/google-protobuf.js" }, true)).toBe("stack traces");
    expect(categoryOf({ functionName: "mb", url: "file:///p/node_modules/google-protobuf/google-protobuf.js" }, false)).toMatch(/^gRPC/);
    expect(categoryOf({ functionName: "compileFunctionForCJSLoader", url: "" }, false)).toMatch(/^module loading/);
    expect(categoryOf({ functionName: "buildVolcanoJob", url: "file:///p/components/training/builders.ts" }, false)).toMatch(
      /project's code/,
    );
    expect(categoryOf({ functionName: "parse", url: "file:///p/node_modules/zod/lib/types.js" }, false)).toMatch(/project's code/);
    expect(categoryOf({ functionName: "registerResource", url: "file:///p/node_modules/@pulumi/pulumi/runtime/resource.js" }, false)).toBe(
      "Pulumi SDKs",
    );
    expect(categoryOf({ functionName: "then", url: "node:internal/process/task_queues" }, false)).toMatch(/^other/);
  });

  it("sums a profile's sample times per category", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-test-"));
    const file = path.join(dir, "p.cpuprofile");
    const frame = (functionName: string, url = "") => ({ functionName, url });
    fs.writeFileSync(
      file,
      JSON.stringify({
        nodes: [
          { id: 1, callFrame: frame("(root)"), children: [2, 3, 5] },
          { id: 2, callFrame: frame("(idle)") },
          { id: 3, callFrame: frame("prepareStackTrace", "file:///p/node_modules/x.js"), children: [4] },
          { id: 4, callFrame: frame("mapSourcePosition", "file:///p/node_modules/x.js") },
          { id: 5, callFrame: frame("serializeProperty", "file:///p/node_modules/@pulumi/pulumi/runtime/rpc.js") },
        ],
        samples: [2, 4, 4, 5],
        timeDeltas: [1000, 2000, 3000, 4000],
      }),
    );
    expect(classifyNodeProfile(file)).toEqual({ "idle (waiting for the engine)": 1, "stack traces": 5, "Pulumi SDKs": 4 });
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe("objectKinds", () => {
  it("names each rendered kind as kubectl get expects it", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-kinds-"));
    fs.mkdirSync(path.join(dir, "1-manifest"));
    const write = (name: string, apiVersion: string, kind: string) =>
      fs.writeFileSync(path.join(dir, "1-manifest", name), `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata: {name: x}\n`);
    write("a.yaml", "v1", "ConfigMap");
    write("b.yaml", "batch.volcano.sh/v1alpha1", "Job");
    write("c.yaml", "networking.k8s.io/v1", "NetworkPolicy");
    write("d.yaml", "apps/v1", "Deployment");
    expect(objectKinds(dir)).toEqual(["configmaps", "deployments.apps", "jobs.batch.volcano.sh", "networkpolicies.networking.k8s.io"]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
