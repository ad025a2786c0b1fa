import type { ModelVersion } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { AliasCache } from '../../src/registry/alias-cache.js';

function version(name: string, v: string): ModelVersion {
  return {
    name,
    version: v,
    creationTime: 0,
    lastUpdatedTime: 0,
    currentStage: 'None',
    description: '',
    userId: '',
    source: 's',
    runId: '',
    runLink: '',
    status: 'READY',
    statusMessage: '',
    tags: {},
    aliases: [],
  };
}

describe('AliasCache', () => {
  it('serves an entry until its TTL passes', () => {
    let now = 1_000;
    const cache = new AliasCache(500, () => now);
    cache.set('m', 'champion', version('m', '1'));
    now = 1_499;
    expect(cache.get('m', 'champion')?.version).toBe('1');
    now = 1_500;
    expect(cache.get('m', 'champion')).toBeUndefined();
  });

  it('invalidates every alias of one model and nothing else', () => {
    const cache = new AliasCache(10_000, () => 0);
    cache.set('m', 'champion', version('m', '1'));
    cache.set('m', 'challenger', version('m', '2'));
    cache.set('other', 'champion', version('other', '7'));
    cache.invalidate('m');
    expect(cache.get('m', 'champion')).toBeUndefined();
    expect(cache.get('m', 'challenger')).toBeUndefined();
    expect(cache.get('other', 'champion')?.version).toBe('7');
  });

  it('caches nothing with a TTL of 0', () => {
    const cache = new AliasCache(0, () => 0);
    cache.set('m', 'champion', version('m', '1'));
    expect(cache.get('m', 'champion')).toBeUndefined();
  });

  it('stays bounded: a full cache starts over', () => {
    const cache = new AliasCache(10_000, () => 0, 3);
    for (const alias of ['a', 'b', 'c']) cache.set('m', alias, version('m', '1'));
    cache.set('m', 'd', version('m', '2'));
    expect(cache.get('m', 'a')).toBeUndefined();
    expect(cache.get('m', 'd')?.version).toBe('2');
  });
});
