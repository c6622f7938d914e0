// ESLint for Photosphere: typescript-eslint's recommended rules, Prettier for layout (eslint-config-prettier turns off
// the rules it owns), and eslint-plugin-boundaries for the architecture in docs/ARCHITECTURE.md: which folder of src/
// may import which. `npm run lint` runs ESLint and `prettier --check`.
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Shared rooms: they know no feature. Features: side by side above them. Roots wire everything together. */
const SHARED = ['config', 'common', 'database', 'jobs', 'storage', 'mail', 'sessions', 'settings', 'users'];
const FEATURES = ['auth', 'registration', 'account', 'admin', 'photos', 'uploads', 'health'];

/** What each folder may import besides itself (and packages). Anything not listed here is refused. */
const ALLOWED = {
  config: ['common'],
  common: ['config', 'database', 'sessions'],
  database: ['config', 'common'],
  jobs: ['config', 'common'],
  storage: ['config', 'common'],
  mail: ['config', 'common', 'jobs'],
  sessions: ['config', 'common', 'jobs'],
  settings: [],
  users: ['config', 'common', 'mail', 'sessions'],
  // Features: the shared rooms, and only these other features (none of them imports back).
  auth: [...SHARED],
  registration: [...SHARED],
  photos: [...SHARED],
  health: [...SHARED],
  uploads: [...SHARED, 'photos'],
  account: [...SHARED, 'photos', 'registration', 'uploads'],
  admin: [...SHARED, 'account', 'auth', 'photos', 'registration'],
  // The process around the modules: start-up, the HTTP server, the CLI, the list of every entity.
  server: ['config', 'common', 'health', 'jobs'],
  root: [...SHARED, ...FEATURES, 'server', 'root'],
  cli: [...SHARED, ...FEATURES, 'server', 'root'],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bench/results/**', 'public/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are a compile error already (tsconfig noUnusedLocals/Parameters); `_` marks a deliberate one.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Express.User and the session's fields are declared by augmenting Express's global namespace.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'import/resolver': { node: { extensions: ['.ts', '.js'] } },
      'boundaries/include': ['src/**/*.ts'],
      'boundaries/elements': [
        ...[...SHARED, ...FEATURES, 'server', 'cli'].map((type) => ({ type, pattern: `src/${type}` })),
        // main.ts, app.module.ts, app.setup.ts: files, not a folder. v7 still reads `mode: 'file'` (deprecated, hence
        // legacy-warnings off) and has no other way to make top-level files an element.
        { type: 'root', pattern: 'src/*.ts', mode: 'file' },
      ],
      'boundaries/legacy-warnings': false,
    },
    rules: {
      'boundaries/no-unknown-files': 'error',
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: Object.entries(ALLOWED).map(([from, to]) => ({
            from: { element: { type: from } },
            allow: { to: { element: { types: { anyOf: [from, ...to] } } } },
          })),
        },
      ],
    },
  },
  {
    // Services take typed input: reading form fields is the controllers' job.
    files: ['src/**/*.service.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/common/http/form-fields'], message: 'Services take typed input; parse forms in the controller.' }] },
      ],
    },
  },
  {
    // The ORM's list of every entity sits in database/ but is a composition root: it names every module's entities.
    files: ['src/database/entities.ts'],
    rules: { 'boundaries/dependencies': 'off' },
  },
  {
    // The one hand-written browser script, loaded as a classic script under the CSP.
    files: ['public/js/**/*.js'],
    languageOptions: { sourceType: 'script', globals: { ...globals.browser, htmx: 'readonly' } },
  },
  {
    files: ['bench/**/*.js', '*.js', '*.mjs'],
    languageOptions: { globals: globals.node },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
