import { describe, expect, it } from 'vitest';
import { SlipwayError } from '@slipway/contracts';
import { nativeErrorResponse, toSlipwayError } from '../../src/http/error-mapping.js';

describe('error mapping', () => {
  it.each([
    ['INVALID_ARGUMENT', 400],
    ['NOT_FOUND', 404],
    ['ALREADY_EXISTS', 409],
    ['FAILED_PRECONDITION', 409],
    ['PAYLOAD_TOO_LARGE', 413],
    ['UNAVAILABLE', 503],
    ['INTERNAL', 500],
  ] as const)('maps %s to %i with a stable body', (code, status) => {
    const res = nativeErrorResponse(new SlipwayError(code, 'boom', { field: 'x' }));
    expect(res).toEqual({ status, body: { error: { code, message: 'boom', details: { field: 'x' } } } });
  });

  it('turns schema failures into INVALID_ARGUMENT naming the field', () => {
    const ajvError = Object.assign(new Error('body/metrics/2/value must be number'), {
      validation: [{ instancePath: '/metrics/2/value', message: 'must be number', params: {} }],
      validationContext: 'body',
    });
    const e = toSlipwayError(ajvError);
    expect(e.code).toBe('INVALID_ARGUMENT');
    expect(e.details.field).toBe('metrics[2].value');
    expect(e.message).toContain("'metrics[2].value'");
    const missing = Object.assign(new Error('x'), {
      validation: [
        {
          instancePath: '',
          message: "must have required property 'name'",
          params: { missingProperty: 'name' },
        },
      ],
      validationContext: 'body',
    });
    expect(toSlipwayError(missing).details.field).toBe('name');
  });

  it('hides internals of unexpected errors', () => {
    const res = nativeErrorResponse(new TypeError('secret stack detail'));
    expect(res.status).toBe(500);
    expect(res.body.error.message).not.toContain('secret');
  });
});
