// Issue 7 §4 "validation holes": each broken input is rejected with its config path and the rule.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { stackConfigFromYaml } from "../../components/config/stackFile";
import { sortConfigKeys } from "../../components/config/stackKeys";
import { validateStackConfig } from "../../components/config/validate";
import { rankTableProblems } from "../../components/inference/ranktableCheck";
import { DEVICE_PLUGIN, inferenceRaw, MANUAL_1P1D, NODE_18 } from "./fixtures/inference/configs";
import { issuesOf, rawConfig, SFS_VOLUME } from "./helpers";

const D = "inference.deployments";
const expectIssue = (raw: unknown, at: string, message: RegExp) => {
  const issues = issuesOf(raw);
  expect(issues, JSON.stringify(issues, null, 2).slice(0, 4000)).toContainEqual({ path: at, message: expect.stringMatching(message) });
  return issues;
};
const job = (patch: Record<string, unknown>) => rawConfig({ training: { jobs: [{ name: "vcjob", command: "sh run.sh", ...patch }] } });
const fileIssues = (text: string) => stackConfigFromYaml(text).issues;

const repo = path.resolve(__dirname, "../..");
const validateFile = (bytes: Buffer | string) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "holes-")), "Pulumi.x.yaml");
  fs.writeFileSync(file, bytes);
  return spawnSync(process.execPath, [path.join(repo, "node_modules/tsx/dist/cli.mjs"), path.join(repo, "scripts/validate.ts"), file], {
    encoding: "utf8",
  });
};

describe("derived names", () => {
  it("checks <name>-prefill-<k>, one character longer than -decode-", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, name: "q".repeat(53), prefill: 11, decode: 1 }]),
      `${D}[0].name`,
      /derived name "q+-prefill-10" is 64 characters; Kubernetes allows at most 63/,
    );
  });
});

describe("extended resource name", () => {
  it("needs a domain", () => {
    expectIssue(
      rawConfig({ accelerator: { resourceName: "ascend-1980" } }),
      "accelerator.resourceName",
      /has no domain: extended resources are domain-prefixed/,
    );
  });
  it("rejects the kubernetes.io domain", () => {
    expectIssue(
      rawConfig({ accelerator: { resourceName: "kubernetes.io/npu" } }),
      "accelerator.resourceName",
      /reserved for Kubernetes' own resources/,
    );
  });
});

describe("stack file structure", () => {
  it("keeps an ascend-stack:__proto__ key and reports it", () => {
    const parsed = stackConfigFromYaml("config:\n  ascend-stack:__proto__:\n    a: 1\n");
    expect(Object.keys(parsed.raw)).toEqual(["__proto__"]);
    expect(issuesOf(parsed.raw)).toContainEqual({ path: "__proto__", message: expect.stringMatching(/unknown config key/) });
  });
  it("reports __proto__ keys nested anywhere (zod records drop them silently)", () => {
    expectIssue(job({ env: JSON.parse('{"__proto__": "x"}') }), "training.jobs[0].env.__proto__", /JavaScript reserves __proto__/);
  });
  it("a typo'd project namespace says what it probably meant", () => {
    expect(fileIssues("config:\n  ascend-stak:training:\n    jobs: []\n")).toEqual([
      {
        path: "ascend-stak:training",
        message: expect.stringMatching(/unknown config namespace "ascend-stak" \(did you mean "ascend-stack"\?\).*would be ignored/),
      },
    ]);
  });
  it("any namespace nothing reads is an error; the providers' are not", () => {
    expect(fileIssues("config:\n  aws:region: x\n  kubernetes:context: c\n  pulumi:tags: {}\n").map((i) => i.path)).toEqual(["aws:region"]);
  });
  it("the Pulumi program sorts keys the same way", () => {
    const sorted = sortConfigKeys(
      [
        ["ascend-stak:training", "{}"],
        ["ascend-stack:__proto__", 1],
      ],
      () => false,
    );
    expect(sorted.issues.map((i) => i.path)).toEqual(["ascend-stak:training"]);
    expect(Object.keys(sorted.raw)).toEqual(["__proto__"]);
  });
  it("a typo'd top-level key is an error with a suggestion", () => {
    expect(fileIssues("confg:\n  ascend-stack:training: {}\n")).toEqual([
      { path: "confg", message: expect.stringMatching(/unknown top-level key of a stack file \(did you mean "config"\?\)/) },
    ]);
    expect(fileIssues("config: {}\nsecretsprovider: passphrase\nencryptionsalt: x\nencryptedkey: y\nenvironment: [e]\n")).toEqual([]);
  });
  it("prose, a list and junk are not stack files", () => {
    expect(fileIssues("this is just prose")).toEqual([
      { path: "", message: expect.stringMatching(/must be a YAML mapping with a config: key, but this file is a string/) },
    ]);
    expect(fileIssues("- a\n- b\n")).toEqual([{ path: "", message: expect.stringMatching(/but this file is a list/) }]);
    expect(fileIssues("\u0001\u0002: [\n")[0]).toMatchObject({ path: "", message: expect.stringMatching(/not valid YAML/) });
  });
  it("the validate command does not call junk valid", () => {
    const r = validateFile("just some prose\n");
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/\(root\): a stack file must be a YAML mapping/);
  });
});

