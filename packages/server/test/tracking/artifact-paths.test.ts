import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import {
  artifactLocationToPath,
  joinArtifactPath,
  MAX_ARTIFACT_PATH_LENGTH,
  normalizeArtifactPath,
} from '../../src/tracking/artifact-paths.js';

/** Runs `fn`, expecting INVALID_ARGUMENT; returns the error so a test can look at field and message. */
function rejection(fn: () => unknown): SlipwayError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('INVALID_ARGUMENT');
    return err as SlipwayError;
  }
  throw new Error('expected INVALID_ARGUMENT, but the input was accepted');
}

/** `text` percent-encoded `times` times over (`%` becomes `%25` on each extra round). */
function encodeTimes(text: string, times: number): string {
  let out = encodeURIComponent(text).replace(/\./g, '%2E');
  for (let i = 1; i < times; i++) out = out.replace(/%/g, '%25');
  return out;
}

// [input, expected normalized path]
const LEGITIMATE: [string, string][] = [
  ['model/MLmodel', 'model/MLmodel'],
  ['1/0a1b2c/artifacts/model/MLmodel', '1/0a1b2c/artifacts/model/MLmodel'],
  ['', ''],
  ['.', ''],
  ['./', ''],
  ['a//b', 'a/b'],
  ['./a/./b/', 'a/b'],
  ['a///b//c.txt', 'a/b/c.txt'],
  ['name with space.txt', 'name with space.txt'],
  ['model/name with space.txt', 'model/name with space.txt'],
  ['ünïcødé/模型.bin', 'ünïcødé/模型.bin'],
  ['données/été 2024.csv', 'données/été 2024.csv'],
  ['🚀/launch.txt', '🚀/launch.txt'],
  ['ﬁle.txt', 'ﬁle.txt'], // ligature: NFKC makes it "file.txt", still harmless, spelling kept
  ['model.v1..bak', 'model.v1..bak'],
  ['..hidden', '..hidden'],
  ['.hidden/.env', '.hidden/.env'],
  ['a..b/c..', 'a..b/c..'],
  ['v1.../x', 'v1.../x'],
  ['...', '...'], // three dots is a name, not a parent reference (MLflow accepts it too)
  ['models/artifact/..../', 'models/artifact/....'], // accepted by MLflow's own test suite
  ['100%.txt', '100%.txt'], // a lone % is literal
  ['50%off/x', '50%off/x'], // %of is not an escape
  ['a%20b.txt', 'a%20b.txt'], // kept as spelled: the HTTP edge already decoded once
  ['a%2Fb', 'a%2Fb'], // decodes to a/b: harmless, so the literal name is kept
  ['2024-01-01T10:00:00.json', '2024-01-01T10:00:00.json'], // colon not in scheme position
  ['a/b:c', 'a/b:c'],
  ['a~b/c~', 'a~b/c~'], // tilde only matters at the start of a segment
  ['weird?name;v=1', 'weird?name;v=1'], // MLflow allows these in artifact paths
  ['x'.repeat(MAX_ARTIFACT_PATH_LENGTH), 'x'.repeat(MAX_ARTIFACT_PATH_LENGTH)],
];

// Strings that look like attacks but are plain names on every filesystem we write to: the store keeps
// them inside the root. Accepting them is deliberate (documented in docs/artifacts.md).
const HARMLESS_LOOKALIKES: [string, string][] = [
  ['..../..../etc/passwd', '..../..../etc/passwd'], // defeats filters that strip "../" once; we strip nothing
  ['....//....//etc/passwd', '..../..../etc/passwd'],
  ['..\u2215..\u2215etc\u2215passwd', '..\u2215..\u2215etc\u2215passwd'], // U+2215 is no separator, not even NFKC
];

