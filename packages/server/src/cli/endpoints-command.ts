/**
 * `slipway endpoints create|list|show|update|delete|predict`: serving endpoints through the SDK.
 * Models are named `NAME@ALIAS` (follows the alias as it moves) or `NAME/VERSION` (pinned).
 * `update --no-canary` is the rollback: the canary is removed and all traffic goes to the live model.
 * `--rate-limit` / `--rate-limit-burst` set the per-process token bucket; `update --no-rate-limit` removes it.
 * `predict` prints the data plane's response body as it is (snake_case JSON).
 */
import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import {
  MAX_REQUESTS_PER_SECOND,
  UNKNOWN_CATEGORY_POLICIES,
  burstOf,
  definedFields,
  invalidArgument,
  type Batching,
  type CreateEndpointRequest,
  type Endpoint,
  type ModelVersionRef,
  type RateLimit,
  type UpdateEndpointRequest,
} from '@slipway/contracts';
import type { PredictInput } from '@slipway/sdk';
import { formatModelRef, parseModelRef } from './evaluation-output.js';
import { addModelsOptions } from './models-command.js';
import {
  clientFor,
  collect,
  formatFields,
  formatTable,
  formatTime,
  parsePositiveInt,
  writeJson,
  writerOf,
  type ClientFlags,
  type Write,
} from './output.js';
import type { CliDeps } from './program.js';

interface EndpointFlags extends ClientFlags {
  user?: string;
}

/** Traffic and limits shared by create and update. */
interface SpecFlags extends EndpointFlags {
  model?: string;
  description?: string;
  canaryPercent?: number;
  shadow: string[];
  maxRows?: number;
  batchSize?: number;
  batchWaitMs?: number;
  /** False for `--no-batching`. */
  batching: boolean;
  /** Requests per second, or false for update's `--no-rate-limit` (both set one attribute). */
  rateLimit?: number | false;
  rateLimitBurst?: number;
  unknownCategories?: (typeof UNKNOWN_CATEGORY_POLICIES)[number];
}

interface CreateFlags extends SpecFlags {
  model: string;
  canary?: string;
}

interface UpdateFlags extends SpecFlags {
  /** A reference, or false for `--no-canary`. */
  canary?: string | false;
  /** False for `--no-shadows`. */
  shadows: boolean;
}

interface PredictFlags extends EndpointFlags {
  data: string;
  routingKey?: string;
}

const MODEL_HELP = 'NAME@ALIAS (follows the alias) or NAME/VERSION (pinned)';

/** Registers `slipway endpoints ...`. */
export function registerEndpointsCommands(program: Command, deps: CliDeps): void {
  const endpoints = program
    .command('endpoints')
    .description('Create and manage serving endpoints (canary, shadows, rollback) and call them.');
  registerCreate(endpoints, deps);
  registerList(endpoints, deps);
  registerShow(endpoints, deps);
  registerUpdate(endpoints, deps);
  registerDelete(endpoints, deps);
  registerPredict(endpoints, deps);
}

/** Options create and update share. */
function addSpecOptions(command: Command): Command {
  return command
    .option('--description <text>', 'endpoint description')
    .option('--canary-percent <p>', 'share of requests (0-100) routed to the canary', parsePercent)
    .option(
      '--shadow <ref>',
      `shadow model, called off the response path (repeatable): ${MODEL_HELP}`,
      collect,
      [],
    )
    .option('--max-rows <n>', 'most rows one predict call may carry (default 1000)', parsePositiveInt)
    .option(
      '--batch-size <n>',
      'micro-batching: most rows one model call takes (default 256)',
      parsePositiveInt,
    )
    .option(
      '--batch-wait-ms <ms>',
      'micro-batching: how long a lone request waits for company (0-1000, default 0)',
      parseWaitMs,
    )
    .addOption(
      new Option('--no-batching', 'turn micro-batching off (it is on by default)').conflicts([
        'batchSize',
        'batchWaitMs',
      ]),
    )
    .option(
      '--rate-limit <rps>',
      'requests per second each serving process admits (fractions allowed; 429 beyond)',
      parseRequestsPerSecond,
    )
    .option(
      '--rate-limit-burst <n>',
      'requests admitted at once after a quiet spell (default: the rate, rounded up)',
      parsePositiveInt,
    )
    .addOption(
      new Option('--unknown-categories <policy>', 'category values the contract does not list').choices(
        UNKNOWN_CATEGORY_POLICIES,
      ),
    );
}

