import { SlipwayError } from '@slipway/contracts';
import { describe, expect, it } from 'vitest';
import { actorOf } from '../../src/registry/request-actor.js';
import {
  COMPATIBILITY_TAG,
  compatibilityModeOf,
  validateAlias,
  validateModelName,
  validateRegistryTags,
  validateVersion,
} from '../../src/registry/registry-validation.js';

function fieldOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (err) {
    if (err instanceof SlipwayError && err.code === 'INVALID_ARGUMENT') return err.details.field;
    throw err;
  }
  return undefined;
}

describe('registry validation', () => {
  it('accepts ordinary model names and refuses empty, reserved or overlong ones', () => {
    expect(validateModelName('fraud detector v2')).toBe('fraud detector v2');
    expect(fieldOf(() => validateModelName(''))).toBe('name');
    expect(fieldOf(() => validateModelName('a/b', 'new_name'))).toBe('new_name');
    expect(fieldOf(() => validateModelName('a@b'))).toBe('name');
    expect(fieldOf(() => validateModelName('x'.repeat(257)))).toBe('name');
  });

  it('accepts positive integer versions only', () => {
    expect(validateVersion('12')).toBe('12');
    expect(validateVersion(3)).toBe('3');
    for (const bad of ['0', '-1', '1.5', 'v1', '', '01'])
      expect(fieldOf(() => validateVersion(bad))).toBe('version');
  });

  it('applies MLflow alias rules', () => {
    expect(validateAlias('champion')).toBe('champion');
    expect(validateAlias('shadow-2_b')).toBe('shadow-2_b');
    for (const bad of ['', 'latest', 'LATEST', 'v3', 'a b', 'a/b'])
      expect(fieldOf(() => validateAlias(bad))).toBe('alias');
  });

  it('checks tag keys and the compatibility tag value', () => {
    expect(validateRegistryTags({ team: 'risk', [COMPATIBILITY_TAG]: 'full' })).toBeTruthy();
    expect(fieldOf(() => validateRegistryTags({ [COMPATIBILITY_TAG]: 'sideways' }))).toBe(
      `tags.${COMPATIBILITY_TAG}`,
    );
    expect(fieldOf(() => validateRegistryTags({ '../x': 'v' }))).toBe('tags.../x');
  });

  it('defaults the compatibility mode to backward', () => {
    expect(compatibilityModeOf(undefined)).toBe('backward');
    expect(compatibilityModeOf('none')).toBe('none');
    expect(compatibilityModeOf('forward')).toBe('forward');
  });
});

describe('actorOf', () => {
  it('prefers the Slipway user header, then Basic credentials, then anonymous', () => {
    const basic = `Basic ${Buffer.from('ana:secret').toString('base64')}`;
    expect(actorOf({ headers: { 'x-slipway-user': ' bo ', authorization: basic } })).toBe('bo');
    expect(actorOf({ headers: { authorization: basic } })).toBe('ana');
    expect(actorOf({ headers: { authorization: 'Bearer abc' } })).toBe('anonymous');
    expect(actorOf({ headers: {} })).toBe('anonymous');
  });
});
