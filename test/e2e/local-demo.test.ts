/**
 * The local demo's own commands, as a new user runs them from a plain shell (no toolchain on
 * PATH, no Pulumi variables), in a second checkout of this repository so the user's own demo in
 * this one is never touched. It runs while the tests' own cluster is up, which is the README's
 * order (`npm run local`, then `npm test`): the two must share no folder, port or stack.
 * Steps run in order and build on each other.
 */
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clusterDir, kubectl, REAL_NODE, repo } from "./harness";

const checkout = path.join(repo, ".local/test/demo-checkout");
let nextSteps: string[] = [];

/** The environment of a user's shell: none of the toolchain, Pulumi or test settings. */
function userEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(PULUMI_|ASCEND_|KUBECONFIG$|VITEST|npm_)/.test(k)));
  const cache = process.env.ASCEND_CACHE ?? "";
  env.PATH = (process.env.PATH ?? "")
    .split(":")
    .filter((d) => d && !d.startsWith(cache) && !d.includes("node_modules"))
    .join(":");
  return env;
}

/**
 * Runs a command line as printed (e.g. `npm run local:preview`) in the second checkout; async, so
 * the test worker stays responsive during the minute an `npm run local` takes.
 */
function run(commandLine: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", commandLine], { cwd: checkout, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGTERM"), 12 * 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) console.log(`--- ${commandLine} (exit ${code}) ---\n${out.slice(-4000)}`);
      resolve({ code: code ?? -1, out });
    });
  });
}

function server(kubeconfigFile: string): string {
  return parse(fs.readFileSync(kubeconfigFile, "utf8")).clusters[0].cluster.server;
}

const demoCluster = () => path.join(checkout, ".local/cluster");
/** scripts/cluster.sh's default API server port (the demo has no port offset). */
const DEFAULT_APISERVER_PORT = 16443;
const demoServer = () => server(path.join(demoCluster(), "kubeconfig"));

/** Occupies a port on loopback the way an unrelated program would. */
function holdPort(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once("error", reject);
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}

beforeAll(() => {
  clusterDir(); // only under `npm test`
  fs.rmSync(checkout, { recursive: true, force: true });
  fs.mkdirSync(checkout, { recursive: true });
  // A second checkout of the same sources: links to the code, its own stack files and .local/.
  for (const entry of [
    "components",
    "docker",
    "index.ts",
    "node_modules",
    "package.json",
    "package-lock.json",
    "policy",
    "scripts",
    "toolchain",
    "tsconfig.json",
    "tsconfig.pulumi.json",
  ]) {
    if (fs.existsSync(path.join(repo, entry))) fs.symlinkSync(path.join(repo, entry), path.join(checkout, entry));
  }
  for (const file of ["Pulumi.yaml", "Pulumi.local.yaml"]) fs.copyFileSync(path.join(repo, file), path.join(checkout, file));
});

afterAll(() => {
  if (fs.existsSync(path.join(checkout, "scripts"))) {
    spawnSync("bash", [path.join(checkout, "scripts/cluster.sh"), "stop", "--purge"], { cwd: checkout, env: userEnv(), stdio: "ignore" });
  }
  fs.rmSync(checkout, { recursive: true, force: true });
  // The demo took the machine's one real node: the suites that need it claim it back (claimRealNode).
});

