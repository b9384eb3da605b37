import { createCipheriv, createDecipheriv, createHash, randomBytes, type Hash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  ATTACHMENT_MAX_BYTES,
  STAGE_CHUNK_MAX_BYTES,
  type StageAttachmentRequest,
  type StageAttachmentResponse,
} from '../../common/additions';
import { WorkstationError } from '../../common/errors';

/**
 * Attachments staged from the renderer before a submission (`additions.stageAttachment`): the
 * renderer reads the file in slices and sends them in order; each chunk is appended, encrypted, to
 * a staging file `<dir>/<stagingId>.stage`, while the file's SHA-256 and SHA-1 are computed on the
 * way. No IPC message ever carries a whole file, and no whole file is ever held in memory.
 *
 * At rest each chunk is one AES-256-GCM record — length (u32 BE) || IV (12) || ciphertext || tag
 * (16), the record's index as AAD (so records cannot be reordered or dropped unnoticed) — under a
 * random key that lives only in this process: a staging file outlives neither the process nor the
 * session. Files are swept at start (`sweep`: their key is gone with the previous process), on
 * session end (`discardAll`) and when a submission consumes them.
 */
export interface StagedAttachment {
  stagingId: string;
  contentType: string;
  size: number;
  /** Of the plaintext: hex SHA-256, base64 SHA-1 (R4 Attachment.hash). */
  sha256: string;
  sha1: string;
  file: string;
}

interface Staging {
  id: string;
  contentType: string;
  size: number;
  received: number;
  nextIndex: number;
  key: Buffer;
  file: string;
  fh: FileHandle | null;
  sha256: Hash;
  sha1: Hash;
  /** Set once `end` verified the size. */
  done: StagedAttachment | null;
  /** A chunk is being written: the next waits (the renderer sends in order, one at a time). */
  busy: Promise<void>;
}

const SUFFIX = '.stage';
const IV = 12;
const TAG = 16;
const MAX_OPEN = 64;

const staging = (reason: string, details: Record<string, string | number> = {}) =>
  new WorkstationError('ADDITION_STAGING_INVALID', { reason, ...details });

export interface StagingLimits {
  /** One attachment at most (ADDITION_ATTACHMENT_TOO_LARGE at `begin`). */
  attachmentMaxBytes: number;
}

export class AttachmentStaging {
  readonly dir: string;
  readonly #items = new Map<string, Staging>();
  readonly #limits: () => StagingLimits;

  constructor(dir: string, limits: () => StagingLimits = () => ({ attachmentMaxBytes: ATTACHMENT_MAX_BYTES })) {
    this.dir = dir;
    this.#limits = limits;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** Removes every staging file left by an earlier process (their keys died with it). Returns how many. */
  sweep(): number {
    let n = 0;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(SUFFIX) || this.#items.has(name.slice(0, -SUFFIX.length))) continue;
      rmSync(join(this.dir, name), { force: true });
      n++;
    }
    return n;
  }

  /** The channel's four operations. */
  async handle(req: StageAttachmentRequest): Promise<StageAttachmentResponse> {
    switch (req.op) {
      case 'begin':
        return this.begin(req.contentType, req.size);
      case 'chunk':
        return this.append(req.stagingId, req.index, Buffer.from(req.dataBase64, 'base64'));
      case 'end': {
        const done = await this.end(req.stagingId);
        return { stagingId: done.stagingId, received: done.size, sha256: done.sha256 };
      }
      case 'discard':
        await this.discard(req.stagingId);
        return { stagingId: req.stagingId, received: 0 };
    }
  }

