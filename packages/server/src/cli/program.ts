/**
 * The `slipway` command line. One command per file; each receives what it needs (the platform
 * starter, an SDK client factory) so commands stay testable without spawning processes.
 */
import { Command, CommanderError } from 'commander';
import { SlipwayError } from '@slipway/contracts';
import type { SlipwayConfig } from '../config.js';
import { registerServerCommand } from './server-command.js';
import { registerExperimentsCommands } from './experiments-command.js';
import { registerRunsCommands } from './runs-command.js';
import { registerModelsCommands } from './models-command.js';
import { registerBaselinesCommands } from './baselines-command.js';
import { registerEvalCommand } from './eval-command.js';
import { registerEndpointsCommands } from './endpoints-command.js';
import { registerPredictionsCommands } from './predictions-command.js';
import { registerLabelsCommands } from './labels-command.js';
import { registerServeCommand } from './serve-command.js';
import { registerJobsCommands } from './jobs-command.js';
import { registerMonitorsCommands } from './monitors-command.js';
import { registerWorkerCommand, type StartWorker } from './worker-command.js';
import { registerDemoCommand } from './demo-command.js';

/** Side effects the CLI needs, injected by main.ts. */
export interface CliDeps {
  startPlatform(config: SlipwayConfig): Promise<{ url: string; close(): Promise<void> }>;
  /** Starts a job worker (`slipway worker`); main.ts's unless a test injects one. */
  startWorker?: StartWorker;
  /** Where command output goes (stdout by default). */
  write?: (text: string) => void;
  env?: Record<string, string | undefined>;
}

/** Builds the commander program. */
export function buildProgram(deps: CliDeps): Command {
  const program = new Command('slipway')
    .description('Slipway: track, register, evaluate, serve and monitor ML models.')
    .showHelpAfterError()
    .exitOverride();
  registerServerCommand(program, deps);
  registerExperimentsCommands(program, deps);
  registerRunsCommands(program, deps);
  registerModelsCommands(program, deps);
  registerBaselinesCommands(program, deps);
  registerEvalCommand(program, deps);
  registerEndpointsCommands(program, deps);
  registerPredictionsCommands(program, deps);
  registerLabelsCommands(program, deps);
  registerServeCommand(program, deps);
  registerJobsCommands(program, deps);
  registerMonitorsCommands(program, deps);
  registerWorkerCommand(program, deps);
  registerDemoCommand(program, deps);
  return program;
}

/** Runs the CLI; resolves with an exit code for errors it reported itself. */
export async function runCli(argv: string[], deps: CliDeps): Promise<number | undefined> {
  try {
    await buildProgram(deps).parseAsync(argv);
    return undefined;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    if (err instanceof SlipwayError) {
      const field = err.details.field ? ` (${err.details.field})` : '';
      console.error(`error ${err.code}${field}: ${err.message}`);
      return 1;
    }
    throw err;
  }
}