describe("config: that is not a mapping", () => {
  it("is one problem, not one per element or character", () => {
    expect(fileIssues("config: [a, b, c]\n")).toEqual([
      { path: "config", message: "config must be a mapping of <namespace>:<key> entries, but it is a list" },
    ]);
    expect(fileIssues("config: hello\n")).toEqual([
      { path: "config", message: expect.stringMatching(/config must be a mapping.*a string/) },
    ]);
  });
});

describe("values Kubernetes or Volcano would refuse", () => {
  it("node-selector keys and values", () => {
    const issues = expectIssue(
      rawConfig({ accelerator: { nodeSelector: { "bad key/x/y": "ok" } } }),
      "accelerator.nodeSelector.bad key/x/y",
      /node-selector key .*more than one '\/'/,
    );
    expect(issuesOf(rawConfig({ accelerator: { nodeSelector: { "accelerator/huawei-npu": "ascend 1980" } } }))).toContainEqual({
      path: "accelerator.nodeSelector.accelerator/huawei-npu",
      message: expect.stringMatching(/node-selector value "ascend 1980" is not a valid label value/),
    });
    expect(issues.map((i) => i.path)).toContain("accelerator.nodeSelector.bad key/x/y");
  });
  it("accelerator.profile is a label value", () => {
    expectIssue(
      rawConfig({ accelerator: { profile: "ascend/1980" } }),
      "accelerator.profile",
      /ring-controller.cce label value.*not a valid label value/,
    );
  });
  it("the pull Secret name is a DNS subdomain", () => {
    expectIssue(
      rawConfig({ registry: { server: "swr.example", username: "u", pullSecretName: "SWR_secret" } }),
      "registry.pullSecretName",
      /Secret name "SWR_secret" must be a lower-case RFC 1123 subdomain/,
    );
  });
  it("StorageClass names are DNS subdomains", () => {
    expectIssue(
      rawConfig({ storage: { volumes: [{ ...SFS_VOLUME, storageClassName: "CSI SFS" }] } }),
      "storage.volumes[0].storageClassName",
      /StorageClass name/,
    );
  });
  it("integers that land in int32 fields", () => {
    expectIssue(job({ nodes: 1e12 }), "training.jobs[0].nodes", /at most 2147483647: Kubernetes and Volcano store it as a 32-bit integer/);
    expectIssue(job({ maxRetry: 2 ** 31 }), "training.jobs[0].maxRetry", /32-bit/);
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, vllm: { maxModelLen: 2 ** 40 } }]), `${D}[0].vllm.maxModelLen`, /32-bit/);
    expectIssue(inferenceRaw([{ ...DEVICE_PLUGIN, prefill: 1e9 }]), `${D}[0].prefill`, /at most 1024/);
  });
  it("a training mountPath must not overlap the job's own mounts", () => {
    expectIssue(
      job({ mountPath: "/dev/shm" }),
      "training.jobs[0].mountPath",
      /overlaps \/dev\/shm, where the job mounts the job's in-memory \/dev\/shm/,
    );
    expectIssue(job({ mountPath: "/usr/local" }), "training.jobs[0].mountPath", /overlaps \/usr\/local\/Ascend\/driver/);
    expectIssue(job({ mountPath: "/var/log/npu/data" }), "training.jobs[0].mountPath", /overlaps \/var\/log\/npu\//);
  });
  it("an inference mountPath must not overlap the containers' own mounts", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, mountPath: "/etc/ascend-stack", model: "/etc/ascend-stack/m" }]),
      `${D}[0].mountPath`,
      /overlaps \/etc\/ascend-stack\/pd/,
    );
  });
  it("a single value over 64 KiB, and objects over 1 MiB", () => {
    expectIssue(job({ command: "x".repeat(70 * 1024) }), "training.jobs[0].command", /is 70 KiB; a single value may be at most 64 KiB/);
    const env = Object.fromEntries(Array.from({ length: 20 }, (_, k) => [`V${k}`, "y".repeat(60 * 1024)]));
    expectIssue(
      job({ env }),
      "training.jobs[0]",
      /makes the Volcano Job "vcjob" about 1\.\d\d MiB; Kubernetes stores an object of at most 1 MiB/,
    );
  });
});

