/**
 * `slipway serve --endpoint NAME`: a stateless serving process for one endpoint. It reads the
 * endpoint and the registry from the platform's metadata store and artifact store (the same
 * `--backend-store-uri` / `--artifacts-uri` as `slipway server`), serves only the data plane
 * (`/v1/endpoints/NAME/predict`, `/invocations`, OIP v2, `/health`), loads the endpoint before it
 * listens (an unknown endpoint fails at start) and picks up endpoint changes and alias moves by
 * polling every 2 s. SIGTERM/SIGINT stop taking requests, finish in-flight ones, flush the
 * prediction log and exit 0.
 *
 * Prediction log: DuckDB allows one writer process per database file, and the platform server holds
 * `<data-dir>/predictions.duckdb`. A serve process therefore writes its own file, by default
 * `<data-dir>/predictions-serve-<endpoint>.duckdb` (`--predictions-file` chooses another). Replicas
 * of one endpoint sharing a data dir must each be given their own `--predictions-file`; a second
 * process on a file already in use fails at start rather than losing predictions.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, type ConfigFlags, type SlipwayConfig } from '../config.js';
import type { CliDeps } from './program.js';
import { closeOnSignals, writerOf } from './output.js';

/** Port a serve process listens on when neither `--port` nor SLIPWAY_PORT says (the server has 5000). */
export const DEFAULT_SERVE_PORT = 8080;

/** What `slipway serve` starts: a listening single-endpoint process. */
export interface StartedServing {
  url: string;
  live: { name: string; version: string };
  close(): Promise<void>;
}

/** Starts a serving process (main.ts's `startServingPlatform`). */
export type StartServing = (
  config: SlipwayConfig,
  options: { endpoint: string; predictionsFile: string },
) => Promise<StartedServing>;

/** CLI dependencies plus an optional serving starter (tests inject one; main.ts's by default). */
export interface ServeDeps extends CliDeps {
  startServingPlatform?: StartServing;
}

interface ServeFlags extends ConfigFlags {
  endpoint: string;
  predictionsFile?: string;
}

/** Registers `slipway serve`. */
export function registerServeCommand(program: Command, deps: ServeDeps): void {
  program
    .command('serve')
    .description(
      'Serve one endpoint in its own stateless process (data plane only), reading the endpoint and ' +
        "models from the platform's stores and following its changes.",
    )
    .requiredOption('--endpoint <name>', 'the endpoint to serve (POST /invocations refers to it)')
    .option('--host <host>', 'interface to bind (env SLIPWAY_HOST)')
    .option('-p, --port <port>', `port to listen on (env SLIPWAY_PORT, default ${DEFAULT_SERVE_PORT})`)
    .option('--data-dir <dir>', 'directory of embedded storage (env SLIPWAY_DATA_DIR, default ~/.slipway)')
    .option(
      '--backend-store-uri <uri>',
      "the platform's metadata store: sqlite:<path> or postgresql://... (env SLIPWAY_BACKEND_STORE_URI)",
    )
    .option(
      '--artifacts-uri <uri>',
      "the platform's artifact store: file:<dir> or s3://bucket/prefix (env SLIPWAY_ARTIFACTS_URI)",
    )
    .option(
      '--predictions-file <path>',
      "DuckDB file of this process's prediction log (default <data-dir>/predictions-serve-<endpoint>.duckdb)",
    )
    .option('--s3-endpoint-url <url>', 'S3-compatible endpoint (env SLIPWAY_S3_ENDPOINT_URL)')
    .option('--s3-force-path-style', 'path-style S3 addressing (env SLIPWAY_S3_FORCE_PATH_STYLE)')
    .option('--log-level <level>', 'request log level: info, debug, ... or off (env SLIPWAY_LOG_LEVEL)')
    .option('--prediction-log <on|off>', 'log served predictions (env SLIPWAY_PREDICTION_LOG, default on)')
    .option(
      '--prediction-log-uri <uri>',
      'a prediction log shared by every replica: postgresql://...[?schema=NAME] (env SLIPWAY_PREDICTION_LOG_URI)',
    )
    .action(async (flags: ServeFlags) => {
      const env = deps.env ?? process.env;
      const { endpoint, predictionsFile, ...configFlags } = flags;
      const port = configFlags.port ?? (env['SLIPWAY_PORT'] ? undefined : DEFAULT_SERVE_PORT);
      const config = loadConfig({ ...configFlags, port }, env, homedir());
      const start = deps.startServingPlatform ?? (await import('../main.js')).startServingPlatform;
      const serving = await start(config, {
        endpoint,
        predictionsFile:
          predictionsFile ?? join(config.dataDir, `predictions-serve-${fileSafe(endpoint)}.duckdb`),
      });
      writerOf(deps)(
        `Slipway serving endpoint ${endpoint} (${serving.live.name}/${serving.live.version}) on ${serving.url}\n`,
      );
      closeOnSignals(serving);
    });
}

/** An endpoint name as part of a file name (names may hold characters paths do not like). */
function fileSafe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
