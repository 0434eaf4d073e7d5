// The vllm-ascend launcher (components/inference/vllmAscend/vllm_ascend_pd.py), run for real with
// a fake server: one process per data-parallel rank with its port, rank and card slice; one rank
// exiting stops the others; the probe and the proxy's wait.
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const LAUNCHER = path.resolve(__dirname, "../../components/inference/vllmAscend/vllm_ascend_pd.py");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "vllm-launcher-"));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A fake `vllm serve`: records its argv and devices, then exits with $FAKE_EXIT after $FAKE_SLEEP s (rank 1 only, if set). */
const FAKE = path.join(dir, "fake_server.py");
fs.writeFileSync(
  FAKE,
  `import json, os, sys, time
argv = sys.argv[1:]
rank = argv[argv.index("--data-parallel-rank") + 1] if "--data-parallel-rank" in argv else "0"
with open(os.path.join(${JSON.stringify(dir)}, "rank-" + rank + ".json"), "w") as f:
    json.dump({"argv": argv, "devices": os.environ.get("ASCEND_RT_VISIBLE_DEVICES")}, f)
if rank == "1" and os.environ.get("FAKE_EXIT"):
    time.sleep(1); sys.exit(int(os.environ["FAKE_EXIT"]))
time.sleep(60)
`,
);

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const p = spawn("python3", [LAUNCHER, ...args], { env: { ...process.env, ...env }, stdio: "ignore" });
    p.on("exit", (code) => resolve({ code, ms: Date.now() - started }));
  });
}
const recorded = (rank: number) => JSON.parse(fs.readFileSync(path.join(dir, `rank-${rank}.json`), "utf8"));

describe("vllm_ascend_pd.py launch", () => {
  it("starts one server per rank (port, rank, its tp cards); when rank 1 exits 3, rank 0 is stopped and the launcher exits 3", async () => {
    const r = await run(
      ["launch", "--api-port", "9100", "--data-parallel-size", "2", "--tensor-parallel-size", "2", "--", "python3", FAKE, "serve", "/m"],
      {
        FAKE_EXIT: "3",
      },
    );
    expect(r.code).toBe(3);
    expect(r.ms).toBeLessThan(30_000); // rank 0 would sleep 60 s had it not been stopped
    expect(recorded(0)).toEqual({ argv: ["serve", "/m", "--port", "9100", "--data-parallel-rank", "0"], devices: "0,1" });
    expect(recorded(1)).toEqual({ argv: ["serve", "/m", "--port", "9101", "--data-parallel-rank", "1"], devices: "2,3" });
  });

  it("one rank: the server replaces the launcher with --port only, every card visible", async () => {
    fs.rmSync(path.join(dir, "rank-0.json"), { force: true });
    const p = spawn("python3", [LAUNCHER, "launch", "--api-port", "9200", "--", "python3", FAKE, "serve", "/m"], { stdio: "ignore" });
    await new Promise((r) => setTimeout(r, 1500));
    const cmdline = fs.readFileSync(`/proc/${p.pid}/cmdline`, "utf8").split("\0");
    p.kill("SIGKILL");
    expect(cmdline.slice(0, 2)).toEqual(["python3", FAKE]); // exec'd: same pid, the server's argv
    expect(recorded(0)).toEqual({ argv: ["serve", "/m", "--port", "9200"], devices: null });
  });
});

describe("ports-open and wait", () => {
  it("ports-open fails while a port is closed and passes once every port listens; wait returns once every address answers", async () => {
    const server = net.createServer().listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const open = (server.address() as net.AddressInfo).port;
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    expect(spawnSync("python3", [LAUNCHER, "ports-open", String(open), String(closed)]).status).toBe(1);
    expect(spawnSync("python3", [LAUNCHER, "ports-open", String(open)]).status).toBe(0);
    const waiting = run(["wait", `localhost:${open}`, `127.0.0.1:${closed}`]);
    await new Promise((r) => setTimeout(r, 2500));
    const late = net.createServer().listen(closed, "127.0.0.1");
    expect((await waiting).code).toBe(0);
    late.close();
    server.close();
  });
});
