/**
 * The product on the local cluster's real node (kubelet, containerd, runc): images pre-pulled
 * into containerd, the P/D deployment answering through scheduler -> prefill -> decode by its
 * Service name, recovery after a decode pod is deleted, a one-node Volcano training job that runs
 * its command and completes, and the start_servers.sh stand-in refusing the manual's violations.
 * Steps run in order and build on each other.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANUAL_BASE_IMAGE } from "../../components/images/config";
import { claimRealNode, clusterDir, ExampleStack, REAL_NODE, runOnRealNode, upOps } from "./harness";
import { eventually } from "./poll";

const STACK = "e2e-real";
const VOLUME = "sfs-e2e-real";
const SHARE_ID = "00000000-0000-4000-8000-0000000000e2";
const SERVICE = `qwen-pd.${STACK}.svc.cluster.local:9000`;
/** How long the deployment may take to answer again after one decode pod is deleted. */
const RECOVERY_BOUND_S = 180;
/** The one-node training job: checks the manual's env, mounts and /dev/shm, writes to the share. */
const TRAIN_COMMAND = [
  "set -e",
  'test "$framework" = PyTorch && test -n "$name" && test "$ip" = ' + REAL_NODE.ip,
  "grep -q ' /dev/shm tmpfs' /proc/mounts",
  "for p in /usr/local/Ascend/driver /usr/local/Ascend/add-ons /etc/localtime /etc/hccn.conf /usr/local/sbin/npu-smi /etc/ascend_install.info /var/log/npu; do test -e $p; done",
  'test "$(ls /dev | grep -c "^davinci[0-9]")" = 2',
  'echo "trained by $name on $ip" > /mnt/sfs_turbo/e2e-train-marker',
].join("; ");

const ctr = (...args: string[]) =>
  execFileSync("ctr", ["-a", path.join(clusterDir(), "node/containerd/containerd.sock"), "-n", "k8s.io", ...args], { encoding: "utf8" });

let s: ExampleStack;

/** Runs a one-shot pod of the manual's base image on the real node and returns its log. */
const runClientPod = (name: string, python: string, hostNetwork = false) => runOnRealNode(s, name, MANUAL_BASE_IMAGE, python, hostNetwork);

/** A completion request by the Service's DNS name, from a pod (cluster DNS + kube-proxy). */
const COMPLETION = `
import json, urllib.request
req = urllib.request.Request("http://${SERVICE}/v1/completions", data=json.dumps({"model": "qwen2-7b", "prompt": "What is an NPU?", "max_tokens": 4}).encode(), headers={"content-type": "application/json"})
r = urllib.request.urlopen(req, timeout=20)
print(json.dumps({"status": r.status, "body": json.loads(r.read())}))
`;

const TABLES = "/var/run/ascend-stack/ranktable";
const START_SERVERS = "/home/ma-user/AscendCloud/AscendCloud-LLM/llm_tools/PD_separate/start_servers.sh";

/** Runs the stand-in five times, each breaking one rule of the manual; prints {case: {rc, err}}. */
function violationsScript(tables: Record<string, string>): string {
  return `
import json, os, subprocess
t = json.loads(${JSON.stringify(JSON.stringify(tables))})
for k, v in t.items():
    open("/tmp/%s.json" % k, "w").write(v)
base = ["sh", "${START_SERVERS}", "--model=/mnt/sfs_turbo/m", "--tensor-parallel-size=2", "--max-model-len=4096", "--max-num-batched-tokens=4096", "--host=127.0.0.1"]
ok_proxy = "localhost,127.0.0.1,${REAL_NODE.ip}"
def run(port, **env):
    e = {k: v for k, v in os.environ.items() if k not in ("GLOBAL_RANK_TABLE_FILE_PATH", "RANK_TABLE_FILE_PATH")}
    e.update(env)
    p = subprocess.run(base + ["--port=%d" % port], env=e, capture_output=True, text=True, timeout=30)
    return {"rc": p.returncode, "err": p.stderr[-600:]}
print(json.dumps({
    "order": run(9101, GLOBAL_RANK_TABLE_FILE_PATH="/tmp/global.json", RANK_TABLE_FILE_PATH="/tmp/host.json", NODE_PORTS="8089,8088", no_proxy=ok_proxy),
    "proxy": run(9102, GLOBAL_RANK_TABLE_FILE_PATH="/tmp/global.json", RANK_TABLE_FILE_PATH="/tmp/host.json", NODE_PORTS="8088,8089", no_proxy="localhost,127.0.0.1"),
    "cards": run(9103, GLOBAL_RANK_TABLE_FILE_PATH="/tmp/global.json", RANK_TABLE_FILE_PATH="/tmp/prefill.json"),
    "missing": run(9104, GLOBAL_RANK_TABLE_FILE_PATH="/nonexistent.json", RANK_TABLE_FILE_PATH="/tmp/host.json"),
    "tables": run(9105, GLOBAL_RANK_TABLE_FILE_PATH="/tmp/global.json"),
}))
`;
}

