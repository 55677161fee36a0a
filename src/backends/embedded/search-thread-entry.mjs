// Worker-thread entry of the search pool: loads the TypeScript worker through
// tsx's API, so it runs the same whether or not the parent was started with
// `--import tsx` (vitest, node --import tsx, a compiled build).
import { tsImport } from 'tsx/esm/api';

await tsImport('./search-thread.ts', import.meta.url);
