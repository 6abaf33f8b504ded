// Lint is here for one job above all: Nx module boundaries. Apps may import libs; libs never import
// apps; each lib kind may use only the kinds below it; each domain scope only itself and shared.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const depConstraints = [
  { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:util', 'type:model'] },
  { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:testing', 'type:platform', 'type:data-access', 'type:util', 'type:model'] },
  { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:testing', 'type:platform', 'type:data-access', 'type:util', 'type:model'] },
  { sourceTag: 'type:testing', onlyDependOnLibsWithTags: ['type:testing', 'type:platform', 'type:data-access', 'type:util', 'type:model'] },
  { sourceTag: 'type:platform', onlyDependOnLibsWithTags: ['type:platform', 'type:data-access', 'type:util', 'type:model'] },
  { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:data-access', 'type:util', 'type:model'] },
  { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:model'] },
  { sourceTag: 'type:model', onlyDependOnLibsWithTags: ['type:model'] },
  { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
  { sourceTag: 'scope:order', onlyDependOnLibsWithTags: ['scope:order', 'scope:shared'] },
  { sourceTag: 'scope:payment', onlyDependOnLibsWithTags: ['scope:payment', 'scope:shared'] },
  { sourceTag: 'scope:refund', onlyDependOnLibsWithTags: ['scope:refund', 'scope:shared'] },
  { sourceTag: 'scope:inventory', onlyDependOnLibsWithTags: ['scope:inventory', 'scope:shared'] },
  { sourceTag: 'scope:notification', onlyDependOnLibsWithTags: ['scope:notification', 'scope:shared'] },
  { sourceTag: 'scope:sandbox', onlyDependOnLibsWithTags: ['scope:sandbox', 'scope:shared'] },
  { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:console', 'scope:shared'] },
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['scope:tools', 'scope:shared'] },
];

// a test may also use the testing lib (which itself boots the libs under test): allowed for tests only
const testFiles = ['**/*.spec.ts', '**/test/**/*.ts'];
const testConstraints = depConstraints.map((constraint) =>
  constraint.sourceTag.startsWith('type:')
    ? { ...constraint, onlyDependOnLibsWithTags: [...new Set([...constraint.onlyDependOnLibsWithTags, 'type:testing'])] }
    : constraint,
);

// Tests of a lower lib boot it through higher ones (testing → http → persistence), which draws a cycle in
// the project graph that no runtime code has: the tag constraints above already forbid any import from
// a lower layer to a higher one. So cycles are reported only between projects of the same layer.
const layers = ['type:model', 'type:util', 'type:data-access', 'type:platform', 'type:testing', 'type:app', 'type:tool', 'type:e2e'];
const acrossLayers = layers.flatMap((a) => layers.filter((b) => b !== a).map((b) => [`tag:${a}`, `tag:${b}`]));

const boundaries = (constraints, extra = {}) => [
  'error',
  { enforceBuildableLibDependency: false, allow: [], depConstraints: constraints, ...extra },
];

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '**/.nx/**', '**/*.js', '**/*.mjs'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@nx': nx },
    rules: { '@nx/enforce-module-boundaries': boundaries(depConstraints, { ignoredCircularDependencies: acrossLayers }) },
  },
  {
    // the console's page runs in a browser: of Ebb's code it takes only the client's browser entry
    files: ['apps/console/web/**/*.ts', 'apps/console/web/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '^@ebb/(?!api-client/browser$)', message: 'The page imports only @ebb/api-client/browser (no Node module, no secret).' }] },
      ],
    },
  },
  {
    files: testFiles,
    rules: {
      '@nx/enforce-module-boundaries': boundaries(testConstraints, { ignoredCircularDependencies: acrossLayers }),
    },
  },
];
