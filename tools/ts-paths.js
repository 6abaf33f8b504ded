// The `paths` of tsconfig.base.json, as Jest moduleNameMapper entries and as a runtime resolver.
const path = require('node:path');
const fs = require('node:fs');

const root = path.resolve(__dirname, '..');

function readPaths() {
  const text = fs.readFileSync(path.join(root, 'tsconfig.base.json'), 'utf8');
  return JSON.parse(text).compilerOptions.paths;
}

/** `@ebb/x` → the lib's src/index.ts; type-only mappings (.d.ts) are skipped. */
function aliases() {
  return Object.entries(readPaths())
    .filter(([, targets]) => !targets[0].endsWith('.d.ts'))
    .map(([alias, targets]) => [alias, path.join(root, targets[0])]);
}

function pathsToModuleNameMapper() {
  return Object.fromEntries(aliases().map(([alias, target]) => [`^${alias.replace(/[/.]/g, '\\$&')}$`, target]));
}

module.exports = { aliases, pathsToModuleNameMapper, root };