/** Connects from a pod to each address; prints {address: "connected" | errno name}. */
const REACH = `
import errno, json, socket
out = {}
for host, port in [("192.0.2.1", 80), ("93.184.216.34", 80), ("10.244.0.9", 80), ("${REAL_NODE.ip}", 9000)]:
    try:
        socket.create_connection((host, port), timeout=5).close()
        out["%s:%d" % (host, port)] = "connected"
    except OSError as e:
        out["%s:%d" % (host, port)] = errno.errorcode.get(e.errno, str(e))
print(json.dumps(out))
`;

const podsOnRealNode = () =>
  (JSON.parse(s.kubectl("get", "pods", "-o", "json")).items as any[]).filter((p) => p.spec.nodeName === REAL_NODE.name);

beforeAll(async () => {
  claimRealNode();
  s = await ExampleStack.openRealNode(STACK, VOLUME);
  s.edit("storage", (st) => Object.assign(st.volumes[0], { shareId: SHARE_ID }));
  s.edit("training", (t) => {
    t.jobs = [
      {
        name: "real-train",
        nodes: 1,
        npus: 2,
        command: TRAIN_COMMAND,
        resources: { cpu: { request: "100m", limit: "1" }, memory: { request: "128Mi", limit: "512Mi" } },
      },
    ];
  });
});

afterAll(async () => {
  await s?.dispose(VOLUME);
});

