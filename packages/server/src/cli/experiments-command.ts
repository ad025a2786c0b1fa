/** `slipway experiments list|create`: experiment commands, talking to a server through the SDK. */
import { Option, type Command } from 'commander';
import type { Experiment, ViewType } from '@slipway/contracts';
import type { CliDeps } from './program.js';
import {
  addClientOptions,
  clientFor,
  collect,
  collectKeyValue,
  formatTable,
  formatTime,
  parsePositiveInt,
  writeJson,
  writerOf,
  type ClientFlags,
} from './output.js';

/** `--view` values mapped to the API's view types. */
const VIEWS: Record<string, ViewType> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };

interface ListFlags extends ClientFlags {
  view: string;
  filter?: string;
  orderBy: string[];
  maxResults?: number;
  pageToken?: string;
}

interface CreateFlags extends ClientFlags {
  tag: Record<string, string>;
  artifactLocation?: string;
}

/** Registers `slipway experiments ...`. */
export function registerExperimentsCommands(program: Command, deps: CliDeps): void {
  const experiments = program.command('experiments').description('List and create experiments.');
  registerList(experiments, deps);
  registerCreate(experiments, deps);
}

function registerList(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('list')
    .description('List experiments.')
    .addOption(
      new Option('--view <view>', 'which experiments to show').choices(Object.keys(VIEWS)).default('active'),
    )
    .option('--filter <filter>', `MLflow filter, e.g. "name LIKE 'team-%'"`)
    .option('--order-by <expr>', 'order, e.g. "name ASC" (repeatable)', collect, [])
    .option('--max-results <n>', 'page size', parsePositiveInt)
    .option('--page-token <token>', 'continue from a previous page');
  addClientOptions(command, deps).action(async (flags: ListFlags) => {
    const page = await clientFor(flags).experiments.search({
      viewType: VIEWS[flags.view],
      filter: flags.filter,
      orderBy: flags.orderBy.length > 0 ? flags.orderBy : undefined,
      maxResults: flags.maxResults,
      pageToken: flags.pageToken,
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, page);
    write(page.experiments.length === 0 ? 'No experiments found.\n' : experimentTable(page.experiments));
    if (page.nextPageToken) write(`More results: --page-token ${page.nextPageToken}\n`);
  });
}

function registerCreate(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('create')
    .description('Create an experiment.')
    .argument('<name>', 'experiment name (unique)')
    .option('--tag <key=value>', 'experiment tag (repeatable)', collectKeyValue, {})
    .option('--artifact-location <uri>', "where its runs store artifacts (default: the server's store)");
  addClientOptions(command, deps).action(async (name: string, flags: CreateFlags) => {
    const experiment = await clientFor(flags).experiments.create({
      name,
      tags: flags.tag,
      ...(flags.artifactLocation ? { artifactLocation: flags.artifactLocation } : {}),
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { experiment });
    write(`Created experiment '${experiment.name}' with id ${experiment.experimentId}.\n`);
  });
}

function experimentTable(experiments: Experiment[]): string {
  return formatTable(
    ['ID', 'NAME', 'LIFECYCLE', 'CREATED (UTC)', 'ARTIFACT LOCATION'],
    experiments.map((e) => [
      e.experimentId,
      e.name,
      e.lifecycleStage,
      formatTime(e.creationTime),
      e.artifactLocation,
    ]),
  );
}
