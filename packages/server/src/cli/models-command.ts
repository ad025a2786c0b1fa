/**
 * `slipway models register|list|show|alias|history|diff-contract`: the model registry through the
 * SDK. Every command names its user (`--user`, SLIPWAY_USER, else the OS login) so the registry's
 * audit history says who moved what. `diff-contract` exits 1 on a breaking change to gate CI.
 * `models gate` and `models promote` (evaluation-gated promotion) live in models-gate-command.ts.
 */
import { userInfo } from 'node:os';
import { CommanderError, Option, type Command } from 'commander';
import { COMPATIBILITY_MODES, definedFields, type CompatibilityMode } from '@slipway/contracts';
import type { SlipwayClient } from '@slipway/sdk';
import { registerModelsGateCommands } from './models-gate-command.js';
import type { CliDeps } from './program.js';
import {
  aliasMoveSummary,
  aliasRemovalSummary,
  aliasesAtTable,
  contractDiffReport,
  eventTable,
  modelTable,
  registeredSummary,
  writeModel,
  writeVersion,
} from './models-output.js';
import {
  addClientOptions,
  addPageOptions,
  clientFor,
  collectKeyValue,
  pageQuery,
  parsePositiveInt,
  writeJson,
  writeNextPageHint,
  writerOf,
  type ClientFlags,
  type PageFlags,
} from './output.js';
import { directoryUploads, uploadFiles, withUploadRun } from './uploads.js';

/** Options every models command takes besides `--url` and `--json`. */
interface ModelsFlags extends ClientFlags {
  user?: string;
}

interface RegisterFlags extends ModelsFlags {
  source?: string;
  runId?: string;
  fromDir?: string;
  experiment: string;
  description?: string;
  tag: Record<string, string>;
}

interface ListFlags extends ModelsFlags, PageFlags {}

interface AliasFlags extends ModelsFlags {
  reason?: string;
  force?: boolean;
  delete?: boolean;
}

interface HistoryFlags extends ModelsFlags {
  alias?: string;
  at?: string;
  afterSeq?: number;
  limit?: number;
}

interface DiffFlags extends ModelsFlags {
  mode: CompatibilityMode;
}

/** Where `--from-dir` puts the package inside the new run's artifacts. */
const PACKAGE_DIR = 'model';

/** Versions listed by `models show NAME`. */
const SHOWN_VERSIONS = 100;

/** Registers `slipway models ...`. */
export function registerModelsCommands(program: Command, deps: CliDeps): void {
  const models = program
    .command('models')
    .description('Register, inspect and promote models in the model registry.');
  registerRegister(models, deps);
  registerList(models, deps);
  registerShow(models, deps);
  registerAlias(models, deps);
  registerHistory(models, deps);
  registerDiffContract(models, deps);
  registerModelsGateCommands(models, deps, addModelsOptions);
}

