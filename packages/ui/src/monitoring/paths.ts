/** Addresses of the monitoring pages, so every link to them is built one way. */
import type { Monitor } from '@slipway/contracts';

/** `/endpoints/{name}/monitoring`, optionally with a monitor chosen. */
export function monitoringPath(endpoint: string, monitor?: string): string {
  const base = `/endpoints/${encodeURIComponent(endpoint)}/monitoring`;
  return monitor === undefined ? base : `${base}?monitor=${encodeURIComponent(monitor)}`;
}

/** A column's page for a monitor, at one run (default: its latest run that compared the column). */
export function columnPath(
  monitor: Pick<Monitor, 'endpoint' | 'name'>,
  column: string,
  runId?: string,
): string {
  const query = new URLSearchParams({ monitor: monitor.name });
  if (runId !== undefined) query.set('run', runId);
  return `${monitoringPath(monitor.endpoint)}/columns/${encodeURIComponent(column)}?${query.toString()}`;
}
