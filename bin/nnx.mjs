#!/usr/bin/env node
// Runs the TypeScript CLI directly: tsx compiles it, and a loader hook serves `*.wgsl?raw`
// imports (which Vite handles in the browser) as modules exporting the shader text.
import { register } from 'node:module';
import { register as registerTsx } from 'tsx/esm/api';

registerTsx();
register('./wgsl_loader.mjs', import.meta.url);
await import('../src/cli/main.ts');
