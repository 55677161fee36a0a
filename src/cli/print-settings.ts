/**
 * Prints the resolved settings as JSON (defaults < CONFIG_FILE < environment)
 * for ecosystem.config.cjs, which is CommonJS and cannot import the TypeScript
 * settings table: `config` (by key) and `env` (every setting as its
 * environment variable, handed to the workers so they run with exactly the
 * settings validated here). A bad setting exits 2 with the usual message.
 */
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { SETTINGS } from '../config/settings.ts';

try {
  const config = loadConfig();
  const env = Object.fromEntries(SETTINGS.map((s) => [s.env, String(config[s.key])]));
  process.stdout.write(JSON.stringify({ config, env }));
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  process.stderr.write(`${err.message}\n`);
  process.exit(2);
}
