// ESLint for Porchlight's browser scripts (`make lint`): ES modules in the browser, the service
// worker (a classic script), and the scripts' unit tests under Node (tests/js).
import js from '@eslint/js';
import globals from 'globals';

// SECURITY.md: "no innerHTML with data". Pages build elements and set textContent; nothing
// here parses a string as markup, so the sinks are not used at all.
const MARKUP_SINKS = [
  ...['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'createContextualFragment'].map((property) => ({
    property, message: 'Build elements and set textContent: no markup from strings (SECURITY.md).',
  })),
  ...['write', 'writeln'].map((property) => ({
    object: 'document', property, message: 'No markup from strings (SECURITY.md).',
  })),
];

export default [
  { ignores: ['node_modules/', 'frontend/vendor/', '.venv/', '.venv-web/', 'dist/', 'infra/cdk/'] },
  js.configs.recommended, // no-undef, no-unused-vars, no-dupe-keys, no-unreachable …
  {
    rules: {
      eqeqeq: 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      'no-restricted-properties': ['error', ...MARKUP_SINKS],
    },
  },
  {
    files: ['frontend/static/js/**/*.js'],
    ignores: ['frontend/static/js/sw.js'],
    languageOptions: { ecmaVersion: 2022, sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    // Served by /sw.js with SHELL_VERSION and SHELL_URLS put before it (app/pwa/routes.py).
    files: ['frontend/static/js/sw.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.serviceworker } },
  },
  {
    files: ['tests/js/**/*.mjs', 'eslint.config.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
];
