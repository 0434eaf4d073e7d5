/** Kubernetes resource quantities ("2650m", "3200Mi", "1500Gi", "192"): parse to compare. */

const SUFFIX: Record<string, number> = {
  "": 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};
const QUANTITY = /^([+]?(?:\d+\.?\d*|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

/** Parses a quantity to a plain number (bytes, cores); undefined when it is not a valid quantity. */
export function parseQuantity(q: string | number): number | undefined {
  const text = String(q).trim();
  const m = QUANTITY.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  const suffix = m[2] ?? "";
  if (/^[eE]/.test(suffix)) return value * 10 ** Number(suffix.slice(1));
  return value * SUFFIX[suffix];
}

export function isQuantity(q: string | number): boolean {
  return parseQuantity(q) !== undefined;
}
