/**
 * Shared plumbing of the client-side CLI commands: aligned tables for people, `--json` for
 * scripts, and the `--url` connection option every command takes.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { SlipwayClient } from '@slipway/sdk';
import type { CliDeps } from './program.js';

/** Where command output goes. */
export type Write = (text: string) => void;

/** Server URL used when neither `--url` nor SLIPWAY_URL is given. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:5000';

/** Options every client command accepts. */
export interface ClientFlags {
  url: string;
  json?: boolean;
}

/** The output function of the CLI (stdout unless injected). */
export function writerOf(deps: CliDeps): Write {
  return deps.write ?? ((text: string) => void process.stdout.write(text));
}

/** Adds `--url` (defaulting to SLIPWAY_URL) and `--json` to a command. */
export function addClientOptions(command: Command, deps: CliDeps): Command {
  const env = deps.env ?? process.env;
  return command
    .option('--url <url>', 'Slipway server URL (env SLIPWAY_URL)', env['SLIPWAY_URL'] || DEFAULT_SERVER_URL)
    .option('--json', 'print machine-readable JSON instead of a table');
}

/** An SDK client for the server named by `--url`, acting as `user` when one is given. */
export function clientFor(flags: ClientFlags & { user?: string }): SlipwayClient {
  return new SlipwayClient({ url: flags.url, ...(flags.user === undefined ? {} : { user: flags.user }) });
}

/** Options of a paged list command, added by `addPageOptions`. */
export interface PageFlags {
  filter?: string;
  orderBy: string[];
  maxResults?: number;
  pageToken?: string;
}

/** Adds `--filter`, `--order-by`, `--max-results` and `--page-token`; the help texts name examples. */
export function addPageOptions(command: Command, help: { filter: string; orderBy: string }): Command {
  return command
    .option('--filter <filter>', help.filter)
    .option('--order-by <expr>', help.orderBy, collect, [])
    .option('--max-results <n>', 'page size', parsePositiveInt)
    .option('--page-token <token>', 'continue from a previous page');
}

/** The search request fields of page flags; no `--order-by` leaves the server's default order. */
export function pageQuery(flags: PageFlags): {
  filter: string | undefined;
  orderBy: string[] | undefined;
  maxResults: number | undefined;
  pageToken: string | undefined;
} {
  return {
    filter: flags.filter,
    orderBy: flags.orderBy.length > 0 ? flags.orderBy : undefined,
    maxResults: flags.maxResults,
    pageToken: flags.pageToken,
  };
}

/** Tells how to fetch the next page, when there is one. */
export function writeNextPageHint(write: Write, nextPageToken: string | undefined): void {
  if (nextPageToken) write(`More results: --page-token ${nextPageToken}\n`);
}

/** Writes `value` as pretty JSON followed by a newline. */
export function writeJson(write: Write, value: unknown): void {
  write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Formats rows under headers with columns padded to their widest cell (two spaces between columns). */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** Formats `label: value` lines with the values aligned. */
export function formatFields(fields: [label: string, value: string][]): string {
  const width = Math.max(...fields.map(([label]) => label.length + 1));
  return fields.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}\n`).join('');
}

/** A UTC timestamp for people (`2024-05-01 12:00:00`), or `-` when unset. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '-';
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** A duration for people (`850ms`, `12.3s`, `4m 05s`, `2h 03m`), or `-` when unfinished. */
export function formatDuration(start: number, end: number | null): string {
  if (end === null) return '-';
  const ms = Math.max(0, end - start);
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const totalSeconds = Math.floor(ms / 1000);
  if (totalSeconds < 3600) return `${Math.floor(totalSeconds / 60)}m ${pad2(totalSeconds % 60)}s`;
  return `${Math.floor(totalSeconds / 3600)}h ${pad2(Math.floor(totalSeconds / 60) % 60)}m`;
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Commander argument parser for a positive integer option. */
export function parsePositiveInt(raw: string): number {
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new InvalidArgumentError('Expected a positive integer.');
  return value;
}

/** Commander argument parser collecting a repeatable option into a list. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Commander argument parser for repeatable `key=value` options. */
export function collectKeyValue(raw: string, previous: Record<string, string>): Record<string, string> {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`Expected key=value, got '${raw}'.`);
  return { ...previous, [raw.slice(0, eq)]: raw.slice(eq + 1) };
}

/** Closes a long-running process's resources on SIGINT or SIGTERM, then exits 0 (1 if closing failed). */
export function closeOnSignals(resource: { close(): Promise<void> }): void {
  const stop = (): void => {
    resource.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error('shutdown failed:', err instanceof Error ? err.message : err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
