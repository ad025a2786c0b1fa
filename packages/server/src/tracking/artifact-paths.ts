/**
 * Artifact path safety: the one gate every client-supplied artifact path passes before it reaches an
 * `ArtifactStore`. MLflow shipped a long run of traversal CVEs because each fix validated one
 * representation of the path while a later layer used another; so here every representation that
 * any layer could ever see (each percent-decoding level, and its NFKC form) must be safe on its own.
 * See docs/artifacts.md for the rules and the attacks they stop.
 */
import { invalidArgument } from '@slipway/contracts';

/** Longest accepted artifact path or location, in UTF-16 code units; bounds decoding work. */
export const MAX_ARTIFACT_PATH_LENGTH = 4096;

/** Rounds of percent-decoding tried before a still-changing path is refused, as MLflow does. */
const MAX_DECODE_ROUNDS = 10;

const ARTIFACTS_SCHEME = 'mlflow-artifacts:';
const ESCAPE_RUN = /(?:%[0-9A-Fa-f]{2})+/g;
// A leading `word:` is a URI scheme (`file:`, `http:`) or a Windows drive (`C:`), never a relative path.
const SCHEME_OR_DRIVE = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const AUTHORITY = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]*)(?::[0-9]{1,5})?$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Result of checking one representation: undefined when safe, otherwise the reason it is not. */
type Verdict = string | undefined;

/**
 * Returns `raw` as a clean relative POSIX path (no `.`, empty or trailing segments; `''` is the store
 * root), or throws INVALID_ARGUMENT naming `field`. The result keeps the caller's spelling: `%20`
 * stays `%20`, because every decoding of it has already been proven safe.
 */
export function normalizeArtifactPath(raw: string, field: string): string {
  const reason = unsafeReason(raw);
  if (reason !== undefined) throw invalidArgument(field, `Invalid artifact path: ${reason}`);
  return raw
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

/** Joins artifact path parts with `/`, normalizing each (field `path`) and skipping empty ones. */
export function joinArtifactPath(...parts: string[]): string {
  return parts
    .map((part) => normalizeArtifactPath(part, 'path'))
    .filter((part) => part !== '')
    .join('/');
}

/**
 * Maps an `mlflow-artifacts:/a/b` or `mlflow-artifacts://host:port/a/b` location to the
 * store-relative path `a/b`; throws INVALID_ARGUMENT for any other scheme or an unsafe path.
 */
export function artifactLocationToPath(location: string, field: string): string {
  const split = splitLocation(location);
  if ('reason' in split) throw invalidArgument(field, `Invalid artifact location: ${split.reason}`);
  return normalizeArtifactPath(split.path, field);
}

/** The still-unvalidated path part of an artifact location, or why the location is unusable. */
function splitLocation(location: string): { path: string } | { reason: string } {
  if (location.length > MAX_ARTIFACT_PATH_LENGTH) return { reason: 'too long' };
  if (location.slice(0, ARTIFACTS_SCHEME.length).toLowerCase() !== ARTIFACTS_SCHEME) {
    return { reason: `only ${ARTIFACTS_SCHEME} locations are served by the artifact store` };
  }
  const levels = decodingLevels(location);
  if (levels === undefined) return { reason: 'malformed or too deeply nested percent-encoding' };
  // Queries, fragments and params are where CVE-2024-1483/-3848/-1593 hid their `..`: a URL parser
  // sets them aside, a later join pastes them back into the path. No location needs one.
  if (levels.some((level) => /[?#;]/.test(level)))
    return { reason: 'query, fragment or params are not allowed' };
  const encodedPath = stripAuthority(location.slice(ARTIFACTS_SCHEME.length));
  if (encodedPath === undefined) {
    return { reason: 'expected mlflow-artifacts:/path or mlflow-artifacts://host:port/path' };
  }
  // A URI path is percent-encoded once (and the HTTP edge decodes request paths once), so decode once.
  const path = decodeOnce(encodedPath);
  return path === undefined ? { reason: 'malformed percent-encoding' } : { path: path.slice(1) };
}

/** Returns the `/path` after the scheme, dropping a well-formed `//authority`; undefined if malformed. */
function stripAuthority(rest: string): string | undefined {
  if (rest === '') return '/';
  if (!rest.startsWith('/')) return undefined;
  if (!rest.startsWith('//')) return rest;
  const slash = rest.indexOf('/', 2);
  const authority = slash === -1 ? rest.slice(2) : rest.slice(2, slash);
  if (!AUTHORITY.test(authority)) return undefined;
  return slash === -1 ? '/' : rest.slice(slash);
}

/** Why `raw` is unsafe in any representation a later layer might produce, or undefined if safe. */
function unsafeReason(raw: string): Verdict {
  if (raw.length > MAX_ARTIFACT_PATH_LENGTH) return 'too long';
  const levels = decodingLevels(raw);
  if (levels === undefined) return 'malformed or too deeply nested percent-encoding';
  for (const level of levels) {
    const reason = levelReason(level) ?? levelReason(level.normalize('NFKC'));
    if (reason !== undefined) return reason;
  }
  return undefined;
}

/**
 * The text as written followed by each successive percent-decoding until it stops changing;
 * undefined when decoding yields invalid UTF-8 (overlong `%c0%af` and friends) or never settles.
 */
export function decodingLevels(raw: string): string[] | undefined {
  const levels = [raw];
  for (let round = 0; round < MAX_DECODE_ROUNDS; round++) {
    const current = levels[levels.length - 1] ?? raw;
    const next = decodeOnce(current);
    if (next === undefined) return undefined;
    if (next === current) return levels;
    levels.push(next);
  }
  return undefined;
}

/** One lenient percent-decoding pass: valid `%XX` runs become UTF-8 text, a lone `%` stays literal. */
function decodeOnce(text: string): string | undefined {
  try {
    return text.replace(ESCAPE_RUN, (run) => utf8.decode(escapeBytes(run)));
  } catch {
    return undefined;
  }
}

/** The bytes of a run of `%XX` escapes. */
function escapeBytes(run: string): Uint8Array {
  const bytes = new Uint8Array(run.length / 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
  return bytes;
}

/** Checks one representation of the path. */
function levelReason(path: string): Verdict {
  if (hasControlChar(path)) return 'control characters (including NUL) are not allowed';
  // Backslash is a separator on Windows and in many zip/tar tools: CVE-2023-2780 used `\..\`.
  if (path.includes('\\')) return 'backslashes are not allowed';
  // MLflow refuses `#` too: a fragment in a URI built from the path would swallow the rest.
  if (path.includes('#')) return "'#' is not allowed";
  if (path.startsWith('/')) return 'absolute paths are not allowed';
  if (SCHEME_OR_DRIVE.test(path)) return 'URI schemes and drive letters are not allowed';
  return path
    .split('/')
    .map(segmentReason)
    .find((reason) => reason !== undefined);
}

/** True when `text` has a C0 control character or DEL (NUL truncates C paths; tabs vanish in parsers). */
function hasControlChar(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Checks one `/`-separated segment. */
function segmentReason(segment: string): Verdict {
  if (segment === '..') return "'..' segments are not allowed";
  if (segment.startsWith('~')) return "segments may not start with '~'";
  return undefined;
}