function registerCreate(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('create')
    .description('Create an endpoint serving a model version or alias.')
    .argument('<name>', 'endpoint name')
    .requiredOption('--model <ref>', `live model: ${MODEL_HELP}`)
    .option('--canary <ref>', `canary model (with --canary-percent): ${MODEL_HELP}`);
  addModelsOptions(addSpecOptions(command), deps).action(async (name: string, flags: CreateFlags) => {
    if ((flags.canary === undefined) !== (flags.canaryPercent === undefined)) {
      command.error("error: '--canary <ref>' and '--canary-percent <p>' go together");
    }
    if (flags.rateLimitBurst !== undefined && flags.rateLimit === undefined) {
      command.error("error: '--rate-limit-burst <n>' needs '--rate-limit <rps>'");
    }
    const batching = batchingOf(flags);
    const request: CreateEndpointRequest = {
      name,
      model: parseModelRef(flags.model, 'model'),
      ...definedFields({
        description: flags.description,
        maxRows: flags.maxRows,
        batching,
        rateLimit: rateLimitOf(flags),
        validation:
          flags.unknownCategories === undefined ? undefined : { unknownCategories: flags.unknownCategories },
      }),
    };
    if (flags.canary !== undefined) {
      request.canary = { model: parseModelRef(flags.canary, 'canary'), percent: flags.canaryPercent ?? 0 };
    }
    if (flags.shadow.length > 0) request.shadows = flags.shadow.map((s) => parseModelRef(s, 'shadow'));
    const endpoint = await clientFor(flags).endpoints.create(request);
    writeEndpoint(writerOf(deps), endpoint, flags, `Created endpoint ${endpoint.name}.\n`);
  });
}

function registerList(parent: Command, deps: CliDeps): void {
  const command = parent.command('list').description('List endpoints by name.');
  addModelsOptions(command, deps).action(async (flags: EndpointFlags) => {
    const endpoints = await clientFor(flags).endpoints.list();
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { endpoints });
    write(endpoints.length === 0 ? 'No endpoints found.\n' : endpointTable(endpoints));
  });
}

function registerShow(parent: Command, deps: CliDeps): void {
  const command = parent.command('show').description('Show an endpoint.').argument('<name>', 'endpoint name');
  addModelsOptions(command, deps).action(async (name: string, flags: EndpointFlags) => {
    const endpoint = await clientFor(flags).endpoints.get(name);
    writeEndpoint(writerOf(deps), endpoint, flags, '');
  });
}

function registerUpdate(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('update')
    .description(
      'Change what an endpoint serves. Serving processes swap atomically; --no-canary rolls the canary back.',
    )
    .argument('<name>', 'endpoint name')
    .option('--model <ref>', `live model: ${MODEL_HELP}`)
    .option('--canary <ref>', `canary model (with --canary-percent): ${MODEL_HELP}`)
    // Not Option.conflicts: --canary and --no-canary share one attribute, so it would refuse --canary too.
    .option('--no-canary', 'remove the canary: all traffic to the live model (rollback)');
  addSpecOptions(command)
    .addOption(new Option('--no-shadows', 'remove every shadow').conflicts('shadow'))
    // After --rate-limit <rps>, so commander leaves the default undefined; shares its attribute, so
    // the clash with --rate-limit-burst is checked by hand, as for --no-canary.
    .option('--no-rate-limit', 'remove the rate limit: admit every request');
  addModelsOptions(command, deps).action(async (name: string, flags: UpdateFlags) => {
    if (flags.canary === false && flags.canaryPercent !== undefined) {
      command.error("error: option '--no-canary' cannot be used with option '--canary-percent <p>'");
    }
    if (flags.rateLimit === false && flags.rateLimitBurst !== undefined) {
      command.error("error: option '--no-rate-limit' cannot be used with option '--rate-limit-burst <n>'");
    }
    const client = clientFor(flags);
    const patch: UpdateEndpointRequest = definedFields({
      description: flags.description,
      model: flags.model === undefined ? undefined : parseModelRef(flags.model, 'model'),
      maxRows: flags.maxRows,
      validation:
        flags.unknownCategories === undefined ? undefined : { unknownCategories: flags.unknownCategories },
    });
    // Canary, batching and the rate limit are replaced whole by the API; a flag given alone keeps the rest as stored.
    const current = needsCurrent(flags) ? await client.endpoints.get(name) : undefined;
    if (flags.canary === false) {
      patch.canary = null;
    } else if (flags.canary !== undefined || flags.canaryPercent !== undefined) {
      patch.canary = canaryOf(flags, current);
    }
    if (flags.shadows === false) patch.shadows = [];
    else if (flags.shadow.length > 0) patch.shadows = flags.shadow.map((s) => parseModelRef(s, 'shadow'));
    const batching = batchingOf(flags, current?.batching);
    if (batching !== undefined) patch.batching = batching;
    if (flags.rateLimit === false) patch.rateLimit = null;
    else {
      const rateLimit = rateLimitOf(flags, current);
      if (rateLimit !== undefined) patch.rateLimit = rateLimit;
    }
    if (Object.keys(patch).length === 0) command.error('error: nothing to update: give at least one option');
    const endpoint = await client.endpoints.update(name, patch);
    writeEndpoint(
      writerOf(deps),
      endpoint,
      flags,
      `Updated endpoint ${endpoint.name} (revision ${endpoint.revision}).\n`,
    );
  });
}

