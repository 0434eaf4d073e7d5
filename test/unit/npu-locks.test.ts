// The runtime half of NPU exclusivity (docs/npu-exclusivity.md), on the real rendezvous.py:
// an inventory instance starts only when the stack's ledger names it the owner of its cards and
// it holds the node's lock on each of them; it stops when the ledger gives a card away.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runWrapper, tmp, waitFor } from "./rendezvousHarness";

function ledger(file: string, cards: Record<string, string>) {
  fs.writeFileSync(file, JSON.stringify({ version: 1, nodes: { "npu-node-18": cards } }));
}

/** An inventory instance on npu-node-18 whose fake server touches `<dir>/started-<tag>`. */
function instance(dir: string, owner: string, npus: string, tag = owner) {
  const started = path.join(dir, `started-${tag}`);
  const server = `import time; open(${JSON.stringify(started)},'w').close(); time.sleep(60)`;
  const args = ["run-static", "--npus", npus, "--npu-node", "npu-node-18", "--npu-owner", owner];
  const w = runWrapper(
    [
      ...args,
      "--ledger",
      path.join(dir, "ledger.json"),
      "--lock-dir",
      path.join(dir, "locks"),
      "--poll",
      "0.05",
      "--",
      "python3",
      "-c",
      server,
    ],
    {},
  );
  let exitCode: number | undefined;
  void w.exited.then((c) => (exitCode = c));
  return { ...w, started: () => fs.existsSync(started), exitCode: () => exitCode };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("inventory instance: NPU ledger and per-card locks", () => {
  it("does not start while the ledger does not name it the owner, nor without a readable ledger", async () => {
    const dir = tmp();
    const a = instance(dir, "qwen-prefill-0", "0,1");
    try {
      await pause(600);
      expect(a.started()).toBe(false); // no ledger at all
      ledger(path.join(dir, "ledger.json"), { "0": "qwen-prefill-0", "1": "other-decode-0" });
      await pause(600);
      expect(a.started()).toBe(false); // card 1 is someone else's
      expect(a.log()).toMatch(/does not \(yet\) give qwen-prefill-0 NPU\(s\) \[1\] on npu-node-18/);
      ledger(path.join(dir, "ledger.json"), { "0": "qwen-prefill-0", "1": "qwen-prefill-0" });
      await waitFor(a.started, "the server to start once it owns both cards");
      expect(a.log()).toMatch(/holding NPU\(s\) 0,1/);
    } finally {
      a.child.kill("SIGKILL");
    }
  }, 15_000);

  it("hands a card over only after the previous owner has stopped (a swap of cards between two instances)", async () => {
    const dir = tmp();
    const file = path.join(dir, "ledger.json");
    ledger(file, { "0": "qwen-prefill-0", "1": "qwen-prefill-0", "2": "qwen-decode-0", "3": "qwen-decode-0" });
    const oldPrefill = instance(dir, "qwen-prefill-0", "0,1");
    await waitFor(oldPrefill.started, "the old prefill server");
    // The new decode pod (a config change moved decode-0 to cards 0,1) starts while the old prefill still runs.
    ledger(file, { "0": "qwen-decode-0", "1": "qwen-decode-0", "2": "qwen-prefill-0", "3": "qwen-prefill-0" });
    const newDecode = instance(dir, "qwen-decode-0", "0,1");
    try {
      await waitFor(() => oldPrefill.exitCode() !== undefined, "the old owner to notice the ledger and stop");
      expect(oldPrefill.exitCode()).toBe(75);
      expect(oldPrefill.log()).toMatch(/no longer gives qwen-prefill-0 NPU\(s\) \[0, 1\]/);
      await waitFor(newDecode.started, "the new owner to start");
    } finally {
      oldPrefill.child.kill("SIGKILL");
      newDecode.child.kill("SIGKILL");
    }
  }, 15_000);

  it("never runs two containers on one card: the second waits on the lock, naming the holder", async () => {
    const dir = tmp();
    ledger(path.join(dir, "ledger.json"), { "4": "qwen-decode-0", "5": "qwen-decode-0" });
    // Same owner twice: what a second pod of one instance would be (e.g. an old pod not yet gone).
    const first = instance(dir, "qwen-decode-0", "4,5");
    await waitFor(first.started, "the first server");
    const second = instance(dir, "qwen-decode-0", "4,5", "second");
    try {
      await waitFor(() => /waiting for NPU 4: still held by qwen-decode-0 \(pid \d+/.test(second.log()), "the second to report the holder");
      expect(second.started()).toBe(false);
      // The kubelet stops a container with SIGTERM: the wrapper stops its server, and the kernel
      // drops the lock once both processes (which share it) are gone.
      first.child.kill("SIGTERM");
      await waitFor(second.started, "the second server once the first is gone");
      expect(first.exitCode()).toBe(128 + 15);
    } finally {
      first.child.kill("SIGKILL");
      second.child.kill("SIGKILL");
    }
  }, 15_000);
});
