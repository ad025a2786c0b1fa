/**
 * `slipway demo`: the whole lifecycle on generated data (see docs/demo.md). With `--url` it runs
 * against that server and exits; without, it starts an embedded server on a fresh data directory
 * (or `--data-dir`), runs the demo against it over HTTP, and keeps serving so that the printed UI
 * links work, until Ctrl-C (or at once with `--exit`).
 */
import { mkdtemp } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { SlipwayClient } from '@slipway/sdk';
import { loadConfig } from '../config.js';
import { pct, runDemo, type DemoOutcome } from '../demo/demo-story.js';
import { parsePositiveInt, writeJson, writerOf, type Write } from './output.js';
import type { CliDeps } from './program.js';

interface DemoFlags {
  url?: string;
  dataDir?: string;
  host?: string;
  port?: string;
  name: string;
  seed: number;
  json?: boolean;
  exit?: boolean;
}

/** Registers `slipway demo`. */
export function registerDemoCommand(program: Command, deps: CliDeps): void {
  program
    .command('demo')
    .description(
      'Run the whole loop on generated loan data: training runs, baselines, a gated promotion, an endpoint, ' +
        'four weeks of traffic with late labels, a drift alert and a challenger in shadow.',
    )
    .option('--url <url>', 'run against this server instead of starting an embedded one')
    .option('--data-dir <dir>', 'embedded server: its data directory (default: a new temp directory)')
    .option('--host <host>', 'embedded server: interface to bind (default 127.0.0.1)')
    .option('-p, --port <port>', 'embedded server: port (default 5000; 0 picks a free one)')
    .option('--name <prefix>', 'prefix of every name the demo creates', 'credit-risk')
    .option('--seed <n>', 'seed of the generated data', parsePositiveInt, 42)
    .option('--json', 'print the outcome as JSON instead of the story')
    .option('--exit', 'embedded server: stop it when the demo is done instead of serving until Ctrl-C')
    .action(async (flags: DemoFlags) => {
      const write = writerOf(deps);
      if (flags.url !== undefined) {
        await tell(flags, write, new SlipwayClient({ url: flags.url }), flags.url);
        return;
      }
      const dataDir = flags.dataDir ?? (await mkdtemp(join(tmpdir(), 'slipway-demo-')));
      // Only the flags count: the demo's server is its own, whatever SLIPWAY_* the shell exports.
      const config = loadConfig({ dataDir, host: flags.host, port: flags.port }, {}, homedir());
      const platform = await deps.startPlatform(config);
      try {
        if (!flags.json) write(`Embedded Slipway on ${platform.url} (data in ${dataDir})\n\n`);
        await tell(flags, write, new SlipwayClient({ url: platform.url }), platform.url);
      } catch (err) {
        await platform.close();
        throw err;
      }
      if (flags.exit) {
        await platform.close();
        return;
      }
      write(`\nServing on ${platform.url} until Ctrl-C.\n`);
      const stop = (): void => {
        void platform.close().then(() => process.exit(0));
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

/** Runs the demo and prints its story as it goes, then where to look (or the outcome as JSON). */
async function tell(flags: DemoFlags, write: Write, client: SlipwayClient, url: string): Promise<void> {
  const outcome = await runDemo(client, {
    name: flags.name,
    seed: flags.seed,
    uiUrl: url,
    progress: flags.json ? () => undefined : (line) => write(`- ${line}\n`),
  });
  if (flags.json) writeJson(write, outcome);
  else write(summary(outcome));
}

/** The ending of the story: the numbers that matter and the UI pages that show them. */
function summary(outcome: DemoOutcome): string {
  const { shadowComparison: shadow, links } = outcome;
  const weeks = outcome.weeklyErrorRate.map((w) => `week ${w.week} ${pct(w.errorRate)}`).join(', ');
  const lines = [
    '',
    `Live error rate by week: ${weeks}. The challenger, in shadow in week 4: ${pct(shadow.shadow.errorRate)}.`,
    '',
    'Where to look:',
    `  training runs          ${links['experiment']}`,
    `  the champion's run     ${links['championRun']}`,
    `  model and versions     ${links['model']}`,
    `  holdout comparison     ${links['comparison']}`,
    `  gated promotion        ${links['promotion']}`,
    `  challenger vs champion ${links['challengerEvaluation']}`,
    `  endpoint and traffic   ${links['endpoint']}`,
    `  drift and alerts       ${links['monitoring']}`,
    '',
  ];
  return lines.join('\n');
}
