/** `slipway runs list|show`: run commands, talking to a server through the SDK. */
import type { Command } from 'commander';
import { encodeWireNumber, toWireRun, type Run } from '@slipway/contracts';
import { resolveExperimentId } from './experiment-ref.js';
import type { CliDeps } from './program.js';
import {
  addClientOptions,
  addPageOptions,
  clientFor,
  formatDuration,
  formatFields,
  formatTable,
  formatTime,
  pageQuery,
  writeJson,
  writeNextPageHint,
  writerOf,
  type ClientFlags,
  type PageFlags,
  type Write,
} from './output.js';

interface ListFlags extends ClientFlags, PageFlags {
  experiment: string;
}

/** Registers `slipway runs ...`. */
export function registerRunsCommands(program: Command, deps: CliDeps): void {
  const runs = program.command('runs').description('List and inspect runs.');
  registerList(runs, deps);
  registerShow(runs, deps);
}

function registerList(parent: Command, deps: CliDeps): void {
  const command = addPageOptions(
    parent
      .command('list')
      .description('List runs of an experiment.')
      .requiredOption('--experiment <id|name>', 'experiment id or exact name'),
    {
      filter: `MLflow filter, e.g. "metrics.acc > 0.9 and params.lr = '0.01'"`,
      orderBy: 'order, e.g. "metrics.acc DESC" (repeatable)',
    },
  );
  addClientOptions(command, deps).action(async (flags: ListFlags) => {
    const client = clientFor(flags);
    const experimentId = await resolveExperimentId(client, flags.experiment);
    const page = await client.runs.search({ experimentIds: [experimentId], ...pageQuery(flags) });
    const write = writerOf(deps);
    // Metric values may be NaN/Infinity: print the wire form, which is valid JSON.
    if (flags.json) return writeJson(write, { ...page, runs: page.runs.map(toWireRun) });
    write(page.runs.length === 0 ? 'No runs found.\n' : runTable(page.runs));
    writeNextPageHint(write, page.nextPageToken);
  });
}

function registerShow(parent: Command, deps: CliDeps): void {
  const command = parent.command('show').description('Show a run with its metrics, params, tags and inputs.');
  command.argument('<runId>', 'run id');
  addClientOptions(command, deps).action(async (runId: string, flags: ClientFlags) => {
    const run = await clientFor(flags).runs.get(runId);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { run: toWireRun(run) });
    writeRun(write, run);
  });
}

function runTable(runs: Run[]): string {
  return formatTable(
    ['RUN ID', 'NAME', 'STATUS', 'START (UTC)', 'DURATION'],
    runs.map(({ info }) => [
      info.runId,
      info.runName,
      info.status,
      formatTime(info.startTime),
      formatDuration(info.startTime, info.endTime),
    ]),
  );
}

function writeRun(write: Write, run: Run): void {
  const { info, data, inputs } = run;
  write(`Run ${info.runName} (${info.runId})\n`);
  write(
    formatFields([
      ['Experiment', info.experimentId],
      ['Status', info.status],
      ['User', info.userId],
      ['Start (UTC)', formatTime(info.startTime)],
      ['End (UTC)', formatTime(info.endTime)],
      ['Duration', formatDuration(info.startTime, info.endTime)],
      ['Lifecycle', info.lifecycleStage],
      ['Artifact URI', info.artifactUri],
    ]),
  );
  const metrics = [...data.metrics].sort((a, b) => a.key.localeCompare(b.key));
  section(
    write,
    'Metrics',
    ['KEY', 'VALUE', 'STEP', 'TIME (UTC)'],
    metrics.map((m) => [m.key, String(encodeWireNumber(m.value)), String(m.step), formatTime(m.timestamp)]),
  );
  section(write, 'Params', ['KEY', 'VALUE'], sortedEntries(data.params));
  section(write, 'Tags', ['KEY', 'VALUE'], sortedEntries(data.tags));
  section(
    write,
    'Inputs',
    ['DATASET', 'DIGEST', 'CONTEXT'],
    inputs.datasetInputs.map((d) => [d.dataset.name, d.dataset.digest, d.tags['mlflow.data.context'] ?? '-']),
  );
}

function section(write: Write, title: string, headers: string[], rows: string[][]): void {
  write(`\n${title}\n`);
  write(rows.length === 0 ? '(none)\n' : formatTable(headers, rows));
}

function sortedEntries(map: Record<string, string>): string[][] {
  return Object.entries(map)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => [k, v]);
}