describe("inventory card ids and IPs", () => {
  it("rejects non-canonical card ids", () => {
    expectIssue(
      inferenceRaw([], [{ ...NODE_18, deviceIPs: { "0": "29.18.0.10", "00": "29.18.0.99" } }]),
      "inference.nodes[0].deviceIPs.00",
      /device id "00" must be written without leading zeros/,
    );
  });
  it("a card's RoCE IP must not be a host IP (its own node's or another's)", () => {
    const raw = inferenceRaw(
      [],
      [
        { ...NODE_18, deviceIPs: { "0": "10.0.0.18", "1": "10.0.0.19" } },
        { hostname: "npu-node-19", hostIP: "10.0.0.19", deviceIPs: {} },
      ],
    );
    const issues = expectIssue(raw, "inference.nodes[0].deviceIPs.0", /device IP 10.0.0.18 is the host IP of inference.nodes\[0\]/);
    expect(issues).toContainEqual({
      path: "inference.nodes[0].deviceIPs.1",
      message: expect.stringMatching(/host IP of inference.nodes\[1\] \("npu-node-19"\)/),
    });
  });
});

describe("managed flags in extraArgs", () => {
  it("rejects --port=… in vllm.extraArgs and says which key to use", () => {
    expectIssue(
      inferenceRaw([{ ...DEVICE_PLUGIN, vllm: { extraArgs: ["--port=9999"] } }]),
      `${D}[0].vllm.extraArgs[0]`,
      /"--port=9999" sets --port, which the stack sets itself.*use prefill\[\]\/decode\[\]\.port or scheduler\.port/,
    );
  });
  it("rejects the `--flag value` form, underscores and abbreviations in per-instance extraArgs", () => {
    const raw = inferenceRaw([
      { ...DEVICE_PLUGIN, prefill: [{ extraArgs: ["--max_model_len", "8192", "--served-model", "x", "--block-size=16"] }] },
    ]);
    const issues = expectIssue(raw, `${D}[0].prefill[0].extraArgs[0]`, /sets --max-model-len.*use vllm.maxModelLen/);
    expect(issues).toContainEqual({ path: `${D}[0].prefill[0].extraArgs[2]`, message: expect.stringMatching(/use servedModelName/) });
    expect(issues.filter((i) => i.path.includes("extraArgs"))).toHaveLength(2);
  });
});

describe("encoding", () => {
  it("says a file is not UTF-8 instead of replacing bytes", () => {
    const r = validateFile(Buffer.from([0x63, 0x6f, 0x6e, 0x66, 0x69, 0x67, 0x3a, 0x20, 0xff, 0xfe, 0x0a]));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/the file is not UTF-8 text/);
  });
});

describe("every problem at once", () => {
  it("a schema error in jobs[0] does not hide jobs[1]'s cross-field problems", () => {
    const issues = issuesOf(
      rawConfig({
        training: {
          jobs: [
            { name: "a", command: "x", nodes: "two" },
            { name: "b", command: "y", nodes: 2, minAvailable: 3 },
          ],
        },
      }),
    );
    expect(issues).toContainEqual({ path: "training.jobs[0].nodes", message: expect.any(String) });
    expect(issues).toContainEqual({ path: "training.jobs[1].minAvailable", message: expect.stringMatching(/only 2 pod/) });
  });
  it("a broken deployment does not hide a sibling's rules; its own consequences stay hidden", () => {
    const issues = issuesOf(
      inferenceRaw([
        { ...DEVICE_PLUGIN, name: "a", tensorParallelSize: "x" },
        { ...DEVICE_PLUGIN, name: "b", vllm: { maxModelLen: 8192 } },
      ]),
    );
    expect(issues.map((i) => i.path)).toEqual([`${D}[0].tensorParallelSize`, `${D}[1].vllm.maxNumBatchedTokens`]);
  });
});

