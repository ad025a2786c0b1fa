/**
 * One validated configuration for the platform process: flags override environment variables,
 * which override defaults. Pure: callers pass in the environment and home directory.
 */
import { join, resolve } from 'node:path';
import { invalidArgument } from '@slipway/contracts';

/** Resolved platform configuration. */
export interface SlipwayConfig {
  host: string;
  port: number;
  /** Directory for embedded storage (SQLite file, artifacts). */
  dataDir: string;
  /** Metadata store URI: `sqlite:<path>` (default) or `postgresql://...`. */
  backendStoreUri: string;
  /** Artifact store URI: `file:<dir>` (default). */
  artifactsUri: string;
  /** Pino log level, or false for no request log. */
  logLevel: string | false;
}

/** Flags as given on the command line (all optional strings). */
export interface ConfigFlags {
  host?: string;
  port?: string | number;
  dataDir?: string;
  backendStoreUri?: string;
  artifactsUri?: string;
  logLevel?: string;
}

/** Environment variables read by the platform. */
export const ENV_VARS = {
  host: 'SLIPWAY_HOST',
  port: 'SLIPWAY_PORT',
  dataDir: 'SLIPWAY_DATA_DIR',
  backendStoreUri: 'SLIPWAY_BACKEND_STORE_URI',
  artifactsUri: 'SLIPWAY_ARTIFACTS_URI',
  logLevel: 'SLIPWAY_LOG_LEVEL',
} as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent', 'off'];

/** Builds the configuration; throws INVALID_ARGUMENT naming the flag for bad values. */
export function loadConfig(
  flags: ConfigFlags,
  env: Record<string, string | undefined>,
  homeDir: string,
): SlipwayConfig {
  const pick = (key: keyof typeof ENV_VARS): string | undefined => {
    const flag = flags[key];
    return flag !== undefined && flag !== '' ? String(flag) : env[ENV_VARS[key]] || undefined;
  };
  const dataDir = resolve(pick('dataDir') ?? join(homeDir, '.slipway'));
  const backendStoreUri = pick('backendStoreUri') ?? `sqlite:${join(dataDir, 'slipway.db')}`;
  const artifactsUri = pick('artifactsUri') ?? `file:${join(dataDir, 'artifacts')}`;
  checkScheme('backend-store-uri', backendStoreUri, ['sqlite:', 'postgresql:', 'postgres:']);
  checkScheme('artifacts-uri', artifactsUri, ['file:']);
  const logLevel = pick('logLevel') ?? 'off';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw invalidArgument(
      'log-level',
      `Invalid --log-level '${logLevel}': expected one of ${LOG_LEVELS.join(', ')}.`,
    );
  }
  return {
    host: pick('host') ?? '127.0.0.1',
    port: parsePort(pick('port') ?? '5000'),
    dataDir,
    backendStoreUri,
    artifactsUri,
    logLevel: logLevel === 'off' ? false : logLevel,
  };
}

function parsePort(raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidArgument('port', `Invalid --port '${raw}': expected an integer between 0 and 65535.`);
  }
  return port;
}

function checkScheme(flag: string, uri: string, schemes: string[]): void {
  if (!schemes.some((s) => uri.startsWith(s))) {
    throw invalidArgument(
      flag,
      `Unsupported --${flag} '${uri}': expected a URI starting with ${schemes.join(' or ')}.`,
    );
  }
}
