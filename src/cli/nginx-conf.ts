/** `npm run nginx:conf [-- --out FILE]`: the nginx config for the current settings. */
import { writeFileSync } from 'node:fs';
import { loadConfig } from '../config/load-config.ts';
import { renderNginxConf } from '../stack/nginx-config.ts';

const outAt = process.argv.indexOf('--out');
const text = renderNginxConf(loadConfig());
if (outAt > 0 && process.argv[outAt + 1]) writeFileSync(process.argv[outAt + 1], text);
else process.stdout.write(text);
