// Builds the web UI into dist/, which the server serves at `/`. The SDK and contracts are bundled
// from source, so the UI build does not wait for their own builds.
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const src = (pkg: string): string => new URL(`../${pkg}/src/index.ts`, import.meta.url).pathname;

export default defineConfig({
  plugins: [react()],
  resolve: { alias: { '@slipway/contracts': src('contracts'), '@slipway/sdk': src('sdk') } },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
});