function registerRegister(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('register')
    .description(
      'Register a new model version (the model is created when missing), from a source URI or by ' +
        `uploading a local package directory as the artifacts of a new run (under ${PACKAGE_DIR}/).`,
    )
    .argument('<name>', "registered model name ('/' and '@' are not allowed)")
    .addOption(new Option('--source <uri>', 'model source, e.g. runs:/<runId>/model').conflicts('fromDir'))
    .addOption(
      new Option('--run-id <id>', 'the run that produced the model (with --source)').conflicts('fromDir'),
    )
    .addOption(new Option('--from-dir <dir>', 'local package directory to upload (slipway.yaml or MLmodel)'))
    .addOption(
      new Option('--experiment <id|name>', 'experiment of the upload run (with --from-dir)')
        .default('0', 'Default')
        .conflicts('source'),
    )
    .option('--description <text>', 'version description')
    .option('--tag <key=value>', 'version tag (repeatable)', collectKeyValue, {});
  addModelsOptions(command, deps).action(async (name: string, flags: RegisterFlags) => {
    if (flags.source === undefined && flags.fromDir === undefined) {
      command.error("error: one of '--source <uri>' or '--from-dir <dir>' is required");
    }
    const client = clientFor(flags);
    const origin =
      flags.fromDir === undefined ? undefined : await uploadPackage(client, flags.fromDir, flags.experiment);
    const modelVersion = await client.models.register({
      name,
      source: origin?.source ?? flags.source ?? '',
      ...definedFields({ runId: origin?.runId ?? flags.runId, description: flags.description }),
      tags: flags.tag,
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { modelVersion });
    write(registeredSummary(modelVersion));
  });
}

function registerList(parent: Command, deps: CliDeps): void {
  const command = addPageOptions(parent.command('list').description('List registered models.'), {
    filter: `MLflow registry filter, e.g. "name LIKE 'fraud%'" or "tags.team = 'risk'"`,
    orderBy: 'order, e.g. "last_updated_timestamp DESC" (repeatable)',
  });
  addModelsOptions(command, deps).action(async (flags: ListFlags) => {
    const page = await clientFor(flags).models.search(pageQuery(flags));
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, page);
    write(
      page.registeredModels.length === 0
        ? 'No registered models found.\n'
        : modelTable(page.registeredModels),
    );
    writeNextPageHint(write, page.nextPageToken);
  });
}

function registerShow(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('show')
    .description('Show a model with its aliases and versions, or one version with its contract and package.')
    .argument('<ref>', 'NAME, NAME/VERSION (a number, latest or a stage) or NAME@ALIAS');
  addModelsOptions(command, deps).action(async (ref: string, flags: ModelsFlags) => {
    const client = clientFor(flags);
    const write = writerOf(deps);
    // Names cannot contain '/' or '@', so either one marks a version reference.
    if (/[/@]/.test(ref)) {
      const modelVersion = await client.models.resolve(`models:/${ref}`);
      if (flags.json) return writeJson(write, { modelVersion });
      return writeVersion(write, modelVersion);
    }
    const registeredModel = await client.models.get(ref);
    const page = await client.models.searchVersions({
      filter: `name = '${ref.replaceAll("'", "''")}'`,
      orderBy: ['version_number DESC'],
      maxResults: SHOWN_VERSIONS,
    });
    if (flags.json) return writeJson(write, { registeredModel, modelVersions: page.modelVersions });
    writeModel(write, registeredModel, page.modelVersions, page.nextPageToken !== undefined);
  });
}

function registerAlias(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('alias')
    .description(
      "Point an alias at a version (checked against the current version's contract), or remove it with --delete.",
    )
    .argument('<name>', 'registered model name')
    .argument('<alias>', 'alias, e.g. champion')
    .argument('[version]', 'version to point at (omit with --delete)')
    .option('--reason <text>', 'why, recorded in the history')
    .addOption(
      new Option('--force', 'move even when the contract breaks the current one (audited)').conflicts(
        'delete',
      ),
    )
    .option('--delete', 'remove the alias instead');
  addModelsOptions(command, deps).action(
    async (name: string, alias: string, version: string | undefined, flags: AliasFlags) => {
      if (flags.delete && version !== undefined) command.error('error: --delete takes no version');
      if (!flags.delete && version === undefined) command.error("error: missing required argument 'version'");
      const client = clientFor(flags);
      const write = writerOf(deps);
      const reason = definedFields({ reason: flags.reason });
      if (flags.delete) {
        const event = await client.models.deleteAlias(name, alias, reason);
        if (flags.json) return writeJson(write, { event });
        return write(aliasRemovalSummary(event));
      }
      const move = await client.models.setAlias(name, alias, version ?? '', {
        ...reason,
        force: flags.force === true,
      });
      if (flags.json) return writeJson(write, move);
      write(aliasMoveSummary(move));
    },
  );
}