// [where the string comes from, input]. CVE ids name the MLflow advisory whose proof of concept or fix
// tests used the string (or the technique); "mlflow tests" are MLflow's validate_path_is_safe suite.
const ATTACKS: [string, string][] = [
  // Plain parent traversal.
  ['#7166 / CVE-2023-1177 get-artifact', '../../../../../../etc/passwd'],
  ['CVE-2023-1177', '../../../../../../../../../../../../etc/passwd'],
  ['CVE-2023-2356 source', 'models/../../../'],
  ['mlflow tests', '../path'],
  ['mlflow tests', '../../path'],
  ['mlflow tests', './../path'],
  ['mlflow tests', 'path/../to/file'],
  ['mlflow tests', 'path/../../to/file'],
  ['bare parent', '..'],
  ['trailing parent', 'a/..'],
  ['parent with trailing slash', '../'],
  ['mlflow tests', '../../../../../../../../../../../../var/www/html/index.html'],
  ['mlflow tests', '../../../../../../../../../../../../Program Files (x86)'],
  // Absolute paths and empty leading segments.
  ['CVE-2023-1177 absolute', '/etc/passwd'],
  ['mlflow tests', '/path'],
  ['CVE-2023-6977 is_local_uri bypass', '//proc/self/root'],
  ['mlflow tests', '/file://etc/passwd'],
  ['mlflow tests', '/../../../../../../../../../../../../Windows/System32'],
  ['mlflow tests', '/Windows/System32/drivers/etc/hosts'],
  ['empty-authority style', '///etc/passwd'],
  // Backslashes, Windows drives and UNC paths.
  ['CVE-2023-2780 backslash traversal', '\\..\\..\\filename'],
  ['mlflow tests', '..\\path'],
  ['mlflow tests', '.\\..\\path'],
  ['mlflow tests', 'path\\..\\to\\file'],
  ['mlflow tests', '..\\Windows\\System32\\\\'],
  ['mlflow tests', '..\\..\\..\\..\\Windows\\System32\\\\'],
  ['mlflow tests', '/Windows\\../etc/passwd'],
  ['mlflow tests', '/Windows\\..\\Windows\\System32\\cmd.exe'],
  ['mlflow tests', '....\\\\'],
  ['mlflow tests', '::Windows\\System32'],
  ['CVE-2023-6753 windows drive', 'C:\\Windows\\System32\\\\'],
  ['mlflow tests drive', 'C:/Windows/../Windows/System32/'],
  ['mlflow tests drive-relative', 'C:path'],
  ['mlflow tests drive-relative', 'C:path/to/file'],
  ['mlflow tests drive-relative', 'C:../path/to/file'],
  ['mlflow tests UNC', '\\\\Server\\Share\\folder\\\\'],
  ['mlflow tests UNC', '\\\\127.0.0.1\\c$\\Windows\\\\'],
  ['mlflow tests device path', '\\\\?\\C:\\Windows\\System32\\\\'],
  ['mlflow tests device path', '\\\\.\\C:\\Windows\\System32\\\\'],
  ['mlflow tests', '..\\\\?\\C:\\Windows\\System32\\\\'],
  // URI schemes smuggled as paths.
  ['CVE-2024-3573 file scheme', 'file:///etc/passwd'],
  ['CVE-2024-3573 file scheme', 'file:///proc/version'],
  ['mlflow tests', 'file://c:/boot.ini'],
  ['mlflow tests', 'file://C:path/to/file'],
  ['mlflow tests', 'file:///d:/windows/repair/sam'],
  ['CVE-2024-1593 params', 'http://host/;..%2F..%2Fetc'],
  ['encoded scheme', 'file%3A%2F%2F%2Fetc%2Fpasswd'],
  // Fragments.
  ['CVE-2024-1483 fragment', 'http:///#/../../../../../../../../../../../../../../etc/'],
  ['CVE-2023-6909 fragment', 'file://a#/..//tmp'],
  ['CVE-2024-3848 encoded fragment', 'file://a%23/..//tmp/'],
  ['fragment in a name', 'artifacts#x'],
  // NUL and other control characters.
  ['mlflow tests NUL', '/etc/passwd%00.jpg'],
  ['mlflow tests NUL', '/etc/passwd%00.php'],
  ['encoded NUL in name', 'model%00.pkl'],
  ['raw NUL in name', 'model\u0000.pkl'],
  ['CVE-2023-2356 source NUL', 'models/artifact%00'],
  ['newline', 'a\nb'],
  ['carriage return', 'a\rb'],
  ['tab', 'a\tb'],
  ['DEL', 'a\u007fb'],
  // Percent-encoded parents, once (CVE-2023-6831) and repeatedly (CVE-2024-1560 bypassed its fix).
  ['CVE-2023-6831 encoded', '%2E%2E%2Fpath'],
  ['CVE-2023-6831 encoded', '%2E%2E%2F%2E%2E%2Fpath'],
  ['encoded dots', '%2e%2e/etc/passwd'],
  ['encoded slash', '..%2f..%2fetc%2fpasswd'],
  ['encoded slash', '..%2F'],
  ['half encoded', '%2e./x'],
  ['half encoded', '.%2e/x'],
  ['encoded last segment', 'a/%2e%2e'],
  ['encoded absolute', '%2Fetc%2Fpasswd'],
  ['CVE-2024-1560 double encoded', '%252E%252E%252Fpath'],
  ['CVE-2024-1560 double encoded', '%252e%252e%252fetc%252fpasswd'],
  ['double encoded slash', '..%252f..%252fetc'],
  ['double encoded absolute', '%252Fetc%252Fpasswd'],
  ['triple encoded', '%25252e%25252e/etc/passwd'],
  ['mixed encoding', '%2e%2e/%252e%252e/etc'],
  ['encoded backslash', '..%5c..%5cetc%5cpasswd'],
  ['double encoded backslash', '..%255c..%255cetc'],
  ['encoded NUL, double', 'x%2500'],
  ['encoded fragment, double', 'a%2523/..'],
  ['encoded tilde', '%7E/.ssh/id_rsa'],
  ['12 layers of encoding (never settles in 10 rounds)', encodeTimes('../etc', 12)],
  // Parsers that drop whitespace turn %2<TAB>52e into %252e (mlflow tests).
  ['mlflow tests whitespace strip', '%2%0952e%2%0952e/%2%0A52e%2%0A52e/path'],
  // Invalid UTF-8 (overlong "/" and ".") that lenient decoders map to separators.
  ['overlong UTF-8 slash', '..%c0%af..%c0%afetc%c0%afpasswd'],
  ['overlong UTF-8 dot', '%c0%ae%c0%ae/etc'],
  // Unicode compatibility forms that NFKC (and Windows best-fit mapping) turn into . / \.
  ['fullwidth dots and slash', '\uff0e\uff0e\uff0f\uff0e\uff0e\uff0fetc\uff0fpasswd'],
  ['encoded fullwidth dots', '%EF%BC%8E%EF%BC%8E/etc'],
  ['two-dot leader U+2025', '\u2025/etc'],
  ['fullwidth reverse solidus', '..\uff3cetc'],
  ['small reverse solidus', 'a\ufe68b'],
  // Home directory expansion.
  ['home dir', '~/.ssh/id_rsa'],
  ['other user home', '~root/.bashrc'],
  ['bare tilde segment', 'a/~/b'],
  // Size bound.
  ['too long', 'x'.repeat(MAX_ARTIFACT_PATH_LENGTH + 1)],
];

