/** The benchmark's markdown tables. */
import type { FixedCost } from "./fixedCost";
import type { Measurement } from "./measure";
import type { MockRun } from "./mockRuns";
import type { CommandProfile } from "./profile";
import type { CaseResult } from "./run";
import { formatSummary, summarize } from "./stats";

const secs = (ms: Measurement[]) => summarize(ms.map((m) => m.seconds));
const cell = (ms: Measurement[]) => formatSummary(secs(ms));
const ratio = (a: Measurement[], b: Measurement[]) => `${(secs(a).median / secs(b).median).toFixed(1)}×`;
const mem = (ms: Measurement[]) => summarize(ms.map((m) => m.peakMiB)).median.toFixed(0);
const maxLoad = (r: CaseResult) =>
  Math.max(...[...r.preview, ...r.previewNoSnapshots, ...r.dryRun, ...r.up, ...r.apply].map((m) => m.loadBefore)).toFixed(2);

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

export function mainTable(results: CaseResult[]): string {
  return (
    table(
      [
        "case",
        "objects",
        "pulumi preview",
        "preview, no snapshots ²",
        "kubectl SSA dry-run",
        "preview ÷ dry-run (no snapshots)",
        "pulumi up",
        "kubectl apply",
        "up ÷ apply",
        "peak MiB preview / up / kubectl",
        "max load",
      ],
      results.map((r) => [
        r.benchCase.label,
        String(r.objects),
        cell(r.preview),
        cell(r.previewNoSnapshots),
        cell(r.dryRun),
        `${ratio(r.preview, r.dryRun)} (${ratio(r.previewNoSnapshots, r.dryRun)})`,
        cell(r.up),
        cell(r.apply) + (r.benchCase.awaitsDeployments ? " ¹" : ""),
        ratio(r.up, r.apply),
        `${mem(r.preview)} / ${mem(r.up)} / ${mem(r.apply)}`,
        maxLoad(r),
      ]),
    ) +
    "\n\n¹ kubectl apply, then `kubectl wait --for=condition=Available` for the Deployments, as `pulumi up` waits for them." +
    "\n² `PULUMI_SKIP_CHECKPOINTS=true pulumi preview`: a preview persists nothing, yet the file backend rebuilds the whole snapshot after every step; `npm run local:preview` runs it so (docs/performance.md)."
  );
}

const PROGRAMS: [string, string][] = [
  ["pulumi", "engine"],
  ["node", "program"],
  ["pulumi-resource", "providers"],
  ["pulumi-language", "language host"],
];

function programCpu(p: CommandProfile): string {
  if (!p.node) return "n/a";
  const parts = Object.entries(p.node)
    .filter(([k]) => !k.startsWith("idle"))
    .sort((a, b) => b[1] - a[1])
    .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(2)}`);
  return `${(p.cpu.node ?? 0).toFixed(2)}: ${parts.join(", ")}`;
}

function engineCpu(p: CommandProfile): string {
  const total = (p.cpu.pulumi ?? 0).toFixed(2);
  return p.engine
    ? `${total} (state writes ${p.engine.stateWriteSeconds.toFixed(2)} of ${p.engine.totalSeconds.toFixed(2)} sampled)`
    : total;
}

export function breakdownTable(results: CaseResult[]): string {
  const rows: string[][] = [];
  for (const r of results)
    for (const [command, p] of [
      ["preview", r.profile.preview],
      ["up", r.profile.up],
    ] as const)
      rows.push([
        r.benchCase.label,
        command,
        p.seconds.toFixed(2),
        engineCpu(p),
        programCpu(p),
        (p.cpu["pulumi-resource"] ?? 0).toFixed(2),
        PROGRAMS.map(([name, label]) => `${label} ${(p.peakByProgram[name] ?? 0).toFixed(0)}`).join(", "),
        p.requests,
      ]);
  const skip = results
    .filter((r) => r.withoutCheckpoints)
    .map(
      (r) =>
        `- \`pulumi up\` of ${r.benchCase.label} with PULUMI_SKIP_CHECKPOINTS=true (comparison only, unsafe): ` +
        `${r.withoutCheckpoints!.seconds.toFixed(2)} s against the median ${secs(r.up).median.toFixed(2)} s with checkpoints.`,
    );
  return [
    table(
      [
        "case",
        "command",
        "wall s",
        "engine CPU s",
        "program (Node.js) CPU s, by activity",
        "providers CPU s",
        "peak MiB by program",
        "API server requests on the stack's kinds (server time)",
      ],
      rows,
    ),
    "- CPU seconds are summed over each program's processes (sampled from /proc every 100 ms); with 2 cores, CPU above wall time means the programs ran in parallel.",
    "- Engine: the `pulumi` CLI process; state writes = CPU inside its snapshot manager's saves (the file backend rewrites the whole checkpoint at every step), from its `--profiling` CPU profile.",
    "- Program: V8 CPU profile of the Node.js program, each sample attributed by call stack (scripts/bench/nodeProfile.ts); idle time is left out.",
    "- API requests: the API server's counters cannot tell clients apart; during `up` they include Volcano's controllers reading and updating the new Jobs and its svc plugin's ConfigMaps.",
    ...skip,
  ].join("\n");
}

export function fixedCostTable(fixed: FixedCost, results: CaseResult[]): string {
  const smallest = results.filter((r) => !r.benchCase.awaitsDeployments).sort((a, b) => a.objects - b.objects)[0];
  const rows = [
    ["CLI start (`pulumi version`)", cell(fixed.cliStart)],
    [
      "preview of an empty JavaScript program (CLI, engine, state backend, language host, Node.js, Pulumi SDK load)",
      cell(fixed.emptyProgram),
    ],
  ];
  if (smallest) {
    rows.push([`preview of ${smallest.benchCase.label}`, cell(smallest.preview)]);
    rows.push([
      "→ the project's part of it (its modules and config validation, two provider plugins, its resources)",
      (secs(smallest.preview).median - secs(fixed.emptyProgram).median).toFixed(2),
    ]);
  }
  return table(["part", "seconds"], rows);
}

export function mockTable(runs: MockRun[]): string {
  const row = (mode: MockRun["mode"], label: string) => {
    const of = runs.filter((r) => r.mode === mode);
    const med = (f: (r: MockRun) => number, digits = 2) => formatSummary(summarize(of.map(f)), digits);
    return [
      label,
      String(of[0].resources),
      med((r) => r.validateSeconds),
      med((r) => r.programSeconds),
      med((r) => r.resolveSeconds),
      med((r) => r.evaluationSeconds),
      med((r) => r.heapMiB, 0),
    ];
  };
  const instances = runs[0].instances;
  return table(
    ["program", "resources", "validation s", "registration s", "outputs resolved s", "evaluation s", "heap MiB"],
    [
      row("program", `the stack: 1 P/D deployment, ${instances} instances`),
      row("floor", `floor: ${instances} plain Deployments with an instance's spec, no components, no validation`),
    ],
  );
}
