// Runs the real rendezvous.py (python3) the way a pod does: temp dirs, the wrapper as a child
// process, and polling helpers. Shared by the rendezvous and NPU-exclusivity tests.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterEach } from "vitest";
import { createHash } from "node:crypto";
import { rendezvousManifest } from "../../components/inference/modes/devicePlugin";
import type { ResolvedDeployment } from "../../components/inference/topology";

export const ANNOTATION = "cce.kubectl.kubernetes.io/ascend-1980-configuration";

/** Writes the manifest and one entry per instance, as the pods would, for a resolved inventory deployment. */
export function rendezvousFixture(dep: ResolvedDeployment) {
  const dir = tmp();
  const entries = path.join(dir, "entries");
  fs.mkdirSync(entries);
  const manifest = JSON.stringify(rendezvousManifest(dep));
  fs.writeFileSync(path.join(dir, "manifest.json"), manifest);
  // Entries carry the digest of the manifest they were written for (stale ones are ignored).
  const digest = createHash("sha256").update(manifest).digest("hex");
  const write = (instance: string, role: string, index: number, ip: string, devices: { device_id: string; device_ip: string }[]) =>
    fs.writeFileSync(
      path.join(entries, `${instance}.json`),
      JSON.stringify({ instance, role, index, server_ip: ip, devices, pod_uid: `uid-${instance}`, manifest_digest: digest }),
    );
  write(dep.scheduler.name, "scheduler", 0, dep.scheduler.node!.hostIP, []);
  for (const x of dep.instances)
    write(
      x.name,
      x.role,
      x.index,
      x.node!.hostIP,
      x.devices!.map((id) => ({ device_id: String(id), device_ip: x.node!.deviceIPs[String(id)] })),
    );
  return { dir, entries, manifest: path.join(dir, "manifest.json") };
}

export const SCRIPT = path.join(__dirname, "../../components/inference/rendezvous.py");

const temps: string[] = [];
/** A temp dir removed after the current test. */
export function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "pd-rdzv-"));
  temps.push(d);
  return d;
}
afterEach(() => {
  for (const d of temps.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Runs a pure subcommand and returns its stdout (throws with stderr on failure). */
export function py(args: string[]): string {
  const r = spawnSync("python3", [SCRIPT, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`rendezvous.py ${args[0]} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** Runs the wrapper as a pod would and collects its exit code. */
export function runWrapper(args: string[], env: Record<string, string>) {
  const child = spawn("python3", [SCRIPT, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (b) => (stderr += b));
  const exited = new Promise<number>((resolve) => child.on("exit", (code) => resolve(code ?? -1)));
  return { child, exited, log: () => stderr };
}

export async function waitFor(check: () => boolean, what: string, ms = 10_000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The argv of `rendezvous.py run` for `instance`, as the device-plugin pods run it (poll 0.1 s, a python fake server). */
export function runArgs(
  f: { manifest: string; entries: string },
  instance: string,
  out: string,
  annotations: string,
  server: string,
): string[] {
  return [
    ...["run", "--manifest", f.manifest, "--instance", instance, "--dir", f.entries, "--out", out],
    ...["--annotations", annotations, "--annotation-key", ANNOTATION, "--poll", "0.1"],
    ...["--", "python3", "-c", server],
  ];
}
