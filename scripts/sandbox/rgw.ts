/**
 * A throw-away Ceph cluster serving S3 on loopback: one monitor, one RAM-backed (memstore) OSD and
 * one RADOS Gateway, all bound to 127.0.0.1, all state in one directory, ports picked at start.
 * See /work/shared/notes/ceph-rgw.md for why each setting is there.
 *
 * The daemons run in the foreground (`-f`) as children of this process; their PIDs are recorded
 * in `<dir>/pids.json` and `stop()` ends exactly those, RGW first, then the OSD, then the monitor.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensureCephBinaries, type CephPaths } from './ceph-install';
import {
  delay,
  freePort,
  freePortPair,
  killStalePid,
  run,
  startDaemon,
  stopDaemon,
  tailFiles,
  type Daemon,
} from './processes';

export interface RgwClusterOptions {
  /** Directory for all cluster state; created, and wiped if it holds an earlier cluster. */
  dir: string;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
  /** How long the whole start may take before it is abandoned (default 90 s). */
  readyTimeoutMs?: number;
  /** Size of the RAM-backed OSD (default 8 GiB; memory is only used for data actually stored). */
  memstoreBytes?: number;
  /** Also serve S3 over https (beast `ssl_endpoint`) with this certificate and key (PEM files). */
  tls?: { certFile: string; keyFile: string } | null;
}

export interface RgwPids {
  mon: number;
  osd: number;
  rgw: number;
}

export interface RgwCluster {
  /** S3 (and STS, IAM) endpoint, e.g. http://127.0.0.1:41234 */
  readonly endpoint: string;
  /** The same over https, when started with `tls`; else null. */
  readonly tlsEndpoint: string | null;
  readonly port: number;
  readonly monPort: number;
  readonly dir: string;
  readonly confPath: string;
  readonly pids: RgwPids;
  /** Runs `radosgw-admin` against this cluster and returns its stdout. */
  radosgwAdmin(args: readonly string[]): Promise<string>;
  /** Stops RGW, then the OSD, then the monitor, waiting for each. Idempotent. */
  stop(): Promise<void>;
}

const PIDS_FILE = 'pids.json';
const CONF_FILE = 'ceph.conf';
const RGW_NAME = 'client.rgw.a';
// Unix socket paths are limited to 108 bytes; past that we run without admin sockets.
const MAX_SOCKET_PATH = 100;

