import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import serviceImports from './lint-rules/service-imports.js';

/**
 * House rules, enforced mechanically: a line of code always knows which room it stands in.
 *  - renderer/ talks to main only through the preload API: no import of main/, electron or Node.
 *  - domain services in main/ are plain Node: only main/electron/ and main/index.ts import electron.
 *  - common/ runs anywhere: no Node, no DOM framework, no electron.
 *  - between the services of main/ (folders main/<service>/): only through the service's index.ts;
 *    main/crypto and main/fhir import only common/ (lint-rules/service-imports.js).
 */
const NODE_BUILTINS = [
  'node:*',
  'fs',
  'fs/*',
  'path',
  'os',
  'crypto',
  'child_process',
  'http',
  'https',
  'net',
  'tls',
  'stream',
  'url',
  'util',
  'worker_threads',
  'better-sqlite3',
  'minio',
  'node-forge',
  'serialport',
];
const toMain = ['**/main/**', '../main', '../../main', '../../../main'];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'release/**', 'node_modules/**', 'test-results/**', '.sandbox/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      'no-console': 'off',
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: toMain,
              message: 'The renderer must not import from main/: use the preload API (renderer/src/api/client.ts).',
            },
            {
              group: ['electron', ...NODE_BUILTINS],
              message: 'The renderer has no Node or Electron: ask main through the preload API.',
            },
          ],
        },
      ],
    },
  },
  {
    // Type-aware rules for the main process, where a forgotten promise is a silent failure
    // (issue 11): only main/ is parsed with types, to keep lint fast.
    files: ['main/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/electron/**', 'main/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'Domain services are plain Node: put the Electron part in main/electron/.' },
          ],
          patterns: [{ group: ['**/renderer/**'], message: 'main/ must not import the renderer.' }],
        },
      ],
    },
  },
  {
    // Rules between services (issue 18 §5): the composition roots, main/electron/ and main/cli/ included.
    files: ['main/**/*.ts'],
    plugins: { hcp: { rules: { 'service-imports': serviceImports } } },
    rules: { 'hcp/service-imports': ['error', { root: 'main', isolated: ['crypto', 'fhir'], leaves: ['threads'] }] },
  },
  {
    files: ['common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['electron', 'vue', 'pinia', ...NODE_BUILTINS],
              message: 'common/ runs in every process: no Node, Electron or Vue.',
            },
            {
              group: ['**/main/**', '**/renderer/**', '**/preload/**'],
              message: 'common/ depends on nothing of the app.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/main/**', '**/renderer/**', ...NODE_BUILTINS],
              message: 'The preload exposes the typed API only.',
            },
          ],
        },
      ],
    },
  },
  // Formatting is prettier's (npm run format; `npm run lint` checks it): no eslint rule argues with it.
  eslintConfigPrettier,
);