describe("messages", () => {
  it("an unknown volume type lists the types", () => {
    expectIssue(
      rawConfig({ storage: { volumes: [{ name: "v", type: "nfs" }] } }),
      "storage.volumes[0].type",
      /"nfs" is not a known type; the types are "static", "subpath", "dynamic", "existing"/,
    );
  });
  it(".inf is not a finite number", () => {
    expect(issuesOf(job({ nodes: Infinity })).filter((i) => i.path === "training.jobs[0].nodes")).toEqual([
      { path: "training.jobs[0].nodes", message: "is not a finite number (.inf and .nan are not allowed here)" },
    ]);
  });
  it("image references say what is wrong", () => {
    expectIssue(job({ image: "swr/UPPER:tag" }), "training.jobs[0].image", /the repository must be lower-case/);
    expectIssue(job({ image: "swr/x:-bad" }), "training.jobs[0].image", /the tag "-bad" must be 1-128/);
    expectIssue(job({ image: "swr/x@sha256:12" }), "training.jobs[0].image", /digest after '@'/);
  });
  it("a huge value is not echoed whole", () => {
    const issue = issuesOf(rawConfig({ images: { pullPolicy: "A".repeat(5_000_000) } })).find((i) =>
      i.message.startsWith("must be one of"),
    );
    expect(issue!.message.length).toBeLessThan(300);
    expect(issue!.message).toMatch(/\(5000000 characters\)/);
  });
  it("deep nesting is a clear error, not a stack overflow", () => {
    let deep: unknown = 1;
    for (let k = 0; k < 100_000; k++) deep = [deep];
    expectIssue(
      rawConfig({ images: { prePull: { extraImages: deep } } }),
      "images.prePull.extraImages[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
      /nested deeper than 32 levels/,
    );
    expect(fileIssues("config: " + "[".repeat(50_000) + "]".repeat(50_000))[0].message).toMatch(/nested too deeply/);
  });
  it("devices [4, 4] says the device is listed twice", () => {
    expectIssue(
      inferenceRaw([{ ...MANUAL_1P1D, decode: [{ node: "npu-node-18", devices: [6, 6] }] }]),
      `${D}[0].decode[0].devices`,
      /^device 6 is listed twice/,
    );
  });
  it("the rank-table correspondence message names the instances and the file", () => {
    const node = { ...NODE_18, deviceIPs: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [String(i), `29.18.1.${i}`])) };
    const raw = inferenceRaw(
      [{ ...MANUAL_1P1D, prefill: [{ node: "npu-node-18", devices: [1, 10] }], decode: [{ node: "npu-node-18", devices: [11, 0] }] }],
      [node],
      { accelerator: { npusPerNode: 16 } },
    );
    expectIssue(
      raw,
      `${D}[0]`,
      /qwen-1p1d-prefill-0 \(devices 1,10 on 10.0.0.18\) and qwen-1p1d-decode-0 \(devices 11,0 on 10.0.0.18\) both get local_ranktable_10.0.0.18_110.json/,
    );
    const t = {
      schedulerIP: "10.0.0.18",
      prefill: [
        {
          hostIP: "10.0.0.18",
          port: 1,
          devices: [
            { id: 1, ip: "a" },
            { id: 10, ip: "b" },
          ],
        },
      ],
      decode: [
        {
          hostIP: "10.0.0.18",
          port: 2,
          devices: [
            { id: 11, ip: "c" },
            { id: 0, ip: "d" },
          ],
        },
      ],
    };
    expect(rankTableProblems(t, [...t.prefill, ...t.decode].map((x) => x.port).join(",")).join()).not.toMatch(/\?/);
  });
  it("a scheduler-port clash is shown at the scheduler.port the user set too", () => {
    const d = { ...MANUAL_1P1D, prefill: [{ node: "npu-node-18", devices: [4, 5], port: 8100 }], scheduler: { port: 8100 } };
    const issues = expectIssue(
      inferenceRaw([d]),
      `${D}[0].scheduler.port`,
      /port 8100 of qwen-1p1d-scheduler clashes with qwen-1p1d-prefill-0/,
    );
    expect(issues).toContainEqual({ path: `${D}[0].prefill[0].port`, message: expect.stringMatching(/clashes with qwen-1p1d-scheduler/) });
  });
});

describe("the manual's platform rule", () => {
  it("images are built for linux/arm64 only", () => {
    expectIssue(
      rawConfig({ images: { build: { platform: "linux/amd64" } } }),
      "images.build.platform",
      /must be linux\/arm64: the base images are aarch64/,
    );
  });
  it("servedModelName with useOpenAI=false is allowed (documented: it only matters with USE_OPENAI=1)", () => {
    expect(validateStackConfig(inferenceRaw([{ ...DEVICE_PLUGIN, scheduler: { useOpenAI: false } }])).ok).toBe(true);
  });
});
