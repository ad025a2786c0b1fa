// One lint config for every package. Dependency direction is enforced with no-restricted-imports.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const stageFolders = [
  'tracking',
  'registry',
  'evaluation',
  'serving',
  'predictions',
  'monitoring',
  'jobs',
  'runtimes',
];
const outerLayers = ['storage', 'http', 'cli', 'main'];

/** Import patterns that files in `folder` may not use (relative paths into outer layers). */
function forbid(folders) {
  return folders.flatMap((f) => [`../${f}/*`, `../${f}.js`, `../../${f}/*`, `../../${f}.js`]);
}

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'bench/results/**', '**/test-artifacts/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['packages/server/src/stats/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: forbid([...stageFolders, ...outerLayers]) }],
    },
  },
  {
    files: stageFolders.map((s) => `packages/server/src/${s}/**/*.ts`),
    rules: { 'no-restricted-imports': ['error', { patterns: forbid(outerLayers) }] },
  },
  {
    files: ['packages/server/src/storage/**/*.ts', 'packages/server/src/http/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: forbid(['cli', 'main']) }] },
  },
  {
    files: ['packages/contracts/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['node:*', '@slipway/*'] }] },
  },
  {
    files: ['packages/sdk/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@slipway/server', '**/server/src/**'] }] },
  },
  {
    // The web UI: React hooks rules, and only the SDK and contracts to reach the server.
    files: ['packages/ui/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        { patterns: ['@slipway/server', '**/server/src/**', '**/server/dist/**', 'node:*'] },
      ],
    },
  },
  {
    files: ['bench/**/*.js', 'compat/**/*.js', '.ci/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly' } },
  },
);
