import forge from 'node-forge';

/**
 * Thin helpers over node-forge's ASN.1 module. node-forge is the parser for everything in
 * main/pki (certificates, CRLs, PKCS#12); these helpers turn its loosely typed nodes into
 * checked values and throw a typed error on anything unexpected.
 */
export type Asn1 = forge.asn1.Asn1;
export const { Class, Type } = forge.asn1;

export class Asn1Error extends Error {}

/** Parse one complete DER value (trailing bytes refused). */
export function parseDer(der: Uint8Array | string): Asn1 {
  const bytes =
    typeof der === 'string' ? der : Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('binary');
  try {
    // The typings only know the old boolean form of the options argument.
    const options = { strict: true, decodeBitStrings: false, parseAllBytes: true } as unknown as boolean;
    return forge.asn1.fromDer(bytes, options);
  } catch (e) {
    throw new Asn1Error(`DER: ${(e as Error).message}`);
  }
}

export function toDerBuffer(node: Asn1): Buffer {
  return Buffer.from(forge.asn1.toDer(node).getBytes(), 'binary');
}

export function isTag(node: Asn1 | undefined, tagClass: number, type: number): node is Asn1 {
  return !!node && node.tagClass === tagClass && node.type === type;
}

export function isUniversal(node: Asn1 | undefined, type: number): node is Asn1 {
  return isTag(node, Class.UNIVERSAL, type);
}

export function isContext(node: Asn1 | undefined, n: number): node is Asn1 {
  return isTag(node, Class.CONTEXT_SPECIFIC, n);
}

export function children(node: Asn1 | undefined, what = 'value'): Asn1[] {
  if (!node || !Array.isArray(node.value)) throw new Asn1Error(`${what}: expected a constructed value`);
  return node.value;
}

export function sequence(node: Asn1 | undefined, what = 'value'): Asn1[] {
  if (!isUniversal(node, Type.SEQUENCE) || !node.constructed) throw new Asn1Error(`${what}: expected SEQUENCE`);
  return children(node, what);
}

export function setOf(node: Asn1 | undefined, what = 'value'): Asn1[] {
  if (!isUniversal(node, Type.SET) || !node.constructed) throw new Asn1Error(`${what}: expected SET`);
  return children(node, what);
}

export function primitiveBytes(node: Asn1 | undefined, what = 'value'): string {
  if (!node || typeof node.value !== 'string') throw new Asn1Error(`${what}: expected a primitive value`);
  return node.value;
}

export function oid(node: Asn1 | undefined, what = 'OID'): string {
  if (!isUniversal(node, Type.OID)) throw new Asn1Error(`${what}: expected OBJECT IDENTIFIER`);
  return forge.asn1.derToOid(primitiveBytes(node, what));
}

export function octets(node: Asn1 | undefined, what = 'OCTET STRING'): Buffer {
  if (!isUniversal(node, Type.OCTETSTRING)) throw new Asn1Error(`${what}: expected OCTET STRING`);
  return Buffer.from(primitiveBytes(node, what), 'binary');
}

/** Contents of an OCTET STRING that may be BER-chunked (PKCS#7 / PKCS#12 data). */
export function berOctets(node: Asn1 | undefined, what = 'OCTET STRING'): Buffer {
  if (
    !node ||
    !(node.tagClass === Class.CONTEXT_SPECIFIC || (node.tagClass === Class.UNIVERSAL && node.type === Type.OCTETSTRING))
  ) {
    throw new Asn1Error(`${what}: expected OCTET STRING`);
  }
  if (typeof node.value === 'string') return Buffer.from(node.value, 'binary');
  return Buffer.concat(node.value.map((c) => berOctets(c, what)));
}

/** BIT STRING contents without the unused-bits octet, plus that count. */
export function bitString(node: Asn1 | undefined, what = 'BIT STRING'): { bytes: Buffer; unusedBits: number } {
  if (!isUniversal(node, Type.BITSTRING)) throw new Asn1Error(`${what}: expected BIT STRING`);
  const raw = Buffer.from(primitiveBytes(node, what), 'binary');
  if (raw.length < 1 || raw[0]! > 7) throw new Asn1Error(`${what}: bad unused-bits octet`);
  return { bytes: raw.subarray(1), unusedBits: raw[0]! };
}

export function boolean(node: Asn1 | undefined, what = 'BOOLEAN'): boolean {
  if (!isUniversal(node, Type.BOOLEAN)) throw new Asn1Error(`${what}: expected BOOLEAN`);
  const b = primitiveBytes(node, what);
  if (b.length !== 1) throw new Asn1Error(`${what}: bad BOOLEAN`);
  return b !== '\x00';
}

/** INTEGER as raw two's-complement bytes (serial numbers may be long or negative). */
export function integerBytes(node: Asn1 | undefined, what = 'INTEGER'): Buffer {
  if (!isUniversal(node, Type.INTEGER)) throw new Asn1Error(`${what}: expected INTEGER`);
  const b = Buffer.from(primitiveBytes(node, what), 'binary');
  if (b.length === 0) throw new Asn1Error(`${what}: empty INTEGER`);
  return b;
}

