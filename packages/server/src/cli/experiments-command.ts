/** `slipway experiments list|create`: experiment commands, talking to a server through the SDK. */
import { Option, type Command } from 'commander';
import type { Experiment, ViewType } from '@slipway/contracts';
import type { CliDeps } from './program.js';
import {
  addClientOptions,
  addPageOptions,
  clientFor,
  collectKeyValue,
  formatTable,
  formatTime,
  pageQuery,
  writeJson,
  writeNextPageHint,
  writerOf,
  type ClientFlags,
  type PageFlags,
} from './output.js';

/** `--view` values mapped to the API's view types. */
const VIEWS: Record<string, ViewType> = { active: 'ACTIVE_ONLY', deleted: 'DELETED_ONLY', all: 'ALL' };

interface ListFlags extends ClientFlags, PageFlags {
  view: string;
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
  const command = addPageOptions(
    parent
      .command('list')
      .description('List experiments.')
      .addOption(
        new Option('--view <view>', 'which experiments to show')
          .choices(Object.keys(VIEWS))
          .default('active'),
      ),
    { filter: `MLflow filter, e.g. "name LIKE 'team-%'"`, orderBy: 'order, e.g. "name ASC" (repeatable)' },
  );
  addClientOptions(command, deps).action(async (flags: ListFlags) => {
    const page = await clientFor(flags).experiments.search({
      viewType: VIEWS[flags.view],
      ...pageQuery(flags),
    });
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, page);
    write(page.experiments.length === 0 ? 'No experiments found.\n' : experimentTable(page.experiments));
    writeNextPageHint(write, page.nextPageToken);
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
