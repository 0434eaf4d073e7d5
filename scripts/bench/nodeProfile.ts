/**
 * Where the Node.js program's CPU time goes, from a V8 CPU profile (`node --cpu-prof`). Each
 * sample counts for the function it was in (its leaf frame), except that everything under the
 * SDK's stack-trace captures counts as stack traces: the SDK captures one for every promise and
 * resource, and ts-node maps each frame through source maps.
 */
import * as fs from "node:fs";

interface CallFrame {
  functionName: string;
  url: string;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const UNDER_STACK_TRACE = /^(prepareStackTrace|callsites)$/;

/** The category of a sample whose leaf frame is `leaf`. */
export function categoryOf(leaf: CallFrame, underStackTrace: boolean): string {
  const { functionName: fn, url } = leaf;
  if (fn === "(idle)") return "idle (waiting for the engine)";
  if (fn === "(garbage collector)") return "garbage collection";
  if (underStackTrace) return "stack traces";
  if (/google-protobuf|_pb\.js|grpc-js/.test(url)) return "gRPC + protobuf (talking to the engine)";
  if (
    /^compile|^internalModuleStat$|^readFileUtf8$|^lstat$|^realpath/.test(fn) ||
    /node:internal\/modules|\/typescript\/lib\/|ts-node/.test(url)
  )
    return "module loading and compiling";
  if ((/\/components\/|\/index\.ts$/.test(url) && !url.includes("node_modules")) || /node_modules\/(zod|yaml)\//.test(url))
    return "the project's code (with zod, yaml)";
  if (url.includes("node_modules/@pulumi/")) return "Pulumi SDKs";
  return "other (Node.js internals, promises)";
}

/** Milliseconds per category of the profile in `file`. */
export function classifyNodeProfile(file: string): Record<string, number> {
  const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, i) => selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const out: Record<string, number> = {};
  for (const [id, micros] of selfMicros) {
    let underStackTrace = false;
    for (let at: number | undefined = id; at !== undefined && !underStackTrace; at = parent.get(at))
      underStackTrace = UNDER_STACK_TRACE.test(byId.get(at)!.callFrame.functionName);
    const category = categoryOf(byId.get(id)!.callFrame, underStackTrace);
    out[category] = (out[category] ?? 0) + micros / 1000;
  }
  return out;
}

/** The largest profile in `dir`: the program's (the language host's helper processes are tiny). */
export function largestProfile(dir: string): string | undefined {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  files.sort((a, b) => fs.statSync(`${dir}/${b}`).size - fs.statSync(`${dir}/${a}`).size);
  return files[0] && `${dir}/${files[0]}`;
}
