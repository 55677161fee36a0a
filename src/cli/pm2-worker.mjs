// PM2's entry for each worker: PM2 loads a .js/.mjs script; the TypeScript
// server is loaded through tsx (node_args: --import tsx), so no build step.
await import('./serve.ts');
