/**
 * Input checks shared by the work queue backends, so every backend rejects the same bad policy or
 * consumer options with the same INVALID_ARGUMENT naming the field.
 */
import { invalidArgument } from '@slipway/contracts';
import type { ConsumeOptions, DeliveryPolicy } from '../../jobs/work-queue.js';

/** Longest lease or retry delay accepted (the SQL columns are 32-bit integers): about 24 days. */
export const MAX_DELAY_MS = 2_147_483_647;

/** Throws INVALID_ARGUMENT unless `policy` is usable. */
export function checkDeliveryPolicy(policy: DeliveryPolicy): void {
  checkInteger('policy.maxAttempts', policy.maxAttempts, 1);
  checkInteger('policy.retryDelayMs', policy.retryDelayMs, 0);
  checkInteger('policy.leaseMs', policy.leaseMs, 1);
  if (policy.maxRetryDelayMs !== undefined) {
    checkInteger('policy.maxRetryDelayMs', policy.maxRetryDelayMs, Math.max(1, policy.retryDelayMs));
  }
}

/** Throws INVALID_ARGUMENT unless `options` are usable. */
export function checkConsumeOptions(options: ConsumeOptions): void {
  checkInteger('options.concurrency', options.concurrency, 1);
  if (options.workerId.trim() === '') {
    throw invalidArgument('options.workerId', 'options.workerId must not be empty.');
  }
}

function checkInteger(field: string, value: number, min: number): void {
  if (!Number.isInteger(value) || value < min || value > MAX_DELAY_MS) {
    throw invalidArgument(field, `${field} must be an integer from ${min} to ${MAX_DELAY_MS}, got ${value}.`);
  }
}

/** The message of whatever a handler threw, for `last_error` and `onDead`. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    // Circular or BigInt-holding values cannot be JSON.
    return String(error);
  }
}