  async begin(contentType: string, size: number): Promise<StageAttachmentResponse> {
    const limit = this.#limits().attachmentMaxBytes;
    if (!Number.isSafeInteger(size) || size < 1) throw staging('size');
    if (size > limit) throw new WorkstationError('ADDITION_ATTACHMENT_TOO_LARGE', { size, limit });
    if (this.#items.size >= MAX_OPEN) throw staging('too-many');
    const id = randomBytes(16).toString('hex');
    const file = join(this.dir, id + SUFFIX);
    const fh = await open(file, 'wx', 0o600);
    this.#items.set(id, {
      id,
      contentType,
      size,
      received: 0,
      nextIndex: 0,
      key: randomBytes(32),
      file,
      fh,
      sha256: createHash('sha256'),
      sha1: createHash('sha1'),
      done: null,
      busy: Promise.resolve(),
    });
    return { stagingId: id, received: 0 };
  }

  #get(id: string): Staging {
    const s = this.#items.get(id);
    if (!s) throw staging('unknown');
    return s;
  }

  async append(id: string, index: number, data: Buffer): Promise<StageAttachmentResponse> {
    const s = this.#get(id);
    const run = s.busy.then(async () => {
      if (s.done || !s.fh) throw staging('ended');
      if (index !== s.nextIndex) throw staging('order', { expected: s.nextIndex, index });
      if (data.length === 0 || data.length > STAGE_CHUNK_MAX_BYTES) throw staging('chunk');
      if (s.received + data.length > s.size) throw staging('size');
      const iv = randomBytes(IV);
      const cipher = createCipheriv('aes-256-gcm', s.key, iv);
      cipher.setAAD(indexAad(index));
      const ct = Buffer.concat([cipher.update(data), cipher.final()]);
      const len = Buffer.alloc(4);
      len.writeUInt32BE(ct.length);
      await s.fh.write(Buffer.concat([len, iv, ct, cipher.getAuthTag()]));
      s.sha256.update(data);
      s.sha1.update(data);
      s.received += data.length;
      s.nextIndex++;
    });
    s.busy = run.catch(() => {});
    try {
      await run;
    } catch (e) {
      // A refused chunk ends this staging: a file with a hole must never be sent.
      await this.discard(id);
      throw e;
    }
    return { stagingId: id, received: s.received };
  }

  async end(id: string): Promise<StagedAttachment> {
    const s = this.#get(id);
    await s.busy;
    if (s.done) return s.done;
    if (s.received !== s.size) {
      await this.discard(id);
      throw staging('incomplete', { received: s.received, size: s.size });
    }
    await s.fh!.close();
    s.fh = null;
    s.done = {
      stagingId: id,
      contentType: s.contentType,
      size: s.size,
      sha256: s.sha256.digest('hex'),
      sha1: s.sha1.digest('base64'),
      file: s.file,
    };
    return s.done;
  }

  /** A completely staged attachment; ADDITION_STAGING_INVALID when unknown or not ended. */
  staged(id: string): StagedAttachment {
    const s = this.#get(id);
    if (!s.done) throw staging('incomplete', { received: s.received, size: s.size });
    return s.done;
  }

  /** The plaintext of a staged attachment, chunk by chunk (each record authenticated before it is given out). */
  async *read(id: string): AsyncGenerator<Buffer> {
    const s = this.#get(id);
    if (!s.done) throw staging('incomplete');
    const fh = await open(s.file, 'r');
    try {
      let offset = 0;
      let index = 0;
      const len = Buffer.alloc(4);
      for (;;) {
        const { bytesRead } = await fh.read(len, 0, 4, offset);
        if (bytesRead === 0) break;
        if (bytesRead !== 4) throw staging('damaged');
        const n = len.readUInt32BE(0);
        if (n > STAGE_CHUNK_MAX_BYTES) throw staging('damaged');
        const record = Buffer.allocUnsafe(IV + n + TAG);
        const got = (await fh.read(record, 0, record.length, offset + 4)).bytesRead;
        if (got !== record.length) throw staging('damaged');
        const decipher = createDecipheriv('aes-256-gcm', s.key, record.subarray(0, IV));
        decipher.setAAD(indexAad(index));
        decipher.setAuthTag(record.subarray(IV + n));
        let plain: Buffer;
        try {
          plain = Buffer.concat([decipher.update(record.subarray(IV, IV + n)), decipher.final()]);
        } catch {
          throw staging('damaged');
        }
        yield plain;
        offset += 4 + record.length;
        index++;
      }
      if (index !== s.nextIndex) throw staging('damaged');
    } finally {
      await fh.close();
    }
  }

  async discard(id: string): Promise<void> {
    const s = this.#items.get(id);
    if (!s) return;
    this.#items.delete(id);
    await s.fh?.close().catch(() => {});
    s.fh = null;
    s.key.fill(0);
    await rm(s.file, { force: true });
  }

  /** Session end, sign-out, shutdown: nothing staged survives. */
  async discardAll(): Promise<void> {
    await Promise.all([...this.#items.keys()].map((id) => this.discard(id)));
  }

  get size(): number {
    return this.#items.size;
  }
}

function indexAad(index: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(index));
  return b;
}
