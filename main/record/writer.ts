import { createHash } from 'node:crypto';
import type { Transform } from 'node:stream';
import { WorkstationError } from '../../common/errors';
import {
  containerLength,
  DEFAULT_SEGMENT_SIZE,
  encryptContainer,
  createEncryptStream,
  base64UrlEncode,
  assertMasterKey,
} from '../crypto';
import {
  CONTAINER_CONTENT_TYPE,
  manifestAssociatedData,
  manifestObjectKey,
  newObjectId,
  objectAssociatedData,
  recordObjectKey,
} from './layout';
import {
  MANIFEST_FORMAT,
  MANIFEST_SCHEMA_VERSION,
  manifestSchema,
  type ManifestObject,
  type RecordManifest,
} from './manifest';
import { jwkThumbprint, signPayload, signerPublicJwk, type PatientSigner } from './signature';

/**
 * The patient side: builds a record (objects + manifest) as containers ready to upload. Used by
 * the patient-side simulator and, later, by the patient's review of clinician additions (a new
 * manifest version based on the previous one).
 */
export interface RecordWriterOptions {
  masterKey: Buffer;
  citizenId: string;
  /** The record's prefix in the `ehr` bucket (what the sealed HRI location names). */
  prefix: string;
  /** A verified earlier manifest: its objects are kept and the version goes up by one. */
  basedOn?: { manifest: RecordManifest; payloadSha256: string };
  segmentSize?: number;
  now?: () => Date;
}

export interface NewObject {
  role: string;
  /** The real content type, e.g. `application/fhir+json`; stored encrypted. */
  contentType: string;
  title?: string;
  created?: Date;
}

export interface Upload {
  /** Object key in the `ehr` bucket. */
  key: string;
  /** Bytes the container will have: the upload's Content-Length. */
  contentLength: number;
  /** Always application/octet-stream: the cloud learns nothing from it. */
  contentType: string;
}

export interface BufferUpload extends Upload {
  body: Buffer;
}

export interface StreamUpload extends Upload {
  /** Write the plaintext in (exactly `size` bytes), read the container out. */
  body: Transform;
  id: string;
}

export interface FinishedRecord {
  manifest: RecordManifest;
  /** SHA-256 (hex) of the manifest payload bytes: what a later version names as `previous`. */
  payloadSha256: string;
  upload: BufferUpload;
}

export class RecordWriter {
  private readonly options: RecordWriterOptions;
  private readonly entries: ManifestObject[] = [];
  private readonly pending = new Set<string>();
  private finished = false;

