export * from './errors.js';
export * from './tracking.js';
export * from './tracking-api.js';
export * from './model-contract.js';
export * from './registry.js';
export * from './webhooks.js';
export * from './registry-api.js';
export * from './objects.js';
