/**
 * The engine's share of writing the state, from the CPU profile `pulumi --profiling <prefix>`
 * writes (<prefix>.<pid>.cpu), read with `go tool pprof` (Go's profiles carry their own symbols,
 * so the binary is not needed). Every step of an update saves the
 * whole checkpoint (the file backend has no incremental journal), so this share grows with the
 * stack's size.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export interface EngineProfile {
  /** CPU seconds the profile sampled. */
  totalSeconds: number;
  /** Of those, inside the snapshot manager's saves (serialising and writing the checkpoint). */
  stateWriteSeconds: number;
}

function seconds(value: string): number {
  const m = /^([\d.]+)(ms|s|min)$/.exec(value);
  if (!m) return NaN;
  return Number(m[1]) * (m[2] === "ms" ? 1e-3 : m[2] === "min" ? 60 : 1);
}

/** Parses `go tool pprof -top -cum` output. */
export function parsePprofTop(text: string): EngineProfile {
  const total = /Total samples = ([\d.]+(?:ms|s|min))/.exec(text);
  const save = text.split("\n").find((l) => /SnapshotManager\)\.saveSnapshot$/.test(l.trim()));
  return {
    totalSeconds: total ? seconds(total[1]) : NaN,
    // Columns: flat flat% sum% cum cum% name
    stateWriteSeconds: save ? seconds(save.trim().split(/\s+/)[3]) : 0,
  };
}

/** Reads the CPU profile `pulumi --profiling <prefix>` wrote; undefined without Go's pprof. */
export function readEngineProfile(prefix: string): EngineProfile | undefined {
  const dir = path.dirname(prefix);
  const file = fs.readdirSync(dir).find((f) => f.startsWith(path.basename(prefix) + ".") && f.endsWith(".cpu"));
  if (!file) return undefined;
  try {
    const text = execFileSync("go", ["tool", "pprof", "-top", "-cum", "-nodecount=200", path.join(dir, file)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    return parsePprofTop(text);
  } catch {
    return undefined; // no Go toolchain: the breakdown says n/a
  }
}