describe('normalizeArtifactPath', () => {
  it.each(LEGITIMATE)('accepts %j as %j', (raw, expected) => {
    expect(normalizeArtifactPath(raw, 'path')).toBe(expected);
  });

  it.each(HARMLESS_LOOKALIKES)('keeps look-alike %j as the plain name %j', (raw, expected) => {
    expect(normalizeArtifactPath(raw, 'path')).toBe(expected);
  });

  it.each(ATTACKS)('rejects %s: %j', (_source, raw) => {
    expect(rejection(() => normalizeArtifactPath(raw, 'artifact_path')).details.field).toBe('artifact_path');
  });

  it('is idempotent on everything it accepts', () => {
    for (const [raw] of [...LEGITIMATE, ...HARMLESS_LOOKALIKES]) {
      const once = normalizeArtifactPath(raw, 'path');
      expect(normalizeArtifactPath(once, 'path')).toBe(once);
    }
  });

  it('says why a path was refused', () => {
    expect(rejection(() => normalizeArtifactPath('%252e%252e/x', 'path')).message).toMatch(/'\.\.'/);
    expect(rejection(() => normalizeArtifactPath('/etc', 'path')).message).toMatch(/absolute/);
    expect(rejection(() => normalizeArtifactPath('a\\b', 'path')).message).toMatch(/backslash/);
    expect(rejection(() => normalizeArtifactPath('a%00', 'path')).message).toMatch(/NUL/);
  });

  it('refuses exactly from one past the length limit', () => {
    expect(normalizeArtifactPath('y'.repeat(MAX_ARTIFACT_PATH_LENGTH), 'p')).toHaveLength(
      MAX_ARTIFACT_PATH_LENGTH,
    );
    rejection(() => normalizeArtifactPath('y'.repeat(MAX_ARTIFACT_PATH_LENGTH + 1), 'p'));
  });

  it('accepts encoding nested up to the round limit and refuses beyond it', () => {
    expect(normalizeArtifactPath(encodeTimes('a b', 9), 'p')).toBe(encodeTimes('a b', 9));
    rejection(() => normalizeArtifactPath(encodeTimes('a b', 10), 'p'));
  });
});

