// Dependencies point one way: common ← features (cluster, images, storage, training, inference)
// ← config (the whole-stack schema and validation) ← preflight (checks of the live cluster) ← stack.ts ← index.ts. A lower layer never
// imports a higher one, so a feature can be read, tested and reused without the rest.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.join(__dirname, "../../components");
const LAYER: Record<string, number> = {
  common: 0,
  cluster: 1,
  images: 1,
  storage: 1,
  training: 1,
  inference: 1,
  config: 2,
  preflight: 2.5,
  "stack.ts": 3,
};

function sources(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));
}
const layerOf = (file: string) => LAYER[path.relative(root, file).split(path.sep)[0]];

describe("the import graph of components/", () => {
  it("knows the layer of every folder", () => {
    for (const f of sources(root)) expect([0, 1, 2, 2.5, 3], path.relative(root, f)).toContain(layerOf(f));
  });
  it("has no arrow from a lower layer to a higher one", () => {
    const upward: string[] = [];
    for (const file of sources(root)) {
      const text = fs.readFileSync(file, "utf8");
      for (const [, spec] of text.matchAll(/^(?:import|export)[^"']*from\s+["'](\.[^"']+)["']/gm)) {
        const target = path.resolve(path.dirname(file), spec);
        const targetLayer = layerOf(fs.existsSync(`${target}.ts`) || fs.existsSync(target) ? target : `${target}.ts`);
        if (targetLayer > layerOf(file)) upward.push(`${path.relative(root, file)} → ${path.relative(root, target)}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
