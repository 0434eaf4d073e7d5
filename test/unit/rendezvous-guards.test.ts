// The device-plugin rendezvous (rendezvous.py run) restarts only what must restart, and refuses
// a device annotation that cannot make a valid rank table with one clear message per cause.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { resolveInference } from "../../components/inference/topology";
import { inferenceRaw, MANUAL_1P1D } from "./fixtures/inference/configs";
import { validConfig } from "./helpers";
import { ANNOTATION, rendezvousFixture, runWrapper, waitFor, runArgs } from "./rendezvousHarness";

const dep = () => resolveInference(validConfig({ inference: inferenceRaw([MANUAL_1P1D]).inference })).deployments[0];

/** Starts the prefill instance's wrapper with `annotation` as its device plugin annotation. */
function startPrefill(annotation: object | string, hostIP = "10.0.0.18") {
  const d = dep();
  const f = rendezvousFixture(d);
  const prefill = d.instances[0];
  fs.rmSync(path.join(f.entries, `${prefill.name}.json`));
  const annotations = path.join(f.dir, "annotations");
  const value = typeof annotation === "string" ? annotation : JSON.stringify(annotation);
  fs.writeFileSync(annotations, `${ANNOTATION}=${JSON.stringify(value)}\n`);
  const started = path.join(f.dir, "started");
  const server = `import time; open(${JSON.stringify(started)},'a').write('x'); time.sleep(60)`;
  const w = runWrapper(runArgs(f, prefill.name, path.join(f.dir, "out"), annotations, server), { POD_UID: "uid-p", HOST_IP: hostIP });
  return { ...w, f, d, starts: () => (fs.existsSync(started) ? fs.readFileSync(started, "utf8").length : 0) };
}

const GOOD = {
  pod_name: "p",
  server_id: "10.0.0.18",
  devices: [
    { device_id: "4", device_ip: "29.18.0.14" },
    { device_id: "5", device_ip: "29.18.0.15" },
  ],
};

describe("device annotation checks (exit 78, one message per cause)", () => {
  const cases: [string, object | string, RegExp][] = [
    ["not JSON", "{oops", /is not JSON/],
    ["no devices", { ...GOOD, devices: [] }, /lists no devices/],
    [
      "a device without device_ip",
      { ...GOOD, devices: [{ device_id: "4", device_ip: "" }, GOOD.devices[1]] },
      /device 4 has no device_ip \(its RoCE address\)/,
    ],
    [
      "a device_ip that is not IPv4",
      { ...GOOD, devices: [{ device_id: "4", device_ip: "fe80::1" }, GOOD.devices[1]] },
      /device 4 has device_ip 'fe80::1', not an IPv4 address/,
    ],
    ["a card listed twice", { ...GOOD, devices: [GOOD.devices[0], GOOD.devices[0]] }, /lists device 4 twice/],
    [
      "another number of cards than tensorParallelSize",
      { ...GOOD, devices: [GOOD.devices[0]] },
      /lists 1 devices but the instance requested 2/,
    ],
    ["server_id other than the host IP", { ...GOOD, server_id: "10.0.0.99" }, /server_id 10.0.0.99 but this pod runs on host 10.0.0.18/],
  ];
  for (const [label, annotation, message] of cases)
    it(`refuses ${label}`, async () => {
      const w = startPrefill(annotation);
      try {
        expect(await w.exited).toBe(78);
        expect(w.log()).toMatch(message);
        expect(w.starts()).toBe(0);
      } finally {
        w.child.kill("SIGKILL");
      }
    });
});

describe("the restart rule at runtime", () => {
  it("keeps serving when a peer's pod is recreated on the same host and cards, or is away; restarts when the peer's cards change", async () => {
    const w = startPrefill(GOOD);
    try {
      await waitFor(() => w.starts() === 1, "the server to start");
      const decodeFile = path.join(w.f.entries, `${w.d.instances[1].name}.json`);
      const decode = JSON.parse(fs.readFileSync(decodeFile, "utf8"));
      // The decode pod is deleted (its entry goes away while the new pod starts) ...
      fs.rmSync(decodeFile);
      await new Promise((r) => setTimeout(r, 500));
      // ... and comes back on the same cards with a new uid: the tables are the same.
      fs.writeFileSync(decodeFile, JSON.stringify({ ...decode, pod_uid: "uid-recreated" }));
      await new Promise((r) => setTimeout(r, 700));
      expect(w.child.exitCode).toBeNull();
      expect(w.starts()).toBe(1);
      // Now it moves to other cards: this instance's global table changes, so it must restart.
      fs.writeFileSync(
        decodeFile,
        JSON.stringify({
          ...decode,
          pod_uid: "uid-moved",
          devices: [
            { device_id: "2", device_ip: "29.18.0.12" },
            { device_id: "3", device_ip: "29.18.0.13" },
          ],
        }),
      );
      expect(await w.exited).toBe(75);
      expect(w.log()).toMatch(/entries changed: qwen-1p1d-decode-0 \(this instance's rank tables differ\)/);
    } finally {
      w.child.kill("SIGKILL");
    }
  }, 20_000);
});