function registerDelete(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('delete')
    .description('Delete an endpoint (serving processes stop serving it).')
    .argument('<name>', 'endpoint name');
  addModelsOptions(command, deps).action(async (name: string, flags: EndpointFlags) => {
    await clientFor(flags).endpoints.delete(name);
    const write = writerOf(deps);
    if (flags.json) return writeJson(write, { deleted: name });
    write(`Deleted endpoint ${name}.\n`);
  });
}

function registerPredict(parent: Command, deps: CliDeps): void {
  const command = parent
    .command('predict')
    .description(
      'Predict with an endpoint and print the response JSON. The data is {"instances": [rows]}, ' +
        '{"inputs": {column: [values]}} or a bare list of rows.',
    )
    .argument('<name>', 'endpoint name')
    .requiredOption('--data <file>', "JSON file with the rows, or '-' for stdin")
    .option('--routing-key <key>', 'sticky canary routing key (overrides routing_key in the data)');
  addModelsOptions(command, deps).action(async (name: string, flags: PredictFlags) => {
    const text = flags.data === '-' ? await readStdin() : await readFile(flags.data, 'utf8');
    const { input, routingKey } = predictInputOf(text, flags.data);
    const key = flags.routingKey ?? routingKey;
    const response = await clientFor(flags).endpoints.predict(
      name,
      input,
      key === undefined ? {} : { routingKey: key },
    );
    writeJson(writerOf(deps), response);
  });
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Whether the update has to read the stored endpoint to keep what a lone flag does not replace. */
function needsCurrent(flags: UpdateFlags): boolean {
  const canaryPartial = flags.canary === undefined && flags.canaryPercent !== undefined;
  const batchingPartial =
    flags.batching && (flags.batchSize === undefined) !== (flags.batchWaitMs === undefined);
  const rateLimitPartial =
    flags.rateLimit !== false && (flags.rateLimit === undefined) !== (flags.rateLimitBurst === undefined);
  return canaryPartial || batchingPartial || rateLimitPartial;
}

/** The canary of an update: `--canary` and/or `--canary-percent`, the other half from the stored one. */
function canaryOf(
  flags: UpdateFlags,
  current: Endpoint | undefined,
): { model: ModelVersionRef; percent: number } {
  const model =
    typeof flags.canary === 'string' ? parseModelRef(flags.canary, 'canary') : current?.canary?.model;
  if (model === undefined) {
    throw invalidArgument('canary', 'The endpoint has no canary: name one with --canary <ref>.');
  }
  const percent = flags.canaryPercent ?? current?.canary?.percent;
  if (percent === undefined) {
    throw invalidArgument('canary-percent', 'A new canary needs --canary-percent <p>.');
  }
  return { model, percent };
}

/**
 * Batching from `--no-batching`, `--batch-size` / `--batch-wait-ms` over `base`; undefined when none
 * is given (the endpoint keeps what it has: batching is on by default).
 */
function batchingOf(flags: SpecFlags, base: Batching | undefined = undefined): Batching | undefined {
  if (flags.batching === false) return { enabled: false };
  if (flags.batchSize === undefined && flags.batchWaitMs === undefined) return undefined;
  // Sizes given mean batching on: a stored `enabled: false` is dropped, not carried over.
  const { enabled: _stored, ...kept } = base ?? {};
  return {
    ...kept,
    ...definedFields({ maxBatchSize: flags.batchSize, maxWaitMs: flags.batchWaitMs }),
  };
}

/**
 * The rate limit from `--rate-limit` / `--rate-limit-burst`; undefined when neither is given. A
 * lone `--rate-limit` keeps a stored explicit burst, and a lone `--rate-limit-burst` the stored rate.
 */
function rateLimitOf(flags: SpecFlags, current: Endpoint | undefined = undefined): RateLimit | undefined {
  if (flags.rateLimit === false) return undefined;
  if (flags.rateLimit === undefined && flags.rateLimitBurst === undefined) return undefined;
  const requestsPerSecond = flags.rateLimit ?? current?.rateLimit?.requestsPerSecond;
  if (requestsPerSecond === undefined) {
    throw invalidArgument('rate-limit', 'The endpoint has no rate limit: give --rate-limit <rps>.');
  }
  const burst = flags.rateLimitBurst ?? current?.rateLimit?.burst;
  return burst === undefined ? { requestsPerSecond } : { requestsPerSecond, burst };
}

/** Decodes the `--data` JSON into SDK input; refuses anything the data plane would not take. */
function predictInputOf(text: string, source: string): { input: PredictInput; routingKey?: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw invalidArgument('data', `${source} is not valid JSON: ${err instanceof Error ? err.message : err}`);
  }
  if (Array.isArray(body)) return { input: body as Record<string, unknown>[] };
  if (typeof body !== 'object' || body === null) {
    throw invalidArgument('data', `${source} must hold a JSON object or a list of rows`);
  }
  const { instances, inputs, routing_key: routingKey, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) {
    throw invalidArgument(
      'data',
      `${source} has unexpected field '${unknown[0]}': expected instances or inputs, and optionally routing_key`,
    );
  }
  if ((instances === undefined) === (inputs === undefined)) {
    throw invalidArgument('data', `${source} must have exactly one of instances (rows) or inputs (columns)`);
  }
  if (routingKey !== undefined && typeof routingKey !== 'string') {
    throw invalidArgument('data', `routing_key in ${source} must be a string`);
  }
  // Shapes inside are checked by the server, which names the offending row and field.
  const input = (
    instances !== undefined ? instances : { inputs: inputs as Record<string, unknown[]> }
  ) as PredictInput;
  return routingKey === undefined ? { input } : { input, routingKey };
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

function parsePercent(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new InvalidArgumentError('Expected a number between 0 and 100.');
  }
  return value;
}

