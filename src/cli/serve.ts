/**
 * `npm start`: the API server. Settings come from the environment, a `.env`
 * file in the working directory when there is one (variables already set win),
 * and CONFIG_FILE; see docs/configuration.md.
 */
import { existsSync } from 'node:fs';
import { runServer } from '../server/run-server.ts';

if (existsSync('.env')) process.loadEnvFile('.env');
runServer().catch((err) => {
  process.stderr.write(
    `vecserve failed to start: ${err instanceof Error ? err.message : String(err)}\n`,
  );
  process.exit(1);
});
