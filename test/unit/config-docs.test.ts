// The config reference is checked against the zod schema in both directions: every key a user can
// set is documented, and every documented key exists. The schema is walked (objects, arrays,
// unions, discriminated unions, defaults/optionals, effects); the docs' config tables are parsed.
//
// Docs convention (what the parser reads): a Markdown table whose first header cell is `key`
// documents config keys, one row per key, the key in backticks in the first cell (several keys
// sharing one meaning may share a row: `prefill[].port`, `decode[].port`). Keys are relative to
// the nearest heading above the table when that heading names exactly one backticked path
// (`training.jobs[]`, `ascend-stack:cluster.failFast`); otherwise they are written in full.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PROJECT, SECRET_KEYS, stackConfigSchema } from "../../components/config/schema";
import { tolerationSchema } from "../../components/common/schemas";

const root = path.join(__dirname, "../..");
const DOCS = ["README.md", "docs/pd-inference.md", "docs/vllm-ascend.md", "docs/fail-fast.md"];

/**
 * Values documented as one key although the schema gives them structure: Kubernetes' own types,
 * described by their shape in the row (`{key?, operator, value?, effect?, tolerationSeconds?}`).
 */
const OPAQUE: readonly z.ZodTypeAny[] = [tolerationSchema];

const LEAF_TYPES = new Set([
  "ZodString",
  "ZodNumber",
  "ZodBigInt",
  "ZodBoolean",
  "ZodDate",
  "ZodEnum",
  "ZodNativeEnum",
  "ZodLiteral",
  "ZodAny",
  "ZodUnknown",
  "ZodNull",
  "ZodUndefined",
]);

interface SchemaKeys {
  /** Every settable path: objects' keys at any depth, arrays without `[]`, their elements' keys with `[]`. */
  all: Set<string>;
  /** Paths without settable keys below them (what must be documented). */
  leaves: Set<string>;
}

/** Collects the key paths of a zod schema. Fails on a zod type it does not know, so the walk never silently skips keys. */
function schemaKeys(schema: z.ZodTypeAny): SchemaKeys {
  const all = new Set<string>();
  const leaves = new Set<string>();
  // Returns whether `s` has keys below `at`.
  const walk = (s: z.ZodTypeAny, at: string): boolean => {
    if (OPAQUE.includes(s)) return false;
    const def = s._def as { typeName: string } & Record<string, any>;
    switch (def.typeName) {
      case "ZodOptional":
      case "ZodNullable":
      case "ZodReadonly":
      case "ZodDefault":
      case "ZodCatch":
        return walk(def.innerType, at);
      case "ZodEffects":
        return walk(def.schema, at);
      case "ZodBranded":
        return walk(def.type, at);
      case "ZodLazy":
        return walk(def.getter(), at);
      case "ZodPipeline":
        return walk(def.in, at);
      case "ZodObject": {
        const shape = (s as z.AnyZodObject).shape as Record<string, z.ZodTypeAny>;
        for (const [key, child] of Object.entries(shape)) {
          const p = at ? `${at}.${key}` : key;
          all.add(p);
          if (!walk(child, p)) leaves.add(p);
        }
        return Object.keys(shape).length > 0;
      }
      case "ZodArray":
        return walk(def.type, `${at}[]`);
      case "ZodUnion":
      case "ZodDiscriminatedUnion": {
        let nested = false;
        for (const o of def.options as z.ZodTypeAny[]) nested = walk(o, at) || nested;
        return nested;
      }
      case "ZodIntersection":
        return [walk(def.left, at), walk(def.right, at)].some(Boolean);
      case "ZodRecord":
      case "ZodMap":
        // Keys are the user's (device ids, variable names, labels): the value is documented as a whole.
        return false;
      default:
        if (LEAF_TYPES.has(def.typeName)) return false;
        throw new Error(`config-docs: don't know how to walk ${def.typeName} at ${at || "<root>"}`);
    }
  };
  walk(schema, "");
  return { all, leaves };
}

interface DocumentedKey {
  key: string;
  file: string;
  line: number;
}

/** Cells of a Markdown table row; `\|` inside a cell is not a separator. */
function cells(row: string): string[] {
  const inner = row.trim().replace(/^\|/, "").replace(/\|$/, "");
  return inner.split(/(?<!\\)\|/).map((c) => c.trim());
}

const backticked = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
const stripNamespace = (p: string) => p.replace(new RegExp(`^${PROJECT}:`), "");

