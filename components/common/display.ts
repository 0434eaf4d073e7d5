/** How user values appear inside messages: a 5 MB value must not be echoed whole. */

export const MAX_SHOWN = 80;

/** `value` quoted, cut to about 80 characters with its real length noted. */
export function shown(value: unknown): string {
  const text = typeof value === "string" ? value : String(value);
  if (text.length <= MAX_SHOWN) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, MAX_SHOWN))}… (${text.length} characters)`;
}
