import { describe, expect, it } from 'vitest';
import {
  ancestorsOf,
  baseName,
  decodeText,
  delimiterOf,
  formatBytes,
  imageTypeOf,
  parseDelimited,
  previewKindOf,
} from '../src/run/artifact-preview.js';

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('paths', () => {
  it('names a file and the folders above it', () => {
    expect(baseName('model/data/MLmodel')).toBe('MLmodel');
    expect(baseName('top.txt')).toBe('top.txt');
    expect(ancestorsOf('a/b/c.txt')).toEqual(['a', 'a/b']);
    expect(ancestorsOf('c.txt')).toEqual([]);
  });

  it('picks the preview by extension, trying anything unknown as text', () => {
    expect(previewKindOf('plots/Loss.PNG')).toBe('image');
    expect(previewKindOf('a.svg')).toBe('image');
    expect(previewKindOf('data/eval.csv')).toBe('table');
    expect(previewKindOf('data/eval.tsv')).toBe('table');
    expect(previewKindOf('model/MLmodel')).toBe('text');
    expect(previewKindOf('.csv')).toBe('text');
    expect(imageTypeOf('x.svg')).toBe('image/svg+xml');
    expect(imageTypeOf('x.jpeg')).toBe('image/jpeg');
    expect(delimiterOf('x.tsv')).toBe('\t');
    expect(delimiterOf('x.csv')).toBe(',');
  });
});

describe('text or binary', () => {
  it('decodes UTF-8 text and refuses NUL bytes and invalid UTF-8', () => {
    expect(decodeText(utf8('héllo'), false)).toBe('héllo');
    expect(decodeText(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x00), false)).toBeUndefined();
    expect(decodeText(Uint8Array.of(0x61, 0xff, 0x62), false)).toBeUndefined();
  });

  it('drops a character cut by truncation instead of calling the file binary', () => {
    const cut = utf8('abc€').slice(0, 5); // € is three bytes: two of them remain
    expect(decodeText(cut, true)).toBe('abc');
    expect(decodeText(cut, false)).toBeUndefined();
  });
});

describe('tables', () => {
  it('parses quoted fields, escaped quotes, line breaks in quotes and CRLF', () => {
    const text = 'name,note\r\na,"x, y"\r\nb,"say ""hi"""\r\nc,"two\nlines"\r\n\r\n';
    expect(parseDelimited(text, ',', 10, false)).toEqual({
      header: ['name', 'note'],
      rows: [
        ['a', 'x, y'],
        ['b', 'say "hi"'],
        ['c', 'two\nlines'],
      ],
      more: false,
    });
  });

  it('keeps the first rows, and drops the partial last record of a truncated file', () => {
    expect(parseDelimited('h\n1\n2\n3\n', ',', 2, false)).toEqual({
      header: ['h'],
      rows: [['1'], ['2']],
      more: true,
    });
    expect(parseDelimited('h,i\n1,2\n3,', ',', 10, true)).toEqual({
      header: ['h', 'i'],
      rows: [['1', '2']],
      more: true,
    });
  });

  it('splits a TSV on tabs only, quotes included', () => {
    expect(parseDelimited('a\tb\n"x\ty\n', '\t', 10, false)).toEqual({
      header: ['a', 'b'],
      rows: [['"x', 'y']],
      more: false,
    });
  });
});

describe('sizes', () => {
  it('reads bytes in binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3300)).toBe('3.2 KB');
    expect(formatBytes(25 * 1024 * 1024)).toBe('25 MB');
  });
});