describe.sequential("the local demo's commands", () => {
  it("npm run local comes up beside the tests' cluster, sharing no folder, port or state with it", async () => {
    const r = await run("npm run local");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Done: the local stack is up");
    // The training job as Volcano ran it: state line, its two pods on their nodes, the rank table.
    expect(r.out).toMatch(/^llama2-pretrain\s+Running\s+2\s+2\s/m);
    expect(r.out).toMatch(/^llama2-pretrain-main-0\s+llama2-pretrain\s+main\s+ascend-node-\d+\s+127\.0\.10\.\d+\s+Running/m);
    expect(r.out).toMatch(/^llama2-pretrain-work-0\s+llama2-pretrain\s+work\s+ascend-node-\d+\s+127\.0\.10\.\d+\s+Running/m);
    expect(r.out).toContain("rank table of llama2-pretrain (configmap1980-llama2-pretrain): completed, 2 server(s), 16 rank(s)");
    // The P/D deployment runs on the real node (which moved to the demo's cluster: one per
    // machine) and answered; the printed command, pasted into a plain shell, gets an answer too.
    // scripts/test.sh starts this suite while the tests' cluster has the node: it moves, and the
    // tests' cluster no longer lists it (its other suites run kwok-only meanwhile).
    expect(r.out).toContain(`the real node moves here from the cluster in ${clusterDir()}`);
    expect(kubectl("get", "nodes", "-o", "name")).not.toContain(`node/${REAL_NODE.name}`);
    expect(r.out).toMatch(
      /P\/D deployment qwen-pd .* answered a completion request: prefill on cards \S+ \(port 8088\), then decode on cards \S+ \(port 8089\)/,
    );
    const paste = /^ {2}(curl -s http:\/\/\S+\/v1\/completions .*)$/m.exec(r.out)?.[1];
    expect(paste, "the printed completion command").toBeDefined();
    const answer = JSON.parse(execFileSync("bash", ["-c", paste!], { encoding: "utf8", env: userEnv() }));
    expect(answer).toMatchObject({
      object: "text_completion",
      model: "qwen2-7b",
      served_by: { prefill: { role: "prefill" }, decode: { role: "decode" } },
    });
    nextSteps = [...r.out.matchAll(/^ {2}(npm run [^#\n]*?)\s*(#.*)?$/gm)].map((m) => m[1]);
    expect(nextSteps).toEqual(expect.arrayContaining(["npm run local:preview", "npm run local:destroy", "npm run local:stop"]));
    // Two clusters side by side: other folders, other API server addresses, other state.
    expect(path.resolve(clusterDir())).not.toBe(path.resolve(demoCluster()));
    expect(demoServer()).not.toBe(server(process.env.KUBECONFIG!));
    expect(process.env.PULUMI_BACKEND_URL).not.toContain(checkout);
    expect(fs.existsSync(path.join(checkout, ".local/state/.pulumi/stacks/ascend-stack/local.json"))).toBe(true);
    // The demo's objects are in the demo's cluster only; the tests' cluster still answers.
    const demoPods = execFileSync(
      "kubectl",
      ["--kubeconfig", path.join(demoCluster(), "kubeconfig"), "get", "deployments", "-n", "default", "-o", "name"],
      { encoding: "utf8" },
    );
    expect(demoPods).toContain("deployment.apps/qwen-pd-prefill-0");
    expect(kubectl("get", "deployments", "-n", "default", "-o", "name")).not.toContain("qwen-pd-prefill-0");
  });

  it("the printed next steps work as printed from a plain shell", async () => {
    const preview = await run("npm run local:preview");
    expect(preview.code).toBe(0);
    expect(preview.out).toMatch(/\d+ unchanged/);
    // The policy pack ran (docs/policy-pack.md) and the demo violates none of its policies.
    expect(preview.out).toMatch(/Policy Packs run:\s+Name\s+Version\s+ascend-stack\|local\|\S+\/policy\s+0\.1\.0/);
    expect(preview.out).not.toMatch(/\[(mandatory|advisory)\]/);
    expect(preview.out).not.toMatch(/to (create|update|delete|replace)/);
    for (const line of nextSteps.filter((l) => l.startsWith("npm run local:pulumi") || l.startsWith("npm run local:kubectl"))) {
      const r = await run(line);
      expect(r.code, line).toBe(0);
    }
    expect((await run("npm run local:pulumi -- stack output namespace --stack local")).out).toContain("default");
  });

  it("after `npm run local:stop -- --purge` and with its old port taken, npm run local brings the demo up again", async () => {
    const oldServer = demoServer();
    expect((await run("npm run local:stop -- --purge")).code).toBe(0);
    expect(fs.existsSync(demoCluster())).toBe(false);
    const blocker = await holdPort(Number(new URL(oldServer).port));
    // A purged cluster's first choice is the default port, which is the old one unless another
    // program held it when the demo first started (other checkouts' clusters on a shared machine):
    // make sure it is taken now too, so the new cluster has to move either way.
    const blockers = [blocker, await holdPort(DEFAULT_APISERVER_PORT).catch(() => undefined)];
    try {
      const r = await run("npm run local");
      expect(r.code).toBe(0);
      expect(r.out).toContain("state belongs to another cluster");
      expect(r.out).toContain("resetting its state");
      expect(r.out).toMatch(/port \d+ for kube-apiserver is in use/);
      expect(demoServer()).not.toBe(oldServer);
      expect(r.out).toContain("Done: the local stack is up");
    } finally {
      for (const b of blockers) b?.close();
    }
    const preview = await run("npm run local:preview");
    expect(preview.code).toBe(0);
    expect(preview.out).not.toMatch(/to (create|update|delete|replace)/);
  });

  it("npm run local also recovers from a stopped cluster and a killed run's lock", async () => {
    expect((await run("npm run local:stop")).code).toBe(0);
    // A lock file as a `pulumi up` killed with SIGKILL leaves it.
    const locks = path.join(checkout, ".local/state/.pulumi/locks/organization/ascend-stack/local");
    fs.mkdirSync(locks, { recursive: true });
    const dead = spawnSync("true").pid;
    fs.writeFileSync(
      path.join(locks, "killed-run.json"),
      JSON.stringify({ pid: dead, username: "u", hostname: os.hostname(), timestamp: new Date().toISOString() }),
    );
    const r = await run("npm run local");
    expect(r.code).toBe(0);
    expect(r.out).toContain("Removing the lock of an earlier run");
    expect(r.out).not.toContain("resetting its state");
    expect(r.out).toContain("Done: the local stack is up");
  });

  it("npm run local:destroy and npm run local:stop -- --purge, as printed, tear it down", async () => {
    const d = await run("npm run local:destroy");
    expect(d.code).toBe(0);
    const left = execFileSync(
      "kubectl",
      [
        "--kubeconfig",
        path.join(demoCluster(), "kubeconfig"),
        "get",
        "deployments,daemonsets,secrets,pv",
        "-A",
        "-l",
        "app.kubernetes.io/part-of=ascend-stack",
        "-o",
        "name",
      ],
      { encoding: "utf8" },
    );
    expect(left.trim().split("\n")).toEqual(["persistentvolume/sfs-turbo-local"]);
    expect((await run("npm run local:stop -- --purge")).code).toBe(0);
    expect(fs.existsSync(demoCluster())).toBe(false);
    // The tests' own cluster was never affected.
    expect(kubectl("get", "nodes", "-o", "name")).toContain("node/ascend-node-0");
  });
});
