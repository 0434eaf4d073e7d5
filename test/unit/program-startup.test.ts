// How the Pulumi program starts (docs/performance.md): compiled without type checking (the type
// check is `npm test`'s), and with Node.js's compile cache in the project's scripts.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

const repo = path.resolve(__dirname, "../..");
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(repo, file), "utf8"));

describe("program startup", () => {
  it("Pulumi.yaml points current language hosts at a tsconfig that skips type checking and extends the project's", () => {
    const project = parse(fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8"));
    const file = project.runtime.options.tsconfig as string;
    const config = readJson(file);
    expect(config.extends).toBe("./tsconfig.json");
    expect(config.compilerOptions).toEqual({ noCheck: true });
    // The type check itself stays strict: `npm run typecheck` uses tsconfig.json, which does not skip it.
    expect(readJson("tsconfig.json").compilerOptions.noCheck).toBeUndefined();
    expect(readJson("package.json").scripts.typecheck).toBe("tsc --noEmit");
  });

  it("scripts/env.sh gives the pinned language host the same setting and a compile cache outside the repo", () => {
    const out = execFileSync(
      "bash",
      [
        "-c",
        'unset PULUMI_NODEJS_TRANSPILE_ONLY NODE_COMPILE_CACHE; source scripts/env.sh >/dev/null; echo "$PULUMI_NODEJS_TRANSPILE_ONLY|$NODE_COMPILE_CACHE|$ASCEND_CACHE"',
      ],
      { cwd: repo, encoding: "utf8" },
    ).trim();
    const [transpileOnly, cache, ascendCache] = out.split("|");
    expect(transpileOnly).toBe("true");
    expect(cache).toBe(`${ascendCache}/node-compile-cache`);
    expect(path.relative(repo, cache).startsWith("..")).toBe(true);
  });
});
