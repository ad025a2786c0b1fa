/** Small pure object helpers shared by the server, the SDK and the CLI. */

/** `fields` without its undefined values, so optional properties stay absent (exactOptionalPropertyTypes). */
export function definedFields<T extends Record<string, unknown>>(
  fields: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value;
  return out as { [K in keyof T]?: Exclude<T[K], undefined> };
}
