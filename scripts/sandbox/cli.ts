/**
 * npm run sandbox -- start|stop|status [--dir .sandbox/dev] [--json] [--tls]
 *
 * start   runs the sandbox in the foreground until SIGINT/SIGTERM, then stops what it started.
 * stop    asks a running sandbox (its owner process) to stop; cleans up after a dead one.
 * status  prints the endpoints and whether they answer; exit code 0 only when all is up.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { delay } from './processes';
import { cleanUpDeadSandbox, readSandboxState, sandboxOwnerAlive, startSandbox, type SandboxState } from './index';

const USAGE = 'usage: npm run sandbox -- start|stop|status [--dir .sandbox/dev] [--json] [--tls]';

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    options: {
      dir: { type: 'string', default: '.sandbox/dev' },
      json: { type: 'boolean', default: false },
      tls: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: true,
  });
  const dir = resolve(values.dir);
  const command = positionals[0];
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'start':
      return start(dir, values.json, values.tls);
    case 'stop':
      return stop(dir);
    case 'status':
      return status(dir, values.json);
    default:
      console.error(USAGE);
      return 2;
  }
}

async function start(dir: string, json: boolean, tls: boolean): Promise<number> {
  // Listen before starting: a Ctrl-C during start-up must still stop what was started.
  const signalled = new Promise<NodeJS.Signals>((done) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => done(sig));
  });
  const sandbox = await startSandbox({ dir, tls, log: json ? () => {} : (line) => console.log(line) });
  if (json) console.log(JSON.stringify(sandbox.state, null, 2));
  else {
    printState(sandbox.state);
    console.log('\nRunning. Ctrl-C (or `npm run sandbox -- stop`) stops everything.');
  }

  const signal = await signalled;
  if (!json) console.log(`\n${signal}: stopping the sandbox...`);
  await sandbox.stop();
  if (!json) console.log('stopped.');
  return 0;
}

async function stop(dir: string): Promise<number> {
  const state = readSandboxState(dir);
  if (state && sandboxOwnerAlive(state)) {
    process.kill(state.pids.owner, 'SIGTERM');
    // The owner removes state.json once its daemons are gone.
    for (let waited = 0; waited < 30_000 && readSandboxState(dir); waited += 100) await delay(100);
    if (!readSandboxState(dir)) {
      console.log(`stopped the sandbox in ${dir} (pid ${state.pids.owner})`);
      return 0;
    }
    console.error(`the sandbox owner (pid ${state.pids.owner}) did not stop in 30 s; killing its daemons`);
  }
  const killed = await cleanUpDeadSandbox(dir);
  console.log(
    killed.length ? `killed leftover daemons ${killed.join(', ')} in ${dir}` : `no sandbox running in ${dir}`,
  );
  return 0;
}

async function status(dir: string, json: boolean): Promise<number> {
  const state = readSandboxState(dir);
  if (!state) {
    if (json) console.log('null');
    else console.log(`no sandbox in ${dir}`);
    return 1;
  }
  const owner = sandboxOwnerAlive(state);
  const s3 = await answers(state.s3.endpoint);
  const hri = await answers(`${state.hri.url}/v1/health`);
  if (json) {
    console.log(JSON.stringify({ running: owner && s3 && hri, state }, null, 2));
  } else {
    printState(state);
    console.log(
      `\nowner pid ${state.pids.owner}: ${owner ? 'running' : 'gone'}; S3: ${s3 ? 'up' : 'down'}; HRI: ${hri ? 'up' : 'down'}`,
    );
  }
  return owner && s3 && hri ? 0 : 1;
}

async function answers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function printState(s: SandboxState): void {
  // These are the sandbox's own throw-away keys, made at start and gone at stop.
  console.log(`
EHR-cloud sandbox in ${s.dir} (state.json there has everything below)
  S3 / STS endpoint  ${s.s3.endpoint}  (region ${s.s3.region})
  buckets            ehr=${s.buckets.ehr} pending=${s.buckets.pending} audit=${s.buckets.audit}
  admin keys         ${s.s3.admin.accessKey} / ${s.s3.admin.secretKey}
  workstation keys   ${s.workstation.accessKey} / ${s.workstation.secretKey}
  workstation role   ${s.workstation.roleArn}
  patient keys       ${s.patient.accessKey} / ${s.patient.secretKey}
  HRI                ${s.hri.url}  (registration token ${s.hri.registrationToken})
  emergency access   ${s.access ? `${s.access.url}  (trust anchors and CRLs: ${s.access.trustDir}; decisions: ${s.access.auditFile})` : 'not running'}
  TLS (https)        ${s.tls ? `S3/STS ${s.tls.s3Endpoint}, HRI ${s.tls.hriUrl}, access ${s.tls.accessUrl ?? '-'}  (sandbox CA ${s.tls.caFile}: tls.trustedCas)` : 'off (start with --tls)'}
  SHL server         ${s.shl ? `${s.shl.url}  (CA ${s.shl.caFile}; admin token ${s.shl.adminToken})` : 'not running'}

Workstation config (cloud.credentials), production-like: no cloud secret on the workstation
  ${JSON.stringify({ kind: 'emergency-access', endpoint: s.access?.url ?? '(not running)' })}
Workstation config (cloud.credentials), training/legacy: the workstation's own keys
  ${JSON.stringify({
    kind: 'sts-assume-role',
    stsEndpoint: s.workstation.stsEndpoint,
    accessKey: s.workstation.accessKey,
    secretKey: s.workstation.secretKey,
    roleArn: s.workstation.roleArn,
    durationSeconds: 900,
  })}`);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  },
);
