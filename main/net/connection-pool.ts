import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, type ClientRequest, type ClientRequestArgs } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import type { Socket } from 'node:net';
import { WorkstationError } from '../../common/errors';

/**
 * Keep-alive connections of the main process, per origin (and per client identity where mutual
 * TLS is used), kept across opens: a warm open makes no new TCP connection and no TLS handshake,
 * and a new connection resumes the TLS session (Node's https.Agent keeps the session tickets of
 * its connections). Server certificates are verified against the system's roots plus the CAs the
 * configuration names (`tls.trustedCas`); host-name verification stays on. Nothing here ever
 * disables verification.
 *
 * Every socket has two timers: while it carries a request or response, `activeTimeoutMs` without a
 * byte either way destroys it with ETIMEDOUT (the request fails: CLOUD_UNAVAILABLE, HRI_TIMEOUT);
 * while idle in the pool, `freeSocketTimeoutMs` closes it quietly (default 15 s, below the usual
 * servers' keep-alive timeouts, so a pooled socket is rarely one the server is closing).
 */
export interface ClientIdentity {
  /** Stable id of the identity (the clinician certificate's fingerprint): agents are never shared across ids. */
  id: string;
  certificatePem: string;
  privateKeyPem: string;
}

export interface AgentRequest {
  /** No byte for this long while a request is in flight: the socket is destroyed (ETIMEDOUT). */
  activeTimeoutMs: number;
  /** Mutual TLS: the client certificate presented in the handshake (an agent of its own). */
  identity?: ClientIdentity;
}

export interface ConnectionPoolOptions {
  /** Extra trusted CA certificates (PEM), added to the system's roots. */
  ca?: readonly string[];
  /** An idle pooled connection is closed after this long (default 15 s). */
  freeSocketTimeoutMs?: number;
  /** Connections per origin (default 16: a download of several objects at once, plus the open). */
  maxSockets?: number;
}

export const DEFAULT_FREE_SOCKET_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_SOCKETS = 16;

function idleTimeoutError(timeoutMs: number): Error {
  return Object.assign(new Error(`no data for ${timeoutMs} ms`), { code: 'ETIMEDOUT' });
}

/** Node's documented agent hooks, with their run-time signatures (@types/node says they return void). */
interface PoolHooks {
  keepSocketAlive(socket: Socket): boolean;
  reuseSocket(socket: Socket, request: ClientRequest): void;
}

/**
 * An agent whose sockets time out as described above. Node's agent resets a socket's timeout when
 * it returns to the pool (and not when it is reused), so both transitions re-arm it here.
 */
export function createPooledAgent(
  secure: boolean,
  options: {
    activeTimeoutMs: number;
    freeSocketTimeoutMs?: number;
    maxSockets?: number;
    secureContext?: SecureContext;
  },
): HttpAgent {
  const freeMs = options.freeSocketTimeoutMs ?? DEFAULT_FREE_SOCKET_TIMEOUT_MS;
  const activeMs = options.activeTimeoutMs;
  const base = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? DEFAULT_MAX_SOCKETS,
    ...(secure && options.secureContext ? { secureContext: options.secureContext } : {}),
  };
  const agent: HttpAgent = secure ? new HttpsAgent(base) : new HttpAgent(base);
  const hooks = agent as unknown as PoolHooks;
  const create = agent.createConnection.bind(agent) as (
    o: ClientRequestArgs,
    cb?: (err: Error | null, stream: Duplex) => void,
  ) => Duplex | null | undefined;
  agent.createConnection = ((o: ClientRequestArgs, cb?: (err: Error | null, stream: Duplex) => void) => {
    const socket = create(o, cb) as (Socket & { _httpMessage?: unknown }) | null | undefined;
    socket?.setTimeout(activeMs);
    // Idle in the pool: the agent itself destroys a free socket on 'timeout'. In use: fail it.
    socket?.on('timeout', () => {
      if (socket._httpMessage) socket.destroy(idleTimeoutError(activeMs));
    });
    return socket;
  }) as typeof agent.createConnection;
  const keep = hooks.keepSocketAlive.bind(agent);
  hooks.keepSocketAlive = (socket) => {
    const kept = keep(socket);
    if (kept) socket.setTimeout(freeMs);
    return kept;
  };
  const reuse = hooks.reuseSocket.bind(agent);
  hooks.reuseSocket = (socket, request) => {
    reuse(socket, request);
    socket.setTimeout(activeMs);
  };
  return agent;
}

