import { createHash } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { copyFile, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditClinician } from '../audit';
import type { UploadTarget } from './outbox';

/**
 * The outbox's second copy, outside the database: every committed addition is also one fsync'ed
 * file `<spoolDir>/<additionId>.hcpo` until its upload is confirmed. When `workstation.sqlite` is
 * unreadable and replaced (database.ts quarantines it), or a page of it is damaged, the outbox is
 * rebuilt from these files on start (Outbox.recoverFromSpool): a signed addition is never lost to a
 * broken database.
 *
 * File: "HCPO" || version 1 || header length (u32 BE) || header (JSON) || body || SHA-256 of all
 * before it (32 bytes). The body is the encrypted container exactly as it is uploaded (already
 * sealed for the patient's pending key); the header holds what the outbox row holds (ids, target,
 * counts per kind, the clinician for the audit entry, the object key sealed with the workstation
 * key: see outbox.ts). A file whose checksum, body hash or
 * name does not match is not used (counted as unrecoverable and moved to `unreadable/`).
 *
 * Attachments (docs/formats.md §7.1) are spooled as files of their own, never inside that file:
 * `<spoolDir>/<additionId>.att/<attachmentId>.hcpc`, the encrypted container exactly as uploaded,
 * moved in from staging (adoptAttachment: the container was written and fsynced while the file
 * was staged; rename, fsync of the folder) before the addition's own file is written; the header lists them with their size and
 * SHA-256. A folder whose addition has no spool file (a submission that never committed) is
 * removed at start (sweepAttachments).
 */
const MAGIC = Buffer.from('HCPO', 'ascii');
const VERSION = 1;
const SUFFIX = '.hcpo';
const DIGEST = 32;
const ADDITION_ID = /^[0-9a-f]{64}$/;
const ATTACHMENT_ID = /^[0-9a-f]{32}$/;
const ATTACHMENTS = '.att';

/** One attachment object of an addition as the outbox keeps it. */
export interface SpooledAttachment {
  attachmentId: string;
  /** Of the encrypted container file. */
  size: number;
  sha256: string;
  /** Its object is in the bucket (the row's copy is authoritative; the file's stays false). */
  sent: boolean;
}

