/**
 * The embeddable library build (`npm run build` runs it after the app build): two ES modules in
 * dist/lib/, each one file with Lit and every WGSL kernel bundled in, no code splitting and no
 * separate CSS:
 *   nnx.js              src/ui/lib.ts: every `nnx-*` element (the whole app included);
 *   layer-inspector.js  src/ui/lib_layer_inspector.ts: `<nnx-layer-inspector>` and what it draws
 *                       with, none of the app's pages, for a page that embeds one inspector.
 * The config builds nnx.js; when that bundle is written, a second build with the same settings
 * writes layer-inspector.js next to it (so `vite build -c vite.lib.config.ts` makes both).
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, defineConfig, type Plugin, type UserConfig } from 'vite';

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

/** The browser library build of one entry file into `fileName` (one self-contained ES module). */
function libraryBuild(entry: string, fileName: string, outDir: string, emptyOutDir: boolean): UserConfig {
  return {
    plugins: [browserOnlyAdapter()],
    publicDir: false,
    // Library mode leaves process.env.* alone; typegpu reads NODE_ENV and a plain page has no `process`.
    define: { 'process.env.NODE_ENV': JSON.stringify('production') },
    build: {
      target: 'es2022',
      outDir,
      emptyOutDir,
      copyPublicDir: false,
      sourcemap: true,
      lib: {
        entry: resolve(root, entry),
        formats: ['es'],
        fileName: () => fileName,
      },
      // The Model Inspector loads the ONNX reader and writer on demand: in the library they stay inside nnx.js.
      rollupOptions: { output: { inlineDynamicImports: true } },
    },
  };
}

/** After nnx.js is written, builds layer-inspector.js into the same folder. */
function layerInspectorEntry(): Plugin {
  let outDir = '';
  let logLevel: UserConfig['logLevel'];
  return {
    name: 'nnx-layer-inspector-entry',
    apply: 'build',
    configResolved(config) {
      outDir = config.build.outDir;
      logLevel = config.logLevel;
    },
    async closeBundle() {
      await build({ ...libraryBuild('src/ui/lib_layer_inspector.ts', 'layer-inspector.js', outDir, false), configFile: false, root, mode: 'production', logLevel });
    },
  };
}

export default defineConfig(() => {
  const config = libraryBuild('src/ui/lib.ts', 'nnx.js', 'dist/lib', true);
  return { ...config, plugins: [...config.plugins!, layerInspectorEntry()] };
});