function registerHistory(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('history')
    .description("A model's audited registry events, or with --at what each alias pointed at then.")
    .argument('<name>', 'registered model name')
    .option('--alias <alias>', 'only this alias')
    .option('--at <time>', 'ISO 8601 (2024-03-03T12:00:00Z; no zone means UTC) or ms since the epoch')
    .option('--after-seq <seq>', 'only events after this sequence number', parseNonNegativeInt)
    .option('--limit <n>', 'at most this many events (default 1000)', parsePositiveInt);
  addModelsOptions(command, deps).action(async (name: string, flags: HistoryFlags) => {
    const client = clientFor(flags);
    const write = writerOf(deps);
    if (flags.at !== undefined) {
      const aliases = await client.models.aliasesAt(name, flags.at, definedFields({ alias: flags.alias }));
      if (flags.json) return writeJson(write, { at: flags.at, aliases });
      write(`Aliases of ${name} at ${flags.at}:\n`);
      return write(aliases.length === 0 ? 'No aliases were set.\n' : aliasesAtTable(aliases));
    }
    const events = await client.models.history(
      name,
      definedFields({ alias: flags.alias, afterSeq: flags.afterSeq, limit: flags.limit }),
    );
    if (flags.json) return writeJson(write, { events });
    write(events.length === 0 ? 'No events.\n' : eventTable(events));
  });
}

function registerDiffContract(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('diff-contract')
    .description("Compare two versions' contracts; exits 1 when the change is breaking (use it to gate CI).")
    .argument('<name>', 'registered model name')
    .argument('<from>', 'old version (e.g. the one serving now)')
    .argument('<to>', 'new version')
    .addOption(
      new Option('--mode <mode>', 'compatibility mode').choices([...COMPATIBILITY_MODES]).default('backward'),
    );
  addModelsOptions(command, deps).action(async (name: string, from: string, to: string, flags: DiffFlags) => {
    const report = await clientFor(flags).models.diffContract(name, from, to, { mode: flags.mode });
    const write = writerOf(deps);
    if (flags.json) writeJson(write, { compatibility: report });
    else write(contractDiffReport(name, from, to, report));
    // Thrown rather than process.exitCode so runCli reports it like every other failure.
    if (!report.compatible)
      throw new CommanderError(1, 'slipway.contractBreaking', 'The contract change is breaking.');
  });
}

/** `--url`, `--json` and `--user` (also taken by the evaluation commands, which act in the registry). */
export function addModelsOptions(command: Command, deps: CliDeps): Command {
  const env = deps.env ?? process.env;
  return addClientOptions(command, deps).option(
    '--user <name>',
    'who is acting, recorded in the registry history (env SLIPWAY_USER, default: your login name)',
    env['SLIPWAY_USER'] || loginName(),
  );
}

/** The OS login name if it can travel in an HTTP header (printable ASCII), else none. */
function loginName(): string | undefined {
  try {
    const name = userInfo().username;
    return /^[\x20-\x7e]+$/.test(name) ? name : undefined;
  } catch {
    // Containers often run as a uid with no passwd entry.
    return undefined;
  }
}

/**
 * Uploads every file below `dir` as artifacts of a new run under `model/`, so the version's lineage
 * always points at a run. The run is FAILED if an upload fails, FINISHED otherwise.
 */
async function uploadPackage(
  client: SlipwayClient,
  dir: string,
  experiment: string,
): Promise<{ source: string; runId: string }> {
  const uploads = await directoryUploads(dir, PACKAGE_DIR, 'from-dir');
  const source = 'slipway models register';
  return withUploadRun(client, { experiment, source }, async ({ runId }) => {
    await uploadFiles(client, runId, uploads);
    return { source: `runs:/${runId}/${PACKAGE_DIR}`, runId };
  });
}

/** Commander argument parser for a non-negative integer option. */
function parseNonNegativeInt(raw: string): number {
  return raw === '0' ? 0 : parsePositiveInt(raw);
}
