/**
 * Process plumbing for the sandbox: run a command and collect its output, start a daemon in the
 * background with its output in a file, pick free loopback ports, and stop exactly the processes
 * we started (by PID, never by name).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the command if this process exits first (default true; false for package installs). */
  killOnExit?: boolean;
}

/** A command's failure, with what it printed: enough to diagnose it from a CI log. */
export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | string | null,
    readonly output: string,
  ) {
    super(`\`${command}\` failed (${exitCode ?? 'killed'}):\n${tailLines(output, 40)}`);
    this.name = 'CommandError';
  }
}

// Commands still running when this process exits (e.g. Ctrl-C mid-provisioning) are killed with it.
const inFlight = new Set<ChildProcess>();
let exitHookInstalled = false;
function killInFlightOnExit(): void {
  for (const child of inFlight) child.kill('SIGKILL');
}

/** Runs a command to completion; resolves with stdout, rejects with a CommandError. */
export function run(file: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  if (!exitHookInstalled) {
    process.on('exit', killInFlightOnExit);
    exitHookInstalled = true;
  }
  return new Promise((resolve, reject) => {
    const child = execFile(
      file,
      args,
      {
        timeout: opts.timeoutMs ?? 60_000,
        killSignal: 'SIGKILL',
        env: opts.env ?? process.env,
        cwd: opts.cwd,
        maxBuffer: 64 * 1024 * 1024,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        inFlight.delete(child);
        if (error) {
          const code = error.killed ? `timed out after ${opts.timeoutMs ?? 60_000} ms` : (error.code ?? null);
          reject(new CommandError([file, ...args].join(' '), code, `${stdout}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
    if (opts.killOnExit !== false) inFlight.add(child);
  });
}

/** A background process whose output goes to a file; `exited` tells whether it died. */
export interface Daemon {
  readonly name: string;
  readonly pid: number;
  /** Files worth showing when the daemon misbehaves (its stdout/stderr file, its own log). */
  readonly logFiles: readonly string[];
  /** null while running; the exit code or signal once it has ended. */
  exitStatus(): string | null;
  /** Resolves when the process has ended (immediately if it already has). */
  waitForExit(): Promise<void>;
}

class SpawnedDaemon implements Daemon {
  readonly pid: number;
  private status: string | null = null;
  private readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    readonly logFiles: readonly string[],
  ) {
    if (child.pid === undefined) throw new Error(`${name} could not be started`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.status = signal ? `killed by ${signal}` : `exit code ${code}`;
        resolve();
      });
    });
  }

  exitStatus(): string | null {
    return this.status;
  }

  waitForExit(): Promise<void> {
    return this.exited;
  }
}

export function startDaemon(
  name: string,
  file: string,
  args: readonly string[],
  outputFile: string,
  extraLogFiles: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Daemon> {
  const fd = openSync(outputFile, 'a');
  try {
    // Own process group: a terminal's Ctrl-C reaches only us, and we stop the daemons in order.
    const child = spawn(file, args, { stdio: ['ignore', fd, fd], env, detached: true });
    return new Promise((resolve, reject) => {
      // A missing binary surfaces as an 'error' event, not as an exception from spawn().
      child.once('error', (e) => reject(new Error(`${name}: cannot start ${file}: ${e.message}`)));
      child.once('spawn', () => resolve(new SpawnedDaemon(name, child, [outputFile, ...extraLogFiles])));
    });
  } finally {
    closeSync(fd);
  }
}

/**
 * Stops a daemon: SIGTERM, then SIGKILL if it has not ended within `graceMs`. Resolves once the
 * process is gone, so the caller can stop the next one in order.
 */
export async function stopDaemon(daemon: Daemon, graceMs = 5_000): Promise<void> {
  if (daemon.exitStatus() !== null) return;
  signal(daemon.pid, 'SIGTERM');
  const ended = await Promise.race([daemon.waitForExit().then(() => true), delay(graceMs).then(() => false)]);
  if (!ended) {
    signal(daemon.pid, 'SIGKILL');
    await daemon.waitForExit();
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/**
 * Kills a PID left by an earlier run (e.g. one that was SIGKILLed), but only if its command line
 * still mentions `marker` (our state dir): a recycled PID belongs to someone else.
 */
export async function killStalePid(pid: number, marker: string, graceMs = 5_000): Promise<boolean> {
  if (!pidMatches(pid, marker)) return false;
  signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!pidMatches(pid, marker)) return true;
    await delay(50);
  }
  signal(pid, 'SIGKILL');
  while (pidMatches(pid, marker)) await delay(20);
  return true;
}

/** True when `pid` is alive (not a zombie) and its command line contains `marker`. */
export function pidMatches(pid: number, marker: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').includes(marker);
  } catch {
    return false;
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Two consecutive free ports (the monitor listens on msgr v2 at `port` and v1 at `port + 1`). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (port < 65535 && (await portIsFree(port + 1))) return port;
  }
  throw new Error('could not find two consecutive free ports on 127.0.0.1');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function tailLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** The last lines of each file (missing files are skipped), labelled, for an error message. */
export function tailFiles(files: readonly string[], lines = 25): string {
  const parts: string[] = [];
  for (const file of files) {
    try {
      const text = readFileSync(file, 'utf8');
      if (text.trim()) parts.push(`--- ${file} (last ${lines} lines) ---\n${tailLines(text, lines)}`);
    } catch {
      // Not written (yet).
    }
  }
  return parts.join('\n');
}
