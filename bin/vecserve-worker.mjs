// PM2 entry point: PM2 loads a .js/.mjs script; the TypeScript server is
// loaded through tsx (node_args: --import tsx), so no build step is needed.
await import('../src/server/main.ts');
