/**
 * Runs one command and measures its wall time, its peak memory and the CPU time of each program
 * in its process tree, sampled from /proc: `pulumi` does little itself, the work happens in the
 * engine, the language host, the Node.js program and the provider plugins it spawns, so the
 * root's numbers alone would understate it several times over.
 */
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";

export interface Measurement {
  seconds: number;
  /** Peak of the summed RSS of the whole process tree. */
  peakMiB: number;
  /** CPU seconds (user + system) per program name, as last sampled (a process's final 100 ms may be missed). */
  cpu: Record<string, number>;
  /** Peak RSS per program name (the largest process of that name). */
  peakByProgram: Record<string, number>;
  /** 1-minute load average just before the command started: how busy the machine was. */
  loadBefore: number;
}

const PAGE_BYTES = Number(execFileSync("getconf", ["PAGESIZE"], { encoding: "utf8" }).trim());
const TICKS = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
const SAMPLE_MS = 100;

interface Proc {
  ppid: number;
  name: string;
  rss: number;
  cpuSeconds: number;
}

/** Every live process, from one pass over /proc/<pid>/stat. */
function processTable(): Map<number, Proc> {
  const table = new Map<number, Proc>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited between readdir and read
    }
    // The command name (field 2) may hold spaces and parentheses: split after its last ')'.
    const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    table.set(Number(entry), {
      ppid: Number(fields[1]),
      name,
      rss: Number(fields[21]) * PAGE_BYTES,
      cpuSeconds: (Number(fields[11]) + Number(fields[12])) / TICKS,
    });
  }
  return table;
}

/** `root` and all its descendants right now. */
export function processTree(root: number): Map<number, Proc> {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, { ppid }] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const tree = new Map<number, Proc>();
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop()!;
    const proc = table.get(pid);
    if (proc) tree.set(pid, proc);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/**
 * Runs `cmd args` with stdout+stderr appended to `log`; resolves with the measurement, rejects
 * (naming the log) on a non-zero exit.
 */
export function measure(cmd: string, args: string[], log: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Measurement> {
  fs.appendFileSync(log, `\n$ ${cmd} ${args.join(" ")}\n`);
  const fd = fs.openSync(log, "a");
  const loadBefore = os.loadavg()[0];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", fd, fd] });
    let peak = 0;
    const lastCpu = new Map<number, { name: string; cpuSeconds: number }>();
    const peakByProgram: Record<string, number> = {};
    const sample = () => {
      if (child.pid === undefined) return;
      let total = 0;
      for (const [pid, proc] of processTree(child.pid)) {
        total += proc.rss;
        lastCpu.set(pid, { name: proc.name, cpuSeconds: proc.cpuSeconds });
        peakByProgram[proc.name] = Math.max(peakByProgram[proc.name] ?? 0, proc.rss / 2 ** 20);
      }
      peak = Math.max(peak, total);
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
      const cpu: Record<string, number> = {};
      for (const { name, cpuSeconds } of lastCpu.values()) cpu[name] = (cpu[name] ?? 0) + cpuSeconds;
      if (code === 0) resolve({ seconds, peakMiB: peak / 2 ** 20, cpu, peakByProgram, loadBefore });
      else {
        const tail = fs.readFileSync(log, "utf8").trimEnd().split("\n").slice(-15).join("\n");
        reject(new Error(`${cmd} ${args.slice(0, 3).join(" ")} failed (${signal ?? `exit ${code}`}); end of ${log}:\n${tail}`));
      }
    });
  });
}
