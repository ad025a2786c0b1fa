/** Human output of `slipway models ...`: tables and sentences (the `--json` output is the API's shape). */
import type {
  AliasAtTime,
  CompatibilityReport,
  ContractField,
  ContractSchema,
  ModelContract,
  ModelVersion,
  RegisteredModel,
  RegistryEvent,
} from '@slipway/contracts';
import type { AliasMove } from '@slipway/sdk';
import { formatFields, formatTable, formatTime, type Write } from './output.js';

/** Descriptions longer than this are cut in tables (the full text is in `show` and `--json`). */
const MAX_CELL = 60;

/** One sentence (plus package and contract lines) about a newly registered version. */
export function registeredSummary(version: ModelVersion): string {
  const lines = [`Registered ${version.name} version ${version.version} from ${version.source}.`];
  if (version.package) {
    const { runtime, digest, files } = version.package;
    lines.push(`Package: ${runtime}, ${files.length} file${files.length === 1 ? '' : 's'}, ${digest}.`);
  }
  lines.push(`Contract: ${contractSummary(version.contract)}.`);
  return lines.map((l) => `${l}\n`).join('');
}

/** Table of registered models. */
export function modelTable(models: RegisteredModel[]): string {
  return formatTable(
    ['NAME', 'LATEST', 'ALIASES', 'UPDATED (UTC)', 'DESCRIPTION'],
    models.map((m) => [
      m.name,
      latestVersionOf(m) ?? '-',
      m.aliases.map((a) => `${a.alias}=${a.version}`).join(',') || '-',
      formatTime(m.lastUpdatedTime),
      cell(m.description),
    ]),
  );
}

/** A registered model: fields, tags, aliases and (up to a page of) versions, newest first. */
export function writeModel(
  write: Write,
  model: RegisteredModel,
  versions: ModelVersion[],
  more: boolean,
): void {
  write(`Model ${model.name}\n`);
  write(
    formatFields([
      ['Description', model.description || '-'],
      ['Created (UTC)', formatTime(model.creationTime)],
      ['Updated (UTC)', formatTime(model.lastUpdatedTime)],
      ['Latest', latestVersionOf(model) ?? '-'],
    ]),
  );
  section(write, 'Tags', ['KEY', 'VALUE'], sortedEntries(model.tags));
  section(
    write,
    'Aliases',
    ['ALIAS', 'VERSION'],
    model.aliases.map((a) => [a.alias, a.version]),
  );
  section(
    write,
    'Versions',
    ['VERSION', 'ALIASES', 'CREATED (UTC)', 'CONTRACT', 'SOURCE'],
    versions.map((v) => [
      v.version,
      v.aliases.join(',') || '-',
      formatTime(v.creationTime),
      v.contract ? contractSummary(v.contract) : '-',
      v.source,
    ]),
  );
  if (more) write(`(only the newest ${versions.length} versions are listed)\n`);
}

/** One version: fields, package, tags and the contract's fields. */
export function writeVersion(write: Write, version: ModelVersion): void {
  write(`Model ${version.name} version ${version.version}\n`);
  const pkg = version.package;
  write(
    formatFields([
      ['Aliases', version.aliases.join(', ') || '-'],
      ['Status', version.status],
      ['Stage', version.currentStage],
      ['Source', version.source],
      ['Run', version.runId || '-'],
      ['User', version.userId || '-'],
      ['Created (UTC)', formatTime(version.creationTime)],
      ['Updated (UTC)', formatTime(version.lastUpdatedTime)],
      ['Description', version.description || '-'],
      ['Package', pkg ? `${pkg.runtime}, ${pkg.files.length} files, ${pkg.digest}` : '-'],
      ['Contract', contractSummary(version.contract)],
    ]),
  );
  section(write, 'Tags', ['KEY', 'VALUE'], sortedEntries(version.tags));
  if (version.contract) {
    section(write, 'Inputs', FIELD_HEADERS, fieldRows(version.contract.inputs));
    section(write, 'Outputs', FIELD_HEADERS, fieldRows(version.contract.outputs));
  }
}

/** What an alias move did, and what the contract check said. */
export function aliasMoveSummary(move: AliasMove): string {
  const { event, compatibility } = move;
  const target = `${event.modelName}@${event.alias ?? ''}`;
  const lines = [
    event.fromVersion === undefined
      ? `Set ${target} to version ${event.toVersion ?? ''}.`
      : `Moved ${target} from version ${event.fromVersion} to ${event.toVersion ?? ''}.`,
  ];
  if (compatibility) {
    const breaking = compatibility.changes.filter((c) => c.breaking);
    lines.push(
      breaking.length === 0
        ? `Contract check (${compatibility.mode}): compatible, ${plural(compatibility.changes.length, 'change')}.`
        : `Contract check (${compatibility.mode}): FORCED past ${plural(breaking.length, 'breaking change')}: ` +
            breaking.map((c) => `${c.side}.${c.field} ${c.kind}`).join(', ') +
            '.',
    );
  }
  return lines.map((l) => `${l}\n`).join('');
}

