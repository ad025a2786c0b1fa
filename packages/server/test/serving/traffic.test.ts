import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { Xoshiro128 } from '../../src/stats/random.js';
import {
  chooseArm,
  fnv1a32,
  ROUTING_BUCKETS,
  routingBucket,
  routingHash,
} from '../../src/serving/traffic.js';

/** Two-sided 99.9 % normal quantile. */
const Z_999 = 3.2905;

/** Asserts `count` successes of `n` trials are inside the binomial 99.9 % band around `p`. */
function expectWithinBand(count: number, n: number, p: number): void {
  const mean = n * p;
  const halfWidth = Z_999 * Math.sqrt(n * p * (1 - p));
  expect(
    Math.abs(count - mean),
    `${count} of ${n} vs expected ${mean} ± ${halfWidth.toFixed(1)}`,
  ).toBeLessThanOrEqual(halfWidth);
}

const neverCalled = (): number => {
  throw new Error('random() must not be called');
};

describe('fnv1a32 / routingHash / routingBucket', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  it('hashes UTF-8 bytes, not UTF-16 code units', () => {
    // 'é' is 0xC3 0xA9 in UTF-8: fold both bytes by hand.
    let h = 0x811c9dc5;
    for (const b of [0xc3, 0xa9]) h = Math.imul(h ^ b, 0x01000193);
    expect(fnv1a32('é')).toBe(h >>> 0);
    expect(fnv1a32('日本')).not.toBe(fnv1a32('本日'));
  });

  it('is a stable unsigned 32-bit value and buckets stay in range', () => {
    for (let i = 0; i < 10_000; i++) {
      const key = `user-${i}`;
      const hash = routingHash(key);
      expect(Number.isInteger(hash) && hash >= 0 && hash < 2 ** 32).toBe(true);
      expect(routingHash(key)).toBe(hash);
      const bucket = routingBucket(key);
      expect(Number.isInteger(bucket) && bucket >= 0 && bucket < ROUTING_BUCKETS).toBe(true);
    }
    // Pinned values: changing the hash would re-shuffle every sticky user between arms.
    expect(['user-1', 'user-2', '', '日本'].map((k) => [routingHash(k), routingBucket(k)])).toEqual([
      [0x778f8aec, 4670],
      [0x32dad0d1, 1986],
      [0xab3e7c0b, 6689],
      [0xf004911f, 9375],
    ]);
  });
});

describe('chooseArm', () => {
  it('is sticky: the same key always gets the same arm for a given percent', () => {
    const rng = Xoshiro128.fromSeed(7);
    for (let i = 0; i < 2_000; i++) {
      const key = `session-${i}`;
      const first = chooseArm({ canaryPercent: 30, routingKey: key, random: () => rng.nextFloat() });
      for (let j = 0; j < 5; j++) {
        expect(chooseArm({ canaryPercent: 30, routingKey: key, random: () => rng.nextFloat() })).toBe(first);
      }
    }
  });

  it('never draws random() for a keyed request', () => {
    expect(['live', 'canary']).toContain(
      chooseArm({ canaryPercent: 50, routingKey: 'k', random: neverCalled }),
    );
  });

  it('is monotone: raising the percent only moves keys from live to canary', () => {
    const percents = [0, 0.01, 0.5, 1, 2.5, 5, 10, 25, 33.33, 50, 75, 99, 99.99, 100];
    for (let i = 0; i < 5_000; i++) {
      const key = `user-${i}`;
      let seenCanary = false;
      for (const canaryPercent of percents) {
        const arm = chooseArm({ canaryPercent, routingKey: key, random: neverCalled });
        if (seenCanary) expect(arm, `${key} moved back to live at ${canaryPercent}%`).toBe('canary');
        if (arm === 'canary') seenCanary = true;
      }
    }
  });

  it('sends a keyed request to canary exactly when its bucket is below percent * 100', () => {
    for (let i = 0; i < 1_000; i++) {
      const key = `k${i}`;
      const bucket = routingBucket(key);
      const at = (canaryPercent: number): string =>
        chooseArm({ canaryPercent, routingKey: key, random: neverCalled });
      expect(at((bucket + 1) / 100)).toBe('canary');
      expect(at(bucket / 100)).toBe('live');
    }
  });

  for (const percent of [5, 50]) {
    it(`routes ${percent}% of 100,000 seeded random draws to canary (99.9% binomial band)`, () => {
      const rng = Xoshiro128.fromSeed(20240601 + percent);
      const random = (): number => rng.nextFloat();
      let canary = 0;
      const n = 100_000;
      for (let i = 0; i < n; i++) if (chooseArm({ canaryPercent: percent, random }) === 'canary') canary++;
      expectWithinBand(canary, n, percent / 100);
    });

    it(`routes ${percent}% of 100,000 distinct keys to canary (99.9% binomial band)`, () => {
      let canary = 0;
      const n = 100_000;
      for (let i = 0; i < n; i++) {
        if (chooseArm({ canaryPercent: percent, routingKey: `user-${i}`, random: neverCalled }) === 'canary')
          canary++;
      }
      expectWithinBand(canary, n, percent / 100);
    });
  }

  it('spreads sequential keys over the buckets roughly uniformly (each tenth within the 99.9% band)', () => {
    const n = 100_000;
    const tenths = new Array<number>(10).fill(0);
    for (let i = 0; i < n; i++) tenths[Math.floor(routingBucket(`order:${i}`) / 1000)]! += 1;
    for (const count of tenths) expectWithinBand(count, n, 0.1);
  });

  it('percent 0 never picks canary and 100 always does, without drawing', () => {
    for (const routingKey of [undefined, '', 'a', 'user-42']) {
      const base = routingKey === undefined ? {} : { routingKey };
      expect(chooseArm({ ...base, canaryPercent: 0, random: neverCalled })).toBe('live');
      expect(chooseArm({ ...base, canaryPercent: 100, random: neverCalled })).toBe('canary');
    }
    for (let i = 0; i < 10_000; i++) {
      expect(chooseArm({ canaryPercent: 0, routingKey: `u${i}`, random: neverCalled })).toBe('live');
      expect(chooseArm({ canaryPercent: 100, routingKey: `u${i}`, random: neverCalled })).toBe('canary');
    }
  });

  it('compares random() strictly against percent / 100', () => {
    expect(chooseArm({ canaryPercent: 50, random: () => 0 })).toBe('canary');
    expect(chooseArm({ canaryPercent: 50, random: () => 0.4999999 })).toBe('canary');
    expect(chooseArm({ canaryPercent: 50, random: () => 0.5 })).toBe('live');
    expect(chooseArm({ canaryPercent: 0.01, random: () => 0.00009 })).toBe('canary');
    expect(chooseArm({ canaryPercent: 0.01, random: () => 0.0001 })).toBe('live');
  });

  it('treats an empty routing key as no key', () => {
    expect(chooseArm({ canaryPercent: 50, routingKey: '', random: () => 0 })).toBe('canary');
    expect(chooseArm({ canaryPercent: 50, routingKey: '', random: () => 0.99 })).toBe('live');
  });

  it('refuses a percent outside [0, 100]', () => {
    for (const canaryPercent of [-0.01, 100.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      let caught: unknown;
      try {
        chooseArm({ canaryPercent, random: () => 0.5 });
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(SlipwayError);
      expect((caught as SlipwayError).code).toBe('INVALID_ARGUMENT');
      expect((caught as SlipwayError).details.field).toBe('canary.percent');
    }
  });
});