/** The agents of one workstation service (the HRI client, CloudAccess), by origin and identity. */
export class ConnectionPool {
  readonly #agents = new Map<string, { agent: HttpAgent; identity: string | null }>();
  readonly #options: ConnectionPoolOptions;
  #context: SecureContext | null = null;

  constructor(options: ConnectionPoolOptions = {}) {
    this.#options = options;
  }

  /** The keep-alive agent for `url`'s origin (and identity); the same one on every call. */
  agentFor(url: string | URL, request: AgentRequest): HttpAgent {
    const u = typeof url === 'string' ? new URL(url) : url;
    const secure = u.protocol === 'https:';
    const identity = request.identity?.id ?? null;
    const key = `${u.protocol}//${u.host}|${identity ?? ''}|${request.activeTimeoutMs}`;
    let entry = this.#agents.get(key);
    if (!entry) {
      const secureContext = secure ? this.#secureContext(request.identity) : undefined;
      entry = {
        agent: createPooledAgent(secure, {
          activeTimeoutMs: request.activeTimeoutMs,
          freeSocketTimeoutMs: this.#options.freeSocketTimeoutMs,
          maxSockets: this.#options.maxSockets,
          secureContext,
        }),
        identity,
      };
      this.#agents.set(key, entry);
    }
    return entry.agent;
  }

  /**
   * Sign-out, lock: idle connections are closed (requests in flight finish), and the agents of
   * client identities are destroyed with their TLS sessions.
   */
  closeIdle(): void {
    for (const [key, entry] of this.#agents) {
      if (entry.identity !== null) {
        entry.agent.destroy();
        this.#agents.delete(key);
        continue;
      }
      const free = (entry.agent as HttpAgent & { freeSockets: Record<string, Socket[] | undefined> }).freeSockets;
      for (const sockets of Object.values(free)) for (const s of sockets ?? []) s.destroy();
    }
  }

  /** Close: every connection ends. The pool may be used again (new connections). */
  destroy(): void {
    for (const entry of this.#agents.values()) entry.agent.destroy();
    this.#agents.clear();
  }

  #secureContext(identity: ClientIdentity | undefined): SecureContext | undefined {
    const extra = this.#options.ca ?? [];
    if (!identity) {
      if (!extra.length) return undefined;
      // One context per pool: parsing the roots once, not at every connection.
      return (this.#context ??= createSecureContext({ ca: [...rootCertificates, ...extra] }));
    }
    return createSecureContext({
      ...(extra.length ? { ca: [...rootCertificates, ...extra] } : {}),
      cert: identity.certificatePem,
      key: identity.privateKeyPem,
    });
  }
}

/**
 * Node's codes for a server certificate that failed verification: not issued by a trusted CA,
 * self-signed, expired or not yet valid, or not for the host name asked.
 */
const UNTRUSTED_SERVER =
  /^(CERT_|UNABLE_TO_GET_ISSUER_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE$|UNABLE_TO_DECRYPT_CERT_SIGNATURE$|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_CERT_ALTNAME_INVALID$|HOSTNAME_MISMATCH$)/;

/** The verification failure code of a refused server certificate along an error's cause chain, or null. */
export function untrustedServerCode(e: unknown): string | null {
  for (let current: unknown = e, depth = 0; current && depth < 8; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && UNTRUSTED_SERVER.test(code)) return code;
    current = current instanceof Error ? current.cause : undefined;
  }
  return null;
}

/**
 * The PEM text of the configured CA files (`tls.trustedCas`, already resolved and checked to exist
 * by the loader). Read once at start; an unreadable file is a configuration error.
 */
export function readTrustedCas(files: readonly string[], resolvePath: (p: string) => string): string[] {
  return files.map((f) => {
    try {
      return readFileSync(resolvePath(f), 'utf8');
    } catch (cause) {
      throw new WorkstationError('CONFIG_FILE_UNREADABLE', { key: 'tls.trustedCas', file: f }, { cause });
    }
  });
}
