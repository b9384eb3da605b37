import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The renderer, built with the loopback bridge in place of the preload, into out/harness. */
export default defineConfig({
  root: resolve(root, 'scripts/harness'),
  base: './',
  plugins: [vue()],
  logLevel: 'warn',
  build: {
    outDir: resolve(root, 'out/harness'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: resolve(root, 'scripts/harness/index.html') },
  },
});
