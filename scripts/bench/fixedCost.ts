/**
 * The fixed cost every `pulumi preview` pays before the project's program does anything: the CLI
 * starting (`pulumi version`), and a preview of an empty JavaScript program (engine, backend,
 * language host, Node.js and the Pulumi SDK loading; no provider, no resource but the stack).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { measure, type Measurement } from "./measure";
import { progress, run } from "./steps";

export interface FixedCost {
  cliStart: Measurement[];
  emptyProgram: Measurement[];
}

export async function fixedCost(repo: string, dir: string, reps: number): Promise<FixedCost> {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: empty-program\nruntime: nodejs\nmain: index.js\n");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "empty-program", private: true, main: "index.js" }));
  fs.writeFileSync(path.join(dir, "index.js"), 'require("@pulumi/pulumi");\n');
  fs.symlinkSync(path.join(repo, "node_modules"), path.join(dir, "node_modules"));
  run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", "empty"], { cwd: dir, quiet: true });
  run("pulumi", ["stack", "init", "empty", "--non-interactive"], { cwd: dir });
  const result: FixedCost = { cliStart: [], emptyProgram: [] };
  try {
    for (let rep = 1; rep <= reps; rep++) {
      result.cliStart.push(await measure("pulumi", ["version"], path.join(dir, "version.log"), dir));
      result.emptyProgram.push(
        await measure("pulumi", ["preview", "--stack", "empty", "--non-interactive"], path.join(dir, "preview.log"), dir),
      );
      progress(`fixed cost run ${rep}/${reps}: empty program preview ${result.emptyProgram.at(-1)!.seconds.toFixed(2)} s`);
    }
  } finally {
    run("pulumi", ["stack", "rm", "--yes", "--force", "--stack", "empty"], { cwd: dir, quiet: true });
  }
  return result;
}