  constructor(options: RecordWriterOptions) {
    assertMasterKey(options.masterKey);
    this.options = options;
    if (options.basedOn) {
      if (options.basedOn.manifest.citizenId !== options.citizenId)
        throw new WorkstationError('INVALID_INPUT', { field: 'basedOn' });
      this.entries.push(...options.basedOn.manifest.objects);
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private get segmentSize(): number {
    return this.options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  }

  private entry(id: string, object: NewObject, size: number, sha256: string): ManifestObject {
    const entry: ManifestObject = {
      id,
      role: object.role,
      contentType: object.contentType,
      size,
      sha256,
      created: (object.created ?? this.now()).toISOString(),
    };
    if (object.title !== undefined) entry.title = object.title;
    return entry;
  }

  private assertOpen(): void {
    if (this.finished) throw new WorkstationError('INVALID_INPUT', { field: 'finished' });
  }

  /** Adds an object held in memory (the IPS bundle, small attachments). */
  addBuffer(object: NewObject & { data: Buffer }): BufferUpload & { id: string } {
    this.assertOpen();
    const id = newObjectId();
    const body = encryptContainer(object.data, {
      masterKey: this.options.masterKey,
      purpose: 'object',
      associatedData: objectAssociatedData(this.options.citizenId, id),
      contentType: object.contentType,
      segmentSize: this.segmentSize,
    });
    this.entries.push(
      this.entry(id, object, object.data.length, createHash('sha256').update(object.data).digest('hex')),
    );
    return {
      id,
      key: recordObjectKey(this.options.prefix, id),
      contentLength: body.length,
      contentType: CONTAINER_CONTENT_TYPE,
      body,
    };
  }

  /**
   * Adds a large object as a stream: pipe exactly `size` plaintext bytes into `body` and its
   * output to the upload. The entry (with the SHA-256 computed on the way) joins the manifest
   * when the stream completes; finish() refuses while any stream is incomplete.
   */
  addStream(object: NewObject & { size: number }): StreamUpload {
    this.assertOpen();
    const id = newObjectId();
    const hash = createHash('sha256');
    this.pending.add(id);
    const body = createEncryptStream(
      object.size,
      {
        masterKey: this.options.masterKey,
        purpose: 'object',
        associatedData: objectAssociatedData(this.options.citizenId, id),
        contentType: object.contentType,
        segmentSize: this.segmentSize,
      },
      {
        onPlaintext: (chunk) => hash.update(chunk),
        onComplete: () => {
          this.entries.push(this.entry(id, object, object.size, hash.digest('hex')));
          this.pending.delete(id);
        },
      },
    );
    return {
      id,
      key: recordObjectKey(this.options.prefix, id),
      contentLength: containerLength(object.size, this.segmentSize, object.contentType),
      contentType: CONTAINER_CONTENT_TYPE,
      body,
    };
  }

  /** Drops an object from the next manifest version (its container can then be deleted). */
  removeObject(id: string): void {
    this.assertOpen();
    const at = this.entries.findIndex((e) => e.id === id);
    if (at < 0) throw new WorkstationError('INVALID_INPUT', { field: 'id' });
    this.entries.splice(at, 1);
  }

  /** Seals the manifest (signed when a signer is given). Upload it last: it makes the new version visible. */
  finish(options: { signer?: PatientSigner } = {}): FinishedRecord {
    this.assertOpen();
    if (this.pending.size > 0) throw new WorkstationError('INVALID_INPUT', { field: 'objects' });
    const { basedOn, citizenId } = this.options;
    const draft: RecordManifest = {
      format: MANIFEST_FORMAT,
      v: MANIFEST_SCHEMA_VERSION,
      citizenId,
      version: basedOn ? basedOn.manifest.version + 1 : 1,
      created: this.now().toISOString(),
      objects: [...this.entries],
    };
    if (basedOn) draft.previous = { version: basedOn.manifest.version, sha256: basedOn.payloadSha256 };
    if (options.signer) {
      const jwk = signerPublicJwk(options.signer);
      draft.patientKey = { kid: jwkThumbprint(jwk), jwk };
    }
    const parsed = manifestSchema.safeParse(draft);
    if (!parsed.success)
      throw new WorkstationError('MANIFEST_INVALID', { reason: parsed.error.issues[0]?.message ?? 'schema' });
    const payload = Buffer.from(JSON.stringify(parsed.data), 'utf8');
    const payloadB64 = base64UrlEncode(payload);
    const envelope: Record<string, string> = { payload: payloadB64 };
    if (options.signer && parsed.data.patientKey)
      Object.assign(envelope, signPayload(payloadB64, options.signer, parsed.data.patientKey.kid));
    const body = encryptContainer(Buffer.from(JSON.stringify(envelope), 'utf8'), {
      masterKey: this.options.masterKey,
      purpose: 'manifest',
      associatedData: manifestAssociatedData(citizenId),
      contentType: 'application/json',
      segmentSize: this.segmentSize,
    });
    this.finished = true;
    return {
      manifest: parsed.data,
      payloadSha256: createHash('sha256').update(payload).digest('hex'),
      upload: {
        key: manifestObjectKey(this.options.prefix),
        contentLength: body.length,
        contentType: CONTAINER_CONTENT_TYPE,
        body,
      },
    };
  }
}

export interface WriteRecordInput extends RecordWriterOptions {
  objects: Array<NewObject & { data: Buffer }>;
  signer?: PatientSigner;
}

/** A whole in-memory record in one call: every upload, manifest last. */
export function writeRecord(
  input: WriteRecordInput,
): FinishedRecord & { uploads: Array<BufferUpload & { id?: string }> } {
  const writer = new RecordWriter(input);
  const uploads: Array<BufferUpload & { id?: string }> = input.objects.map((o) => writer.addBuffer(o));
  const finished = writer.finish(input.signer ? { signer: input.signer } : {});
  uploads.push(finished.upload);
  return { ...finished, uploads };
}
