/** `npm run stack:up|down|status|reload`: the nginx -> PM2 stack (src/stack/stack.ts). */
import { ConfigError, loadConfig } from '../config/load-config.ts';
import { down, reload, StackError, status, up } from '../stack/stack.ts';

async function main(): Promise<void> {
  const command = process.argv[2];
  const config = loadConfig();
  switch (command) {
    case 'up':
      return up(config);
    case 'down':
      return down(config);
    case 'reload':
      return reload(config);
    case 'status':
      if (!(await status(config))) process.exitCode = 1;
      return;
    default:
      throw new StackError('usage: stack.ts up|down|status|reload');
  }
}

main().catch((err) => {
  if (err instanceof StackError || err instanceof ConfigError) {
    process.stderr.write(`stack: ${err.message}\n`);
    process.exit(err instanceof ConfigError ? 2 : 1);
  }
  throw err;
});
