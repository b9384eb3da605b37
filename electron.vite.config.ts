import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import vue from '@vitejs/plugin-vue';

// Sources live at the top level (main/, preload/, renderer/, common/) as the design card names them.
export default defineConfig({
  main: {
    build: {
      // Main loads its dependencies from node_modules (native modules among them).
      externalizeDeps: true,
      outDir: 'out/main',
      // The worker threads are their own entries: out/main/fhir-view-worker.js (main/fhir/off-thread.ts),
      // out/main/pkcs12-kdf-worker.js (main/pki/kdf-pool.ts).
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/index.ts'),
          'fhir-view-worker': resolve(__dirname, 'main/fhir/view-worker.ts'),
          'pkcs12-kdf-worker': resolve(__dirname, 'main/pki/kdf-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload may require only electron, events, timers and url: everything else
      // (zod and the IPC contract) is bundled into the one file. test/unit/packaging/preload-sandbox.test.ts
      // loads the built file with exactly those modules.
      externalizeDeps: false,
      outDir: 'out/preload',
      // A sandboxed preload must be CommonJS, one file.
      rollupOptions: {
        input: { index: resolve(__dirname, 'preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [vue()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(__dirname, 'renderer/index.html') } },
    },
  },
});
