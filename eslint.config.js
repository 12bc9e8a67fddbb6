// Lint runs on sources and tests; type-aware rules are left to `tsc -b` (strict), which already gates the build.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**'] },
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
    // The CLI is the one place allowed to talk to the terminal directly; benches print their tables.
    files: ['packages/cli/src/**', 'bench/**', 'examples/**', '**/test/**'],
    rules: { 'no-console': 'off' },
  },
);
