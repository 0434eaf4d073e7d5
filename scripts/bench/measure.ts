/**
 * Runs one command and measures its wall time and peak memory. Memory is the sum of RSS over the
 * whole process tree, sampled from /proc: `pulumi` does little itself, the work happens in the
 * language host, the node program and the provider plugin it spawns, so the root's RSS alone
 * would understate it several times over.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";

export interface Measurement {
  seconds: number;
  peakMiB: number;
  /** Number of /proc samples taken; a short run (kubectl on 10 objects) gets only a few. */
  samples: number;
}

const PAGE_BYTES = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim());
const SAMPLE_MS = 100;

/** ppid and RSS (bytes) of every live process, from one pass over /proc/<pid>/stat. */
function processTable(): Map<number, { ppid: number; rss: number }> {
  const table = new Map<number, { ppid: number; rss: number }>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited between readdir and read
    }
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.set(Number(entry), { ppid: Number(fields[1]), rss: Number(fields[21]) * PAGE_BYTES });
  }
  return table;
}

/** Sum of RSS of `root` and all its descendants right now. */
export function treeRss(root: number): number {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  let total = 0;
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    total += table.get(pid)?.rss ?? 0;
    queue.push(...(children.get(pid) ?? []));
  }
  return total;
}

/**
 * Runs `cmd args` with stdout+stderr appended to `log`; resolves with the measurement, rejects
 * (naming the log) on a non-zero exit.
 */
export function measure(cmd: string, args: string[], log: string, cwd: string): Promise<Measurement> {
  fs.appendFileSync(log, `\n$ ${cmd} ${args.join(" ")}\n`);
  const fd = fs.openSync(log, "a");
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", fd, fd] });
    let peak = 0;
    let samples = 0;
    const sample = () => {
      if (child.pid === undefined) return;
      peak = Math.max(peak, treeRss(child.pid));
      samples++;
    };
    const timer = setInterval(sample, SAMPLE_MS);
    child.once("spawn", sample);
    child.once("error", (err) => {
      clearInterval(timer);
      fs.closeSync(fd);
      reject(err);
    });
    child.once("exit", (code, signal) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      clearInterval(timer);
      fs.closeSync(fd);
      if (code === 0) resolve({ seconds, peakMiB: peak / 2 ** 20, samples });
      else {
        const tail = fs.readFileSync(log, "utf8").trimEnd().split("\n").slice(-15).join("\n");
        reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}); end of ${log}:\n${tail}`));
      }
    });
  });
}
