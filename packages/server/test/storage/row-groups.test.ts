/** Code point order of the row loaders, checked against UTF-8 byte order (which is code point order). */
import { describe, expect, it } from 'vitest';
import { compareCodePoints } from '../../src/storage/sql/row-groups.js';

describe('compareCodePoints', () => {
  it('orders strings as their UTF-8 bytes do, surrogate pairs after U+E000-U+FFFF', () => {
    const keys = ['b', 'a', '', 'ab', 'é', '\uE000', '\uFFFF', '😀', '𐀀', 'a😀', 'a\uFFFF', 'Z', 'zz', 'z'];
    const byBytes = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(y, 'utf8')));
    expect([...keys].sort(compareCodePoints)).toEqual(byBytes);
    // Plain UTF-16 order would put the emoji before U+E000.
    expect(compareCodePoints('😀', '\uE000')).toBeGreaterThan(0);
    expect(compareCodePoints('same', 'same')).toBe(0);
  });
});
