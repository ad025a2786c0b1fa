export * from './errors.js';
export * from './tracking.js';
export * from './tracking-api.js';