/** What an alias removal did. */
export function aliasRemovalSummary(event: RegistryEvent): string {
  return `Removed ${event.modelName}@${event.alias ?? ''} (was version ${event.fromVersion ?? '-'}).\n`;
}

/** Table of registry events, oldest first. */
export function eventTable(events: RegistryEvent[]): string {
  return formatTable(
    ['SEQ', 'TIME (UTC)', 'EVENT', 'ACTOR', 'CHANGE', 'REASON'],
    events.map((e) => [
      String(e.seq),
      formatTime(e.time),
      e.type,
      e.actor,
      changeOf(e),
      cell(e.reason ?? ''),
    ]),
  );
}

/** Table of what each alias pointed at, at a moment. */
export function aliasesAtTable(aliases: AliasAtTime[]): string {
  return formatTable(
    ['ALIAS', 'VERSION', 'SINCE (UTC)', 'BY', 'REASON'],
    aliases.map((a) => [
      a.alias,
      a.version ?? '(not set)',
      a.since ? formatTime(a.since.time) : '-',
      a.since?.actor ?? '-',
      cell(a.since?.reason ?? ''),
    ]),
  );
}

/** A verdict line and the table of changes of a contract comparison. */
export function contractDiffReport(
  name: string,
  from: string,
  to: string,
  report: CompatibilityReport,
): string {
  const verdict = report.compatible ? 'compatible' : 'BREAKING';
  const head = `Contract of ${name} version ${to} against version ${from} (${report.mode}): ${verdict}\n`;
  if (report.changes.length === 0) return `${head}No changes.\n`;
  return (
    head +
    formatTable(
      ['SIDE', 'FIELD', 'CHANGE', 'BREAKING', 'DETAIL'],
      report.changes.map((c) => [c.side, c.field, c.kind, c.breaking ? 'yes' : 'no', c.message]),
    )
  );
}

const FIELD_HEADERS = ['NAME', 'TYPE', 'SHAPE', 'NULLABLE', 'CONSTRAINTS'];

function fieldRows(schema: ContractSchema): string[][] {
  return schema.fields.map((f) => [
    f.name,
    f.type,
    f.shape ? `[${f.shape.join(', ')}]` : '-',
    f.nullable ? 'yes' : 'no',
    constraintsOf(f) || '-',
  ]);
}

function constraintsOf(field: ContractField): string {
  const parts: string[] = [];
  if (field.categories) parts.push(`one of ${cell(field.categories.map(String).join(', '))}`);
  if (field.range?.min !== undefined) parts.push(`>= ${field.range.min}`);
  if (field.range?.max !== undefined) parts.push(`<= ${field.range.max}`);
  if (field.meaning) parts.push(`meaning: ${cell(field.meaning)}`);
  return parts.join('; ');
}

function contractSummary(contract: ModelContract | undefined): string {
  if (contract === undefined) return 'none';
  const { inputs, outputs } = contract;
  return `${plural(inputs.fields.length, 'input')} (${inputs.kind}), ${plural(outputs.fields.length, 'output')}, ${contract.source}`;
}

function changeOf(event: RegistryEvent): string {
  if (event.type === 'alias.set' || event.type === 'alias.deleted') {
    const move = `${event.alias ?? ''}: ${event.fromVersion ?? '-'} -> ${event.toVersion ?? '-'}`;
    const notes = [event.forced ? 'contract breaks forced' : '', gateNote(event)].filter((n) => n !== '');
    return notes.length === 0 ? move : `${move} (${notes.join('; ')})`;
  }
  const previous = event.details?.['previousName'];
  if (event.type === 'registered_model.renamed' && typeof previous === 'string') return `from ${previous}`;
  return event.version === undefined ? '-' : `version ${event.version}`;
}

/** What the promotion gate said about an alias move, when one was judged. */
function gateNote(event: RegistryEvent): string {
  if (event.gate === undefined) return '';
  const metric = typeof event.gate['metric'] === 'string' ? ` on ${event.gate['metric']}` : '';
  if (event.gate.passed) return `gate passed${metric}`;
  return event.gate['overridden'] === true ? `GATE FAILED${metric}, overridden` : `gate failed${metric}`;
}

/** The highest version number among a model's latest versions. */
function latestVersionOf(model: RegisteredModel): string | undefined {
  const numbers = model.latestVersions.map((v) => Number(v.version));
  return numbers.length === 0 ? undefined : String(Math.max(...numbers));
}

function section(write: Write, title: string, headers: string[], rows: string[][]): void {
  write(`\n${title}\n`);
  write(rows.length === 0 ? '(none)\n' : formatTable(headers, rows));
}

function sortedEntries(map: Record<string, string>): string[][] {
  return Object.entries(map)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => [k, v]);
}

/** One table cell: the first line, cut to MAX_CELL characters. */
function cell(text: string): string {
  const line = text.split('\n', 1)[0] ?? '';
  return line.length > MAX_CELL ? `${line.slice(0, MAX_CELL - 3)}...` : line;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
