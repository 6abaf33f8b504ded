// `node -r ./tools/register.js app.ts`: runs TypeScript sources directly, with tsconfig path aliases.
// SWC compiles each file in memory (decorator metadata on, for Nest).
const Module = require('node:module');
const { aliases } = require('./ts-paths');

const mapped = new Map(aliases());
const originalResolve = Module._resolveFilename;
Module._resolveFilename = function resolve(request, ...rest) {
  return originalResolve.call(this, mapped.get(request) ?? request, ...rest);
};

const { transformSync } = require('@swc/core');
const fs = require('node:fs');
Module._extensions['.ts'] = function compile(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const { code } = transformSync(source, {
    filename,
    sourceMaps: 'inline',
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true, useDefineForClassFields: false },
      target: 'es2022',
      keepClassNames: true,
    },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
process.setSourceMapsEnabled?.(true);