/** The keys documented in the config tables of one Markdown text. */
function documentedKeys(markdown: string, file: string): DocumentedKey[] {
  const out: DocumentedKey[] = [];
  const lines = markdown.split("\n");
  let prefix = "";
  let inFence = false;
  let inKeyTable = false;
  lines.forEach((line, i) => {
    if (/^\s*```/.test(line)) inFence = !inFence;
    if (inFence) return;
    const heading = /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) {
      const named = backticked(heading[1]);
      prefix = named.length === 1 ? stripNamespace(named[0]) : "";
      inKeyTable = false;
      return;
    }
    if (!line.trim().startsWith("|")) {
      inKeyTable = false;
      return;
    }
    const row = cells(line);
    if (!inKeyTable) {
      // A header row starts a table; only tables whose first column is "key" document config keys.
      inKeyTable = row[0].toLowerCase() === "key" && /^\s*\|?\s*:?-{3,}/.test(lines[i + 1] ?? "");
      return;
    }
    if (/^:?-{3,}:?$/.test(row[0])) return; // the separator row
    const keys = backticked(row[0]);
    if (keys.length === 0) throw new Error(`${file}:${i + 1}: config table row without a backticked key: ${line}`);
    for (const k of keys) {
      const key = stripNamespace(k);
      out.push({ key: prefix ? `${prefix}.${key}` : key, file, line: i + 1 });
    }
  });
  return out;
}

const schema = schemaKeys(stackConfigSchema);
const documented = DOCS.flatMap((f) => documentedKeys(fs.readFileSync(path.join(root, f), "utf8"), f));
const documentedSet = new Set(documented.map((d) => d.key));

describe("the schema walk", () => {
  it("reaches keys through defaults, arrays, unions and discriminated unions", () => {
    for (const k of [
      "cluster.failFast.timeoutSeconds",
      "accelerator.tolerations",
      "images.build.platform",
      "registry.pullSecretName",
      "storage.volumes[].shareId",
      "storage.volumes[].type",
      "training.jobs[].resources.memory.limit",
      "training.jobs[].hccl.execTimeoutSeconds",
      "inference.inventoryTolerations",
      "inference.nodes[].deviceIPs",
      "inference.deployments[].vllm.maxModelLen",
      "inference.deployments[].prefill[].devices",
      "inference.deployments[].scheduler.resources.cpu.request",
    ])
      expect(schema.leaves, k).toContain(k);
    expect(schema.leaves).not.toContain("accelerator.tolerations[].key");
    expect(schema.all).toContain("inference.deployments");
    expect(schema.leaves).not.toContain("inference.deployments");
  });
});

describe("the docs parser", () => {
  it("reads key tables only, with heading prefixes, multi-key cells and escaped pipes", () => {
    const md = [
      "### `ascend-stack:a.b[]`",
      "",
      "| key | default | rule |",
      "|---|---|---|",
      "| `x` | `1` | one of `p\\|q` |",
      "| `y[].z`, `w[].z` | — | shared |",
      "",
      "| type | creates |",
      "|---|---|",
      "| `static` | a PV |",
      "",
      "### `registry` and `registryPassword`",
      "| key | default |",
      "|---|---|",
      "| `registry.server` | — |",
      "```",
      "| key | default |",
      "|---|---|",
      "| `fenced` | — |",
      "```",
    ].join("\n");
    expect(documentedKeys(md, "t.md").map((d) => d.key)).toEqual(["a.b[].x", "a.b[].y[].z", "a.b[].w[].z", "registry.server"]);
  });
  it("finds the config tables of every doc", () => {
    for (const f of DOCS)
      expect(
        documented.some((d) => d.file === f),
        f,
      ).toBe(true);
  });
});

describe("the config reference", () => {
  it("documents every key of the schema", () => {
    const missing = [...schema.leaves].filter((k) => !documentedSet.has(k)).sort();
    expect(missing, `keys without a row in ${DOCS.join(", ")}`).toEqual([]);
  });

  it("documents the secret keys", () => {
    for (const k of SECRET_KEYS) expect(documentedSet, k).toContain(k);
  });

  it("documents only keys that exist", () => {
    const known = new Set<string>([...schema.all, ...SECRET_KEYS]);
    const stale = documented.filter((d) => !known.has(d.key)).map((d) => `${d.file}:${d.line} ${d.key}`);
    expect(stale).toEqual([]);
  });

  it("documents each key once per file", () => {
    const seen = new Map<string, DocumentedKey>();
    const twice: string[] = [];
    for (const d of documented) {
      const id = `${d.file} ${d.key}`;
      const first = seen.get(id);
      if (first) twice.push(`${d.key}: ${d.file}:${first.line} and :${d.line}`);
      else seen.set(id, d);
    }
    expect(twice).toEqual([]);
  });
});

describe("citations of the manual", () => {
  const files = (dir: string): string[] =>
    fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) return e.name === "node_modules" || e.name.startsWith(".") ? [] : files(rel);
      return /\.(ts|py|md|ya?ml|sh)$/.test(e.name) ? [rel] : [];
    });
  const sources = [
    ...files("components"),
    ...files("docs"),
    ...files("scripts"),
    ...files("test"),
    ...fs.readdirSync(root).filter((f) => /^(README\.md|Pulumi\..*\.yaml)$/.test(f)),
  ];
  const anchors = new Set(
    [...fs.readFileSync(path.join(root, "docs/manual-facts.md"), "utf8").matchAll(/<a id="([^"]+)"><\/a>/g)].map((m) => m[1]),
  );

  it("point at sections of docs/manual-facts.md that exist", () => {
    const broken: string[] = [];
    for (const f of sources)
      for (const [, anchor] of fs.readFileSync(path.join(root, f), "utf8").matchAll(/manual-facts\.md#([\w-]+)/g))
        if (!anchors.has(anchor)) broken.push(`${f}: #${anchor}`);
    expect(anchors.size).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });
});
