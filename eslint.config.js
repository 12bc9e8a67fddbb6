// Lint runs on sources, tests and benches. TypeScript files get the type-aware rules that catch what review misses:
// a promise nobody awaits or catches, a promise where a callback's result is ignored, an await on a non-promise.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import privateSubjects from './tooling/eslint/private-subjects.js';

export default tseslint.config(
  // test/fixtures/lint holds code that breaks the rules on purpose; test/lint checks that they catch it.
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', 'test/fixtures/lint/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: globals.node,
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: {
        // Sources are checked in their package's project, tests in tsconfig.test.json (which maps the packages to
        // their sources, as vitest does).
        project: ['./packages/*/tsconfig.json', './tsconfig.test.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { switchboard: { rules: { 'private-subjects': privateSubjects } } },
    rules: {
      'switchboard/private-subjects': 'error',
      // `void promise` is not enough: an intentional fire-and-forget goes through `detach(promise, onError)`
      // (core/util/detach.ts) or ends in `.catch(...)`, so its failure is always handled.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: false, ignoreIIFE: false }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  {
    // The web console's page scripts run in the browser.
    files: ['packages/ops/public/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    // The CLI is the one place allowed to talk to the terminal directly; benches print their tables.
    files: ['packages/cli/src/**', 'bench/**', 'examples/**', '**/test/**'],
    rules: { 'no-console': 'off' },
  },
);