describe.sequential("the real node", () => {
  let outputs: Record<string, any> = {};

  it("up succeeds; the images were pulled into containerd's k8s.io namespace before any workload pod started there", async () => {
    outputs = (await upOps(s)).outputs;
    expect(ctr("images", "ls", "-q")).toContain(MANUAL_BASE_IMAGE);
    const pods = podsOnRealNode();
    const prePull = pods.find((p) => p.metadata.labels["app.kubernetes.io/name"] === "image-prepull");
    expect(prePull, "a pre-pull pod on the real node").toBeDefined();
    const pulledAt = Date.parse(prePull.status.containerStatuses[0].state.running.startedAt);
    const workloads = pods.filter((p) => p !== prePull);
    expect(workloads.map((p) => p.metadata.labels["app.kubernetes.io/component"]).sort()).toEqual(
      expect.arrayContaining(["decode", "prefill", "scheduler"]),
    );
    for (const p of workloads) expect(Date.parse(p.metadata.creationTimestamp)).toBeGreaterThanOrEqual(pulledAt - 1000);
  });

  it("a completion by the Service name from a pod answers 200 through one prefill and one decode instance", async () => {
    const { phase, log } = await runClientPod("client", COMPLETION);
    expect(phase, log).toBe("Succeeded");
    const answer = JSON.parse(log.trim().split("\n").pop()!);
    expect(answer.status).toBe(200);
    expect(answer.body.object).toBe("text_completion");
    expect(answer.body.model).toBe("qwen2-7b");
    expect(answer.body.served_by.prefill).toMatchObject({ role: "prefill", port: 8088 });
    expect(answer.body.served_by.decode).toMatchObject({ role: "decode", port: 8089 });
    // Each instance holds its own two cards.
    const cards = [answer.body.served_by.prefill.cards, answer.body.served_by.decode.cards].map((c: string) => c.split(","));
    expect(cards.flat()).toHaveLength(new Set(cards.flat()).size);
    expect(outputs.inference["qwen-pd"].endpoint).toBe(SERVICE);
  });

  it("the scheduler started only after every instance answered", async () => {
    const health = JSON.parse(execFileSync("curl", ["-sf", `http://${REAL_NODE.ip}:9000/health`], { encoding: "utf8" }));
    expect(health.role).toBe("scheduler");
    expect(health.instances.map((x: any) => x.role)).toEqual(["prefill", "decode"]);
    for (const x of health.instances) expect(x.ready_at).toBeLessThan(health.started_at);
  });

  it(`after one decode pod is deleted, the deployment answers again within ${RECOVERY_BOUND_S}s`, async () => {
    const decode = s.kubectl("get", "pods", "-l", "app.kubernetes.io/component=decode", "-o", "name").trim();
    const started = Date.now();
    s.kubectl("delete", decode, "--wait=false");
    await eventually(
      () => {
        const pods = JSON.parse(s.kubectl("get", "pods", "-l", "app.kubernetes.io/component=decode", "-o", "json")).items as any[];
        return pods.length === 1 && `pod/${pods[0].metadata.name}` !== decode && pods[0].status.containerStatuses?.[0]?.ready;
      },
      RECOVERY_BOUND_S * 1000,
      "a new, ready decode pod",
    );
    const again = await eventually(
      () => {
        try {
          const out = execFileSync(
            "curl",
            [
              "-sf",
              "--max-time",
              "10",
              `http://${REAL_NODE.ip}:9000/v1/completions`,
              "-H",
              "content-type: application/json",
              "-d",
              JSON.stringify({ model: "qwen2-7b", prompt: "again", max_tokens: 2 }),
            ],
            { encoding: "utf8" },
          );
          return JSON.parse(out);
        } catch {
          return undefined;
        }
      },
      RECOVERY_BOUND_S * 1000 - (Date.now() - started),
      "an answer after the decode pod was replaced",
    );
    expect(again.served_by.decode.role).toBe("decode");
    console.log(`answered again ${((Date.now() - started) / 1000).toFixed(0)}s after the decode pod was deleted`);
  });

  it("the start_servers.sh stand-in refuses the manual's violations, each with its message", async () => {
    // Hand-written containers that bypass the stack (and its validation), given the live tables.
    const tableOf = (component: string, pattern: string) =>
      s.kubectl("exec", `deploy/qwen-pd-${component}`, "--", "sh", "-c", `cat ${TABLES}/${pattern}`);
    const tables = {
      global: tableOf("prefill-0", "global_ranktable_*.json"),
      host: tableOf("scheduler", "local_ranktable_*_host.json"),
      prefill: tableOf("prefill-0", "local_ranktable_*[0-9].json"),
    };
    const { phase, log } = await runClientPod("violations", violationsScript(tables), true);
    expect(phase, log).toBe("Succeeded");
    const r = JSON.parse(log.trim().split("\n").pop()!);
    for (const k of Object.keys(r)) expect(r[k].rc, `${k}: ${r[k].err}`).toBe(1);
    expect(r.order.err).toMatch(
      /NODE_PORTS is not in the global table's order: entry 0 is the prefill with cards \S+, but port 8089 serves the decode/,
    );
    expect(r.proxy.err).toContain(`no_proxy does not cover the P/D host(s) ${REAL_NODE.ip}`);
    expect(r.cards.err).toMatch(/the local table names cards \S+ but this container was given none/);
    expect(r.missing.err).toContain("GLOBAL_RANK_TABLE_FILE_PATH=/nonexistent.json: no such file");
    expect(r.tables.err).toContain("RANK_TABLE_FILE_PATH is not set");
  });

  it("traffic stays on this machine: off-machine and unserved cluster addresses fail locally", async () => {
    const route = (ip: string) => execFileSync("ip", ["route", "get", ip], { encoding: "utf8" });
    // kwok pod IPs, an unprogrammed service IP's fallback and the stand-in NPU addresses are refused here.
    for (const ip of ["10.244.7.7", "198.18.3.51"]) expect(() => route(ip)).toThrow();
    expect(route("10.96.0.1")).toMatch(/dev ascend-cni0/);
    expect(execFileSync("iptables", ["-S", "FORWARD"], { encoding: "utf8" })).toContain("-A FORWARD -j ASCEND-GUARD");
    // From a pod: no default route (the machine's gateway and the internet are unreachable at
    // once), kwok pod IPs are refused by the node; the node itself answers.
    const { phase, log } = await runClientPod("reach", REACH);
    expect(phase, log).toBe("Succeeded");
    const r = JSON.parse(log.trim().split("\n").pop()!);
    expect(r).toEqual({
      "192.0.2.1:80": "ENETUNREACH",
      "93.184.216.34:80": "ENETUNREACH",
      "10.244.0.9:80": "EHOSTUNREACH",
      [`${REAL_NODE.ip}:9000`]: "connected",
    });
  });

  it("the one-node training job runs its command in a real container with the manual's mounts, env and /dev/shm, and completes", async () => {
    const phase = await eventually(
      () => {
        const p = s.kubectl("get", "jobs.batch.volcano.sh", "real-train", "-o", "jsonpath={.status.state.phase}");
        return (p === "Completed" || p === "Failed" || p === "Aborted") && p;
      },
      180_000,
      "the training job to finish",
    );
    expect(phase).toBe("Completed");
    const marker = path.join(clusterDir(), "node/sfs-turbo", SHARE_ID, "e2e-train-marker");
    expect(fs.readFileSync(marker, "utf8")).toMatch(new RegExp(`^trained by real-train-\\S+ on ${REAL_NODE.ip.replace(/\./g, "\\.")}`));
  });
});