function parseRequestsPerSecond(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value > MAX_REQUESTS_PER_SECOND) {
    throw new InvalidArgumentError(
      `Expected requests per second above 0 and at most ${MAX_REQUESTS_PER_SECOND}.`,
    );
  }
  return value;
}

function parseWaitMs(raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1000) {
    throw new InvalidArgumentError('Expected a number of milliseconds between 0 and 1000.');
  }
  return value;
}

/** Prints one endpoint: JSON as the API returns it, or a summary line then its fields. */
function writeEndpoint(write: Write, endpoint: Endpoint, flags: ClientFlags, summary: string): void {
  if (flags.json) return writeJson(write, { endpoint });
  write(summary);
  write(endpointFields(endpoint));
}

function endpointFields(endpoint: Endpoint): string {
  const fields: [string, string][] = [
    ['Name', endpoint.name],
    ['Model', formatModelRef(endpoint.model)],
    ['Canary', canaryText(endpoint)],
    ['Shadows', shadowsText(endpoint)],
    ['Max rows', String(endpoint.maxRows ?? 'default (1000)')],
    ['Batching', batchingText(endpoint.batching)],
    ['Rate limit', rateLimitText(endpoint.rateLimit)],
    ['Unknown categories', endpoint.validation?.unknownCategories ?? 'reject'],
    ['Revision', String(endpoint.revision)],
    ['Created', `${formatTime(endpoint.createdAt)} by ${endpoint.createdBy}`],
    ['Updated', formatTime(endpoint.updatedAt)],
  ];
  if (endpoint.description) fields.splice(1, 0, ['Description', endpoint.description]);
  return formatFields(fields);
}

function endpointTable(endpoints: Endpoint[]): string {
  return formatTable(
    ['NAME', 'MODEL', 'CANARY', 'SHADOWS', 'REVISION', 'UPDATED'],
    endpoints.map((e) => [
      e.name,
      formatModelRef(e.model),
      canaryText(e),
      shadowsText(e),
      String(e.revision),
      formatTime(e.updatedAt),
    ]),
  );
}

function canaryText(endpoint: Endpoint): string {
  const canary = endpoint.canary;
  return canary === undefined ? '-' : `${formatModelRef(canary.model)} (${canary.percent}%)`;
}

function shadowsText(endpoint: Endpoint): string {
  const shadows = endpoint.shadows ?? [];
  return shadows.length === 0 ? '-' : shadows.map(formatModelRef).join(', ');
}

function batchingText(batching: Batching | undefined): string {
  if (batching === undefined) return 'off';
  return `max ${batching.maxBatchSize ?? 256} rows, wait ${batching.maxWaitMs ?? 0}ms`;
}

function rateLimitText(rateLimit: RateLimit | undefined): string {
  if (rateLimit === undefined) return 'off';
  return `${rateLimit.requestsPerSecond} requests/s per serving process, burst ${burstOf(rateLimit)}`;
}
