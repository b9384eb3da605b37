import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/**
 * The renderer, built with the loopback bridge in place of the preload, into out/harness: the
 * renderer's own index.html (same CSP), with its entry script swapped for the harness entry.
 */
const harnessEntry: Plugin = {
  name: 'hcp-harness-entry',
  transformIndexHtml: {
    order: 'pre',
    handler: (html) => {
      if (!html.includes('src="./src/main.ts"'))
        throw new Error('renderer/index.html no longer loads ./src/main.ts: update the harness entry swap');
      return html
        .replace('src="./src/main.ts"', 'src="../scripts/harness/main.ts"')
        .replace('<title>HCP Workstation</title>', '<title>HCP Workstation (browser harness)</title>');
    },
  },
};

export default defineConfig({
  root: resolve(root, 'renderer'),
  base: './',
  plugins: [harnessEntry, vue()],
  logLevel: 'warn',
  build: {
    outDir: resolve(root, 'out/harness'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { input: resolve(root, 'renderer/index.html') },
  },
});
