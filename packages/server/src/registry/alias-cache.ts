/**
 * The in-process cache behind alias resolution (`fraud@champion` on the serving path). Moves made
 * through this process invalidate their model's entries at once; moves made by another process are
 * seen within `ttlMs` (the staleness bound of a multi-replica deployment). The clock is injected.
 */
import type { ModelVersion } from '@slipway/contracts';

interface Entry {
  version: ModelVersion;
  expiresAt: number;
}

/** A bounded TTL cache of alias → model version, keyed by model name. */
export class AliasCache {
  private readonly byModel = new Map<string, Map<string, Entry>>();
  private size = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached version, or undefined when absent or expired. */
  get(name: string, alias: string): ModelVersion | undefined {
    const entry = this.byModel.get(name)?.get(alias);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry.version;
    this.delete(name, alias);
    return undefined;
  }

  /** Caches a resolution; a full cache is cleared rather than tracked per entry (cheap, and rare). */
  set(name: string, alias: string, version: ModelVersion): void {
    if (this.ttlMs <= 0) return;
    if (this.size >= this.maxEntries) this.clear();
    let aliases = this.byModel.get(name);
    if (aliases === undefined) {
      aliases = new Map();
      this.byModel.set(name, aliases);
    }
    if (!aliases.has(alias)) this.size++;
    aliases.set(alias, { version, expiresAt: this.now() + this.ttlMs });
  }

  /** Drops every cached alias of a model (after any write that can move one). */
  invalidate(name: string): void {
    this.size -= this.byModel.get(name)?.size ?? 0;
    this.byModel.delete(name);
  }

  /** Drops everything. */
  clear(): void {
    this.byModel.clear();
    this.size = 0;
  }

  private delete(name: string, alias: string): void {
    const aliases = this.byModel.get(name);
    if (aliases?.delete(alias)) this.size--;
  }
}