export async function startRgwCluster(options: RgwClusterOptions): Promise<RgwCluster> {
  const log = options.log ?? (() => {});
  const dir = resolve(options.dir);
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  const bin = await ensureCephBinaries(log);

  await prepareDir(dir);
  const env = cephEnv();
  const confPath = join(dir, CONF_FILE);
  const monPort = await freePortPair();
  const rgwPort = await freePort();
  const tlsPort = options.tls ? await freePort() : null;
  const fsid = randomUUID();
  const tls = options.tls && tlsPort ? { ...options.tls, port: tlsPort } : null;
  writeFileSync(confPath, cephConf({ dir, fsid, monPort, rgwPort, memstoreBytes: options.memstoreBytes, tls }));
  const conf = ['-c', confPath];

  const daemons: { mon?: Daemon; osd?: Daemon; rgw?: Daemon } = {};
  const killOnExit = (): void => {
    for (const d of [daemons.rgw, daemons.osd, daemons.mon]) {
      if (d && d.exitStatus() === null) {
        try {
          process.kill(d.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  };
  // Last resort if the owner exits without stop(): never leave daemons behind.
  process.on('exit', killOnExit);
  const recordPids = (): void => {
    const pids = { mon: daemons.mon?.pid, osd: daemons.osd?.pid, rgw: daemons.rgw?.pid };
    writeFileSync(join(dir, PIDS_FILE), JSON.stringify(pids) + '\n');
  };

  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const d of [daemons.rgw, daemons.osd, daemons.mon]) if (d) await stopDaemon(d);
      process.off('exit', killOnExit);
      rmSync(join(dir, PIDS_FILE), { force: true });
    })();
    return stopping;
  };

  const started = (): Daemon[] => [daemons.mon, daemons.osd, daemons.rgw].filter((d): d is Daemon => !!d);

  try {
    log(`ceph: creating monitor (127.0.0.1:${monPort}) in ${dir}`);
    const keyring = join(dir, 'keyring');
    await run(
      bin['ceph-authtool'],
      ['--create-keyring', keyring, '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *'],
      { env },
    );
    await run(
      bin['ceph-authtool'],
      [
        keyring,
        '--gen-key',
        '-n',
        'client.admin',
        '--cap',
        'mon',
        'allow *',
        '--cap',
        'osd',
        'allow *',
        '--cap',
        'mgr',
        'allow *',
      ],
      { env },
    );
    const monmap = join(dir, 'monmap');
    await run(bin.monmaptool, ['--create', '--fsid', fsid, '--addv', 'a', monAddrs(monPort), monmap], { env });
    await run(bin['ceph-mon'], [...conf, '-i', 'a', '--mkfs', '--monmap', monmap, '--keyring', keyring], { env });

    // Each daemon: stdout/stderr to <stem>.out, Ceph's own log to <Ceph name>.log.
    const launch = (name: string, file: string, args: string[], stem: string, cephName: string): Promise<Daemon> =>
      startDaemon(name, file, [...conf, ...args, '-f'], join(dir, `${stem}.out`), [join(dir, `${cephName}.log`)], env);
    const mon = (daemons.mon = await launch('ceph-mon', bin['ceph-mon'], ['-i', 'a'], 'mon', 'mon.a'));
    recordPids();

    // `ceph osd new` blocks until the monitor has formed quorum: it doubles as the readiness check.
    const osdUuid = randomUUID();
    const osdNew = run(bin.ceph, [...conf, 'osd', 'new', osdUuid], { env, timeoutMs: remaining(deadline) });
    const osdId = (await whileAlive(started(), osdNew, dir)).trim();
    if (!/^\d+$/.test(osdId)) throw new Error(`ceph osd new answered ${JSON.stringify(osdId)}`);
    mkdirSync(join(dir, `osd${osdId}`), { recursive: true });
    const osdMkfs = [...conf, '-i', osdId, '--mkfs', '--osd-uuid', osdUuid];
    await run(bin['ceph-osd'], osdMkfs, { env, timeoutMs: remaining(deadline) });
    const osd = (daemons.osd = await launch('ceph-osd', bin['ceph-osd'], ['-i', osdId], 'osd', `osd.${osdId}`));
    recordPids();

    log(`ceph: starting radosgw on 127.0.0.1:${rgwPort}`);
    const rgw = (daemons.rgw = await launch('radosgw', bin.radosgw, ['-n', RGW_NAME], 'rgw', RGW_NAME));
    recordPids();

    const endpoint = `http://127.0.0.1:${rgwPort}`;
    await waitForHttp(endpoint, started(), deadline, dir);
    const tlsEndpoint = tlsPort ? `https://127.0.0.1:${tlsPort}` : null;
    log(`ceph: radosgw ready at ${endpoint}${tlsEndpoint ? ` and ${tlsEndpoint}` : ''}`);

    return {
      endpoint,
      tlsEndpoint,
      port: rgwPort,
      monPort,
      dir,
      confPath,
      pids: { mon: mon.pid, osd: osd.pid, rgw: rgw.pid },
      radosgwAdmin: (args) => radosgwAdmin(bin, confPath, env, args),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * Kills the daemons recorded in `<dir>/pids.json` by an earlier run that did not stop them (its
 * process was SIGKILLed). Only PIDs whose command line still names this dir are touched.
 */
export async function killRecordedDaemons(dir: string): Promise<number[]> {
  const file = join(resolve(dir), PIDS_FILE);
  if (!existsSync(file)) return [];
  let pids: Partial<RgwPids> = {};
  try {
    pids = JSON.parse(readFileSync(file, 'utf8')) as Partial<RgwPids>;
  } catch {
    // Half-written by a killed run: nothing trustworthy to kill.
  }
  const confPath = join(resolve(dir), CONF_FILE);
  const killed: number[] = [];
  for (const pid of [pids.rgw, pids.osd, pids.mon]) {
    if (typeof pid === 'number' && (await killStalePid(pid, confPath))) killed.push(pid);
  }
  rmSync(file, { force: true });
  return killed;
}

async function radosgwAdmin(
  bin: CephPaths,
  confPath: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[],
): Promise<string> {
  return run(bin['radosgw-admin'], ['-c', confPath, ...args], { env, timeoutMs: 60_000 });
}

/** Creates `dir`, first stopping and wiping an earlier cluster found there. */
async function prepareDir(dir: string): Promise<void> {
  if (existsSync(dir)) {
    const entries = readdirSync(dir);
    if (entries.length > 0) {
      if (!entries.includes(CONF_FILE) && !entries.includes(PIDS_FILE)) {
        throw new Error(`${dir} is not empty and does not hold an earlier sandbox cluster; refusing to wipe it`);
      }
      await killRecordedDaemons(dir);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  mkdirSync(join(dir, 'run'), { recursive: true });
  mkdirSync(join(dir, 'crash'), { recursive: true });
}

function cephEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  // An operator's CEPH_ARGS/CEPH_CONF would point our commands at another cluster.
  delete env.CEPH_ARGS;
  delete env.CEPH_CONF;
  return env;
}

function monAddrs(port: number): string {
  return `[v2:127.0.0.1:${port},v1:127.0.0.1:${port + 1}]`;
}

function cephConf(p: {
  dir: string;
  fsid: string;
  monPort: number;
  rgwPort: number;
  memstoreBytes: number | undefined;
  tls: { certFile: string; keyFile: string; port: number } | null;
}): string {
  const runDir = join(p.dir, 'run');
  const socketsFit = join(runDir, `${RGW_NAME}.asok`).length <= MAX_SOCKET_PATH;
  // `$name` and `$id` are Ceph's own metavariables, expanded per daemon.
  return `[global]
fsid = ${p.fsid}
mon host = ${monAddrs(p.monPort)}
mon initial members = a
auth cluster required = none
auth service required = none
auth client required = none
# Without crc, radosgw insists on a secure monitor session, which fails with auth off.
ms mon client mode = crc
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind ipv6 = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
# A nearly full CI disk must not stop a RAM-backed test cluster.
mon data avail crit = 0
run dir = ${runDir}
admin socket = ${socketsFit ? join(runDir, '$name.asok') : ''}
pid file = ${join(runDir, '$name.pid')}
log file = ${join(p.dir, '$name.log')}
crash dir = ${join(p.dir, 'crash')}
keyring = ${join(p.dir, 'keyring')}

[mon]
mon data = ${join(p.dir, 'mon')}
# Default 1 s per Paxos round; RGW creates its pools at start (11.5 s -> ~1 s).
paxos propose interval = 0.05

[osd]
osd data = ${join(p.dir, 'osd$id')}
osd objectstore = memstore
memstore device bytes = ${p.memstoreBytes ?? 8 * 1024 * 1024 * 1024}

[${RGW_NAME}]
# tcp_nodelay: a small answer (a manifest) in two writes must not wait for the client's delayed ACK (Nagle).
rgw frontends = beast tcp_nodelay=1 endpoint=127.0.0.1:${p.rgwPort}${p.tls ? ` ssl_endpoint=127.0.0.1:${p.tls.port} ssl_certificate=${p.tls.certFile} ssl_private_key=${p.tls.keyFile}` : ''}
rgw sts key = ${randomBytes(8).toString('hex')}
rgw s3 auth use sts = true
rgw gc obj min wait = 5
rgw gc processor period = 5
`;
}

function remaining(deadline: number): number {
  return Math.max(1_000, deadline - Date.now());
}

function deathError(daemon: Daemon, dir: string, daemons: readonly Daemon[]): Error {
  const logs = tailFiles(daemons.flatMap((d) => d.logFiles));
  return new Error(
    `${daemon.name} (pid ${daemon.pid}) died during startup (${daemon.exitStatus()}); state in ${dir}\n${logs}`,
  );
}

/** Awaits `work`, but fails at once (with log tails) if one of `daemons` dies meanwhile. */
async function whileAlive<T>(daemons: readonly Daemon[], work: Promise<T>, dir: string): Promise<T> {
  let settled = false;
  const watch = (async (): Promise<never> => {
    while (!settled) {
      const dead = daemons.find((d) => d.exitStatus() !== null);
      if (dead) throw deathError(dead, dir, daemons);
      await delay(50);
    }
    return new Promise<never>(() => {});
  })();
  try {
    return await Promise.race([work, watch]);
  } catch (e) {
    if (e instanceof Error && !e.message.includes('died during startup')) {
      e.message += `\n${tailFiles(daemons.flatMap((d) => d.logFiles))}`;
    }
    throw e;
  } finally {
    settled = true;
  }
}

/** Polls until the endpoint answers HTTP at all, checking the daemons are still alive. */
async function waitForHttp(url: string, daemons: readonly Daemon[], deadline: number, dir: string): Promise<void> {
  for (;;) {
    const dead = daemons.find((d) => d.exitStatus() !== null);
    if (dead) throw deathError(dead, dir, daemons);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      throw new Error(
        `radosgw did not answer at ${url} in time; state in ${dir}\n${tailFiles(daemons.flatMap((d) => d.logFiles))}`,
      );
    }
    await delay(50);
  }
}
