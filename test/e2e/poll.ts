/** Polls `probe` until it returns a value other than undefined/false, or fails after `ms`. */
export async function eventually<T>(probe: () => T | undefined | false, ms = 60_000, what = "the condition"): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms / 1000}s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
