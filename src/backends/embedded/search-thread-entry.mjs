// Worker-thread entry of the search pool when the server runs from source
// (tests, tools started through tsx): loads the TypeScript worker through
// tsx's API, whether or not the parent was started with `--import tsx`. The
// compiled server (dist/) starts dist/.../search-thread.js directly.
import { tsImport } from 'tsx/esm/api';

await tsImport('./search-thread.ts', import.meta.url);