/** Small non-negative INTEGER (versions, path lengths, counters). */
export function smallInteger(node: Asn1 | undefined, what = 'INTEGER'): number {
  const b = integerBytes(node, what);
  if (b[0]! & 0x80) throw new Asn1Error(`${what}: negative`);
  if (b.length > 6) throw new Asn1Error(`${what}: too large`);
  return b.reduce((n, x) => n * 256 + x, 0);
}

/** Canonical hex of an INTEGER's value: redundant sign octets removed, lowercase. */
export function integerHex(bytes: Buffer): string {
  let i = 0;
  while (
    i < bytes.length - 1 &&
    ((bytes[i] === 0x00 && !(bytes[i + 1]! & 0x80)) || (bytes[i] === 0xff && bytes[i + 1]! & 0x80))
  )
    i++;
  return bytes.subarray(i).toString('hex');
}

export function time(node: Asn1 | undefined, what = 'Time'): Date {
  const s = primitiveBytes(node, what);
  let d: Date;
  if (isUniversal(node, Type.UTCTIME)) {
    if (!/^\d{12}Z$/.test(s)) throw new Asn1Error(`${what}: UTCTime must be YYMMDDHHMMSSZ`);
    d = forge.asn1.utcTimeToDate(s);
  } else if (isUniversal(node, Type.GENERALIZEDTIME)) {
    if (!/^\d{14}(\.\d+)?Z$/.test(s)) throw new Asn1Error(`${what}: GeneralizedTime must be YYYYMMDDHHMMSSZ`);
    d = forge.asn1.generalizedTimeToDate(s);
  } else throw new Asn1Error(`${what}: expected UTCTime or GeneralizedTime`);
  if (Number.isNaN(d.getTime())) throw new Asn1Error(`${what}: invalid date`);
  return d;
}

const STRING_TYPES = new Set<number>([
  Type.UTF8,
  Type.PRINTABLESTRING,
  Type.IA5STRING,
  20 /* T61String */,
  Type.BMPSTRING,
  28 /* UniversalString */,
  26 /* VisibleString */,
  27 /* GeneralString */,
  18 /* NumericString */,
]);

export function isStringNode(node: Asn1 | undefined): boolean {
  return !!node && node.tagClass === Class.UNIVERSAL && STRING_TYPES.has(node.type) && typeof node.value === 'string';
}

/** A directory string as text (UTF-8, BMP and Universal strings decoded). */
export function stringValue(node: Asn1 | undefined, what = 'string'): string {
  if (!isStringNode(node)) throw new Asn1Error(`${what}: expected a string`);
  const raw = Buffer.from(node!.value as string, 'binary');
  switch (node!.type as number) {
    case Type.UTF8:
      return raw.toString('utf8');
    case Type.BMPSTRING: {
      let out = '';
      for (let i = 0; i + 1 < raw.length; i += 2) out += String.fromCharCode(raw.readUInt16BE(i));
      return out;
    }
    case 28: {
      let out = '';
      for (let i = 0; i + 3 < raw.length; i += 4) out += String.fromCodePoint(raw.readUInt32BE(i));
      return out;
    }
    default:
      return raw.toString('latin1');
  }
}

/** Raw DER TLV boundaries, used where the exact signed bytes matter (TBSCertificate, TBSCertList). */
export interface Tlv {
  start: number;
  contentStart: number;
  end: number;
}

export function readTlv(buf: Buffer, offset: number): Tlv {
  if (offset + 2 > buf.length) throw new Asn1Error('DER: truncated');
  let p = offset + 1;
  if ((buf[offset]! & 0x1f) === 0x1f) throw new Asn1Error('DER: high tag numbers not expected here');
  const first = buf[p++]!;
  let len: number;
  if (first < 0x80) len = first;
  else {
    const n = first & 0x7f;
    if (n === 0 || n > 4) throw new Asn1Error('DER: unsupported length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[p++]!;
  }
  if (p + len > buf.length) throw new Asn1Error('DER: truncated');
  return { start: offset, contentStart: p, end: p + len };
}

/** The DER children of a SEQUENCE, as byte ranges of `buf`. */
export function rawChildren(buf: Buffer, outer: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let p = outer.contentStart;
  while (p < outer.end) {
    const t = readTlv(buf, p);
    out.push(t);
    p = t.end;
  }
  if (p !== outer.end) throw new Asn1Error('DER: bad nesting');
  return out;
}

/** PEM blocks of the given labels (all labels when omitted), in file order. */
export function pemBlocks(text: string, labels?: readonly string[]): { label: string; der: Buffer; headers: string }[] {
  const re = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g;
  const out: { label: string; der: Buffer; headers: string }[] = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const label = m[1]!;
    if (labels && !labels.includes(label)) continue;
    const body = m[2]!;
    const headerEnd = body.search(/\r?\n\r?\n/);
    const hasHeaders = /^[A-Za-z-]+:/.test(body);
    const headers = hasHeaders && headerEnd >= 0 ? body.slice(0, headerEnd) : '';
    const b64 = (hasHeaders && headerEnd >= 0 ? body.slice(headerEnd) : body).replace(/\s+/g, '');
    out.push({ label, der: Buffer.from(b64, 'base64'), headers });
  }
  return out;
}

export function toPem(label: string, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}
