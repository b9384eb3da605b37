import { resolve } from 'node:path';
import { launchHarness, REPO } from './launch';

/** `npm run harness`: the UI in any browser, against the real main-process handlers (dev only). */
const harness = await launchHarness({
  configFile: process.env.HCP_CONFIG ?? null,
  dataDir: process.env.HCP_DATA_DIR ?? resolve(REPO, '.sandbox/harness-data'),
  port: process.env.HCP_HARNESS_PORT ? Number(process.env.HCP_HARNESS_PORT) : 0,
});
process.stdout.write(`HCP Workstation (browser harness): ${harness.url}\n`);
const stop = () => void harness.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
