import { createHash, type Hash } from 'node:crypto';
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
import { ContainerEncoder } from '../crypto';
import { attachmentAssociatedData, newAttachmentId } from './attachments';
import type { PendingKey } from './pending';

/**
 * Attachments staged from the renderer before a submission (`additions.stageAttachment`): the
 * renderer reads the file in slices and sends them in order; each slice is encrypted on arrival,
 * segment by segment, straight into the attachment's pending container (docs/formats.md §7.1:
 * EHR container, purpose pending-additions, its object name bound in) in a staging file
 * `<dir>/<stagingId>.stage`, while the file's SHA-256 and SHA-1 are computed on the way. So the
 * file is encrypted at rest from its first byte, no IPC message carries a whole file, no whole
 * file is ever in memory, and a submission only has to move the finished container into the outbox
 * spool (no second pass over the bytes).
 *
 * The attachment's object id is chosen at `begin`, for the open record the form is for (its
 * patient's pending key): a staged file can only be submitted for that patient. What is staged
 * lives in this process only (sizes, digests, the segment state): files are swept at start
 * (`sweep`), on sign-out (`discardAll`), when discarded, and moved out when a submission commits.
 */
export interface StagedAttachment {
  stagingId: string;
  /** The object id the container is sealed under (its name in the pending bucket). */
  attachmentId: string;
  /** Which patient's pending key sealed it. */
  citizenId: string;
  contentType: string;
  /** Of the plaintext. */
  size: number;
  /** Of the plaintext: hex SHA-256, base64 SHA-1 (R4 Attachment.hash). */
  sha256: string;
  sha1: string;
  /** The finished container: its file, size and SHA-256 (hex). */
  file: string;
  containerSize: number;
  containerSha256: string;
}

interface Staging {
  id: string;
  attachmentId: string;
  citizenId: string;
  contentType: string;
  size: number;
  received: number;
  nextIndex: number;
  /** The one container encoder (main/crypto): holds no plaintext, each chunk encrypted as it comes. */
  encoder: ContainerEncoder;
  file: string;
  fh: FileHandle | null;
  written: number;
  sha256: Hash;
  sha1: Hash;
  containerHash: Hash;
  /** Set once `end` verified the size. */
  done: StagedAttachment | null;
  /** A chunk is being written: the next waits (the renderer sends in order, one at a time). */
  busy: Promise<void>;
}

const SUFFIX = '.stage';
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

  /** Removes every staging file left by an earlier process (what they were is gone with it). Returns how many. */
  sweep(): number {
    let n = 0;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(SUFFIX) || this.#items.has(name.slice(0, -SUFFIX.length))) continue;
      rmSync(join(this.dir, name), { force: true });
      n++;
    }
    return n;
  }

  /** The channel's four operations; `begin` needs the open record's pending key. */
  async handle(req: StageAttachmentRequest, key: PendingKey | null): Promise<StageAttachmentResponse> {
    switch (req.op) {
      case 'begin':
        if (!key) throw staging('no-record');
        return this.begin(key, req.contentType, req.size);
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

  async begin(key: PendingKey, contentType: string, size: number): Promise<StageAttachmentResponse> {
    const limit = this.#limits().attachmentMaxBytes;
    if (!Number.isSafeInteger(size) || size < 1) throw staging('size');
    if (size > limit) throw new WorkstationError('ADDITION_ATTACHMENT_TOO_LARGE', { size, limit });
    if (this.#items.size >= MAX_OPEN) throw staging('too-many');
    const id = newAttachmentId();
    const attachmentId = newAttachmentId();
    const encoder = new ContainerEncoder(size, {
      masterKey: key.masterKey,
      purpose: 'pending-additions',
      associatedData: attachmentAssociatedData(key.citizenId, attachmentId),
      contentType,
    });
    const file = join(this.dir, id + SUFFIX);
    const fh = await open(file, 'wx', 0o600);
    const s: Staging = {
      id,
      attachmentId,
      citizenId: key.citizenId,
      contentType,
      size,
      received: 0,
      nextIndex: 0,
      encoder,
      file,
      fh,
      written: 0,
      sha256: createHash('sha256'),
      sha1: createHash('sha1'),
      containerHash: createHash('sha256'),
      done: null,
      busy: Promise.resolve(),
    };
    this.#items.set(id, s);
    try {
      await this.#write(s, Buffer.concat(encoder.feed(Buffer.alloc(0)))); // the sealed header
    } catch (e) {
      await this.discard(id);
      throw e;
    }
    return { stagingId: id, received: 0 };
  }

  #get(id: string): Staging {
    const s = this.#items.get(id);
    if (!s) throw staging('unknown');
    return s;
  }

  async #write(s: Staging, b: Buffer): Promise<void> {
    s.containerHash.update(b);
    let off = 0;
    while (off < b.length) off += (await s.fh!.write(b, off, b.length - off, s.written + off)).bytesWritten;
    s.written += b.length;
  }

  async append(id: string, index: number, data: Buffer): Promise<StageAttachmentResponse> {
    const s = this.#get(id);
    const run = s.busy.then(async () => {
      if (s.done || !s.fh) throw staging('ended');
      if (index !== s.nextIndex) throw staging('order', { expected: s.nextIndex, index });
      if (data.length === 0 || data.length > STAGE_CHUNK_MAX_BYTES) throw staging('chunk');
      if (s.received + data.length > s.size) throw staging('size');
      s.sha256.update(data);
      s.sha1.update(data);
      const out = s.encoder.feed(data);
      s.received += data.length;
      s.nextIndex++;
      await this.#write(s, out.length === 1 ? out[0]! : Buffer.concat(out));
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
    try {
      await this.#write(s, Buffer.concat(s.encoder.end()));
      await s.fh!.sync();
      await s.fh!.close();
    } catch (e) {
      await this.discard(id);
      throw e;
    }
    s.fh = null;
    s.done = {
      stagingId: id,
      attachmentId: s.attachmentId,
      citizenId: s.citizenId,
      contentType: s.contentType,
      size: s.size,
      sha256: s.sha256.digest('hex'),
      sha1: s.sha1.digest('base64'),
      file: s.file,
      containerSize: s.written,
      containerSha256: s.containerHash.digest('hex'),
    };
    return s.done;
  }

  /** A completely staged attachment; ADDITION_STAGING_INVALID when unknown or not ended. */
  staged(id: string): StagedAttachment {
    const s = this.#get(id);
    if (!s.done) throw staging('incomplete', { received: s.received, size: s.size });
    return s.done;
  }

  /** Forgets a staged attachment whose file a submission moved into the outbox spool. */
  release(id: string): void {
    this.#items.delete(id);
  }

  async discard(id: string): Promise<void> {
    const s = this.#items.get(id);
    if (!s) return;
    this.#items.delete(id);
    await s.fh?.close().catch(() => {});
    s.fh = null;
    await rm(s.file, { force: true });
  }

  /** Sign-out, shutdown: nothing staged survives. */
  async discardAll(): Promise<void> {
    await Promise.all([...this.#items.keys()].map((id) => this.discard(id)));
  }

  get size(): number {
    return this.#items.size;
  }
}