export interface SpooledAddition {
  additionId: string;
  /** The attachment objects (absent: none). */
  attachments?: SpooledAttachment[];
  patientRef: string;
  target: UploadTarget;
  objectKey: string;
  body: Buffer;
  bodySha256: string;
  kinds: Record<string, number>;
  clinician: AuditClinician;
  /** ms since the epoch */
  createdAt: number;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest();

export function encodeSpoolFile(a: SpooledAddition): Buffer {
  const { body, ...rest } = a;
  const header = Buffer.from(JSON.stringify(rest), 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(header.length);
  const content = Buffer.concat([MAGIC, Buffer.from([VERSION]), len, header, body]);
  return Buffer.concat([content, sha256(content)]);
}

/** The addition in a spool file, or null when the file is damaged (checksum, format, body hash). */
export function decodeSpoolFile(bytes: Buffer): SpooledAddition | null {
  if (bytes.length < MAGIC.length + 5 + DIGEST || !bytes.subarray(0, 4).equals(MAGIC) || bytes[4] !== VERSION)
    return null;
  const content = bytes.subarray(0, bytes.length - DIGEST);
  if (!sha256(content).equals(bytes.subarray(bytes.length - DIGEST))) return null;
  const headerLength = content.readUInt32BE(5);
  if (9 + headerLength > content.length) return null;
  let header: Omit<SpooledAddition, 'body'>;
  try {
    header = JSON.parse(content.subarray(9, 9 + headerLength).toString('utf8')) as Omit<SpooledAddition, 'body'>;
  } catch {
    return null;
  }
  const body = Buffer.from(content.subarray(9 + headerLength));
  if (
    typeof header.additionId !== 'string' ||
    !ADDITION_ID.test(header.additionId) ||
    header.bodySha256 !== sha256(body).toString('hex')
  )
    return null;
  return { ...header, body };
}

export interface SpoolEntry {
  additionId: string;
  /** null: the file is damaged */
  addition: SpooledAddition | null;
  file: string;
}

export class OutboxSpool {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  fileOf(additionId: string): string {
    if (!ADDITION_ID.test(additionId)) throw new Error('not an addition id');
    return join(this.dir, additionId + SUFFIX);
  }

  /** Writes the file durably: a temporary file, fsync, rename, fsync of the directory. */
  write(a: SpooledAddition): void {
    const file = this.fileOf(a.additionId);
    const tmp = `${file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, encodeSpoolFile(a));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    syncDir(this.dir);
  }

  remove(additionId: string): void {
    try {
      unlinkSync(this.fileOf(additionId));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    rmSync(this.attachmentDir(additionId), { recursive: true, force: true });
  }

  attachmentDir(additionId: string): string {
    if (!ADDITION_ID.test(additionId)) throw new Error('not an addition id');
    return join(this.dir, additionId + ATTACHMENTS);
  }

  attachmentFile(additionId: string, attachmentId: string): string {
    if (!ATTACHMENT_ID.test(attachmentId)) throw new Error('not an attachment id');
    return join(this.attachmentDir(additionId), `${attachmentId}.hcpc`);
  }

  /**
   * Moves a finished attachment container (already fsynced: main/additions/staging.ts) into its
   * spool file (rename; a copy when the staging folder is on another file system), then fsyncs the
   * folder: durable before the addition's own file and row name it.
   */
  async adoptAttachment(additionId: string, attachmentId: string, container: string): Promise<void> {
    const dir = this.attachmentDir(additionId);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = this.attachmentFile(additionId, attachmentId);
    try {
      await rename(container, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
      const tmp = `${file}.tmp`;
      await copyFile(container, tmp);
      const fh = await open(tmp, 'r+');
      try {
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, file);
      await rm(container, { force: true });
    }
    syncDir(dir);
  }

  /** Drops the attachment files of an addition that was not committed. */
  removeAttachments(additionId: string): void {
    rmSync(this.attachmentDir(additionId), { recursive: true, force: true });
  }

  /** True when every attachment file of a spooled addition is there with its size. */
  attachmentsPresent(a: SpooledAddition): boolean {
    for (const att of a.attachments ?? []) {
      try {
        if (statSync(this.attachmentFile(a.additionId, att.attachmentId)).size !== att.size) return false;
      } catch {
        return false;
      }
    }
    return true;
  }

  /** Attachment folders of additions that have no spool file (never committed): removed. Returns how many. */
  sweepAttachments(): number {
    let n = 0;
    for (const name of readdirSync(this.dir)) {
      if (!name.endsWith(ATTACHMENTS)) continue;
      const additionId = name.slice(0, -ATTACHMENTS.length);
      let spooled = false;
      try {
        spooled = ADDITION_ID.test(additionId) && statSync(this.fileOf(additionId)).isFile();
      } catch {
        spooled = false;
      }
      if (spooled) continue;
      rmSync(join(this.dir, name), { recursive: true, force: true });
      n++;
    }
    return n;
  }

  /** Every spooled addition; damaged files have `addition: null`. Left-over temporary files are removed. */
  list(): SpoolEntry[] {
    const entries: SpoolEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      if (name.endsWith(`${SUFFIX}.tmp`)) {
        // Never renamed into place: its addition's database commit never happened either.
        unlinkSync(file);
        continue;
      }
      if (!name.endsWith(SUFFIX)) continue;
      const additionId = name.slice(0, -SUFFIX.length);
      let addition: SpooledAddition | null = null;
      try {
        addition = decodeSpoolFile(readFileSync(file));
      } catch {
        addition = null;
      }
      if (addition && addition.additionId !== additionId) addition = null;
      entries.push({ additionId, addition, file });
    }
    return entries;
  }

  /** A damaged file is kept for IT (moved to `unreadable/`), never used. */
  setAside(entry: SpoolEntry): void {
    const dir = join(this.dir, 'unreadable');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    renameSync(entry.file, join(dir, `${entry.additionId}${SUFFIX}`));
    if (ADDITION_ID.test(entry.additionId)) {
      try {
        renameSync(this.attachmentDir(entry.additionId), join(dir, `${entry.additionId}${ATTACHMENTS}`));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
}

function syncDir(dir: string): void {
  let fd: number | null = null;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) cannot fsync a directory; the rename is still atomic there.
  } finally {
    if (fd !== null) closeSync(fd);
  }
}