describe('joinArtifactPath', () => {
  it.each([
    [['1', '0a1b', 'artifacts', 'model/MLmodel'], '1/0a1b/artifacts/model/MLmodel'],
    [['1/0a1b/artifacts', ''], '1/0a1b/artifacts'],
    [['', 'a/', './b//c'], 'a/b/c'],
    [[], ''],
  ])('joins %j as %j', (parts, expected) => {
    expect(joinArtifactPath(...parts)).toBe(expected);
  });

  it.each([
    ['1/run/artifacts', '../../other-run/artifacts'],
    ['1/run/artifacts', '/etc/passwd'],
    ['1/run/artifacts', '%2e%2e'],
    ['..', 'x'],
  ])('refuses %j + %j', (base, sub) => {
    expect(rejection(() => joinArtifactPath(base, sub)).details.field).toBe('path');
  });
});

describe('artifactLocationToPath', () => {
  it.each([
    ['mlflow-artifacts:/1/0a1b2c/artifacts', '1/0a1b2c/artifacts'],
    ['mlflow-artifacts://localhost:5000/1/0a1b2c/artifacts', '1/0a1b2c/artifacts'],
    ['mlflow-artifacts://tracking.example.com/1/x/artifacts', '1/x/artifacts'],
    ['mlflow-artifacts://[::1]:5000/1/x', '1/x'],
    ['mlflow-artifacts:///1/x', '1/x'],
    ['MLFLOW-ARTIFACTS:/1/x', '1/x'],
    ['mlflow-artifacts:/', ''],
    ['mlflow-artifacts:', ''],
    ['mlflow-artifacts://host:9000', ''],
    ['mlflow-artifacts://host:9000/models', 'models'],
    ['mlflow-artifacts:/models/foo///bar', 'models/foo/bar'], // MLflow accepts multiple slashes
    ['mlflow-artifacts://host:9000/models/artifact/..../', 'models/artifact/....'], // and multiple dots
    ['mlflow-artifacts:/1/r/artifacts/name%20with%20space.txt', '1/r/artifacts/name with space.txt'],
    ['mlflow-artifacts:/1/r/artifacts/100%25', '1/r/artifacts/100%'],
  ])('maps %j to %j', (location, expected) => {
    expect(artifactLocationToPath(location, 'artifact_location')).toBe(expected);
  });

  it.each([
    ['CVE-2023-2356', 'mlflow-artifacts://host:9000/models/../../../'],
    ['CVE-2023-2356 encoded', 'mlflow-artifacts://host:9000/models/..%2f..%2fartifacts'],
    ['CVE-2023-2356 NUL', 'mlflow-artifacts://host:9000/models/artifact%00'],
    ['CVE-2024-1560 double encoded', 'mlflow-artifacts:/1/%252e%252e/%252e%252e/etc'],
    ['CVE-2024-1483 fragment', 'mlflow-artifacts:/1/run#/../../../etc/'],
    ['CVE-2024-3848 encoded fragment', 'mlflow-artifacts:/1/run%23/../../etc'],
    ['CVE-2024-1593 params', 'mlflow-artifacts://host/;..%2F..%2Fetc'],
    ['query string (MLflow #10653)', 'mlflow-artifacts:/1/run?x=../../etc'],
    ['harmless-looking query', 'mlflow-artifacts:/1/run?a=b'],
    ['absolute after empty authority', 'mlflow-artifacts:////etc/passwd'],
    ['backslash', 'mlflow-artifacts:/1/a%5c..%5c..%5cx'],
    ['drive letter', 'mlflow-artifacts:/C:/Windows'],
    ['relative, no slash', 'mlflow-artifacts:1/run/artifacts'],
    ['userinfo', 'mlflow-artifacts://user@host/1'],
    ['bad port', 'mlflow-artifacts://host:port/1'],
    ['other scheme: file', 'file:///etc/passwd'],
    ['CVE-2024-1483 http source', 'http:///#/../../../../../../../../../../../../../../etc/'],
    ['other scheme: s3', 's3://bucket/1/run/artifacts'],
    ['other scheme: runs', 'runs:/0a1b/model'],
    ['plain local path', '/tmp/mlruns/1'],
    ['empty', ''],
    ['too long', `mlflow-artifacts:/${'x'.repeat(MAX_ARTIFACT_PATH_LENGTH)}`],
  ])('rejects %s: %j', (_source, location) => {
    expect(rejection(() => artifactLocationToPath(location, 'artifact_location')).details.field).toBe(
      'artifact_location',
    );
  });
});
