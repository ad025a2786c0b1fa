/**
 * LIKE pattern handling shared by both dialects. Patterns use SQL wildcards (`%`, `_`) with
 * backslash as the escape character, PostgreSQL's default, on every backend.
 */

/** Makes a trailing lone backslash literal (PostgreSQL rejects a pattern ending in its escape character). */
export function normalizeLikePattern(pattern: string): string {
  const trailing = /\\+$/.exec(pattern)?.[0].length ?? 0;
  return trailing % 2 === 1 ? `${pattern}\\` : pattern;
}

/**
 * Translates a LIKE pattern into an equivalent SQLite GLOB pattern. SQLite's LIKE ignores ASCII
 * case, GLOB does not, so a case-sensitive LIKE runs as GLOB: `%` becomes `*`, `_` becomes `?`,
 * and characters special to GLOB (`*`, `?`, `[`) or escaped with a backslash become literals.
 */
export function likeToGlob(pattern: string): string {
  let glob = '';
  const chars = [...normalizeLikePattern(pattern)];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (ch === '\\') {
      i++;
      glob += globLiteral(chars[i] ?? '\\');
    } else if (ch === '%') glob += '*';
    else if (ch === '_') glob += '?';
    else glob += globLiteral(ch);
  }
  return glob;
}

function globLiteral(ch: string): string {
  return ch === '*' || ch === '?' || ch === '[' ? `[${ch}]` : ch;
}
