// Builds the console's page (web/) into dist/console; `npm run console:build`. The page imports only
// the browser entry of @ebb/api-client (and through it the money helpers of @ebb/contracts).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

export default defineConfig({
  root: path.join(here, 'web'),
  base: '/',
  plugins: [react()],
  resolve: {
    alias: {
      '@ebb/api-client/browser': path.join(root, 'libs/api-client/src/browser.ts'),
      '@ebb/contracts/money': path.join(root, 'libs/contracts/src/money.ts'),
      '@ebb/contracts/refund-vocabulary': path.join(root, 'libs/contracts/src/refund-vocabulary.ts'),
    },
  },
  build: {
    outDir: path.join(root, 'dist/console'),
    emptyOutDir: true,
    // one operator tool, loaded once: a single chunk of ~1 MB is fine
    chunkSizeWarningLimit: 2500,
    reportCompressedSize: false,
  },
  logLevel: 'warn',
});
