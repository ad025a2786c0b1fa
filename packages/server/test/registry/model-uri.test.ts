import { SlipwayError } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { formatModelUri, parseModelUri } from '../../src/registry/model-uri.js';

describe('models:/ URIs', () => {
  it.each([
    ['models:/fraud/3', { name: 'fraud', kind: 'version', version: '3' }],
    ['models:/fraud@champion', { name: 'fraud', kind: 'alias', alias: 'champion' }],
    ['models:/fraud/latest', { name: 'fraud', kind: 'latest' }],
    ['models:/fraud/production', { name: 'fraud', kind: 'stage', stage: 'Production' }],
    ['models:/fraud detector/12/', { name: 'fraud detector', kind: 'version', version: '12' }],
  ])('parses %s', (uri, expected) => {
    expect(parseModelUri(uri)).toEqual(expected);
  });

  it('round-trips through formatModelUri', () => {
    for (const uri of ['models:/a/3', 'models:/a@champion', 'models:/a/latest', 'models:/a/Staging']) {
      expect(formatModelUri(parseModelUri(uri))).toBe(uri);
    }
  });

  it.each([
    ['runs:/abc/model', 'expected models:/'],
    ['models:/fraud', 'name a version'],
    ['models:/fraud/0', "'0' is neither"],
    ['models:/fraud/v3', "'v3' is neither"],
    ['models:/fraud@', 'the alias is empty'],
    ['models://3', 'name a version'],
    ['models:/@champion', 'name a version'],
  ])('refuses %s naming the field', (uri, message) => {
    let error: unknown;
    try {
      parseModelUri(uri, 'source');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(SlipwayError);
    expect((error as SlipwayError).details.field).toBe('source');
    expect((error as SlipwayError).message).toContain(message);
  });
});
