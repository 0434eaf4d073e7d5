// The local real node's stand-ins: the start_servers.sh stand-in's contract checks (its Python
// unit tests, run here so `npm test` covers them) and the images the local registry serves.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { MANUAL_BASE_IMAGE } from "../../components/images/config";

const IMAGE_DIR = path.resolve(__dirname, "../../scripts/cluster/node-image");

describe("the local real node's stand-ins", () => {
  it("start_servers.sh stand-in: every contract check passes its Python unit tests", () => {
    const r = spawnSync("python3", ["-m", "unittest", "-v", "test_start_servers"], {
      cwd: path.join(IMAGE_DIR, "stand-ins"),
      encoding: "utf8",
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/Ran 1\d tests/);
  });

  it("the local registry serves the manual's base image under its real reference", () => {
    const refs = fs
      .readFileSync(path.join(IMAGE_DIR, "images.txt"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => l.split(/\s+/));
    expect(refs).toContainEqual([MANUAL_BASE_IMAGE, "base"]);
  });
});
