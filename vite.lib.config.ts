/**
 * The embeddable library build (`npm run build` runs it after the app build): src/ui/lib.ts
 * with Lit, uPlot and every WGSL kernel bundled into one ES module, dist/lib/nnx.js, that
 * defines every `nnx-*` element. No code splitting, no separate CSS: one file to import.
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The bundle is for browsers: drop the Node (Dawn) branch of src/kernels/adapter.ts. Left in,
 * its `import("./adapter_node.ts")` names a file that does not exist next to dist/lib/nnx.js,
 * and a bundler or dev server that imports nnx.js (Vite's included) fails to resolve it.
 */
function browserOnlyAdapter(): Plugin {
  const nodeImport = 'await import(/* @vite-ignore */ nodeAdapter)';
  return {
    name: 'nnx-browser-only-adapter',
    enforce: 'pre',
    transform(code, id) {
      if (!id.replace(/\\/g, '/').endsWith('/src/kernels/adapter.ts')) return null;
      if (!code.includes(nodeImport)) this.error(`vite.lib.config.ts: src/kernels/adapter.ts no longer contains "${nodeImport}"; update browserOnlyAdapter()`);
      // Same line, so `map: null` (positions unchanged up to this column) keeps the source map usable.
      return { code: code.replace(nodeImport, "await Promise.reject(new Error('dist/lib/nnx.js is the browser build: in Node, import src/kernels/runtime.ts (Dawn) instead'))"), map: null };
    },
  };
}

export default defineConfig({
  plugins: [browserOnlyAdapter()],
  publicDir: false,
  // Library mode leaves process.env.* alone; typegpu reads NODE_ENV and a plain page has no `process`.
  define: { 'process.env.NODE_ENV': JSON.stringify('production') },
  build: {
    target: 'es2022',
    outDir: 'dist/lib',
    emptyOutDir: true,
    copyPublicDir: false,
    sourcemap: true,
    lib: {
      entry: resolve(root, 'src/ui/lib.ts'),
      formats: ['es'],
      fileName: () => 'nnx.js',
    },
    // The Model Inspector loads the ONNX reader and writer on demand: in the library they stay inside nnx.js.
    rollupOptions: { output: { inlineDynamicImports: true } },
  },
});
