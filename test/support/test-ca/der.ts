import forge from 'node-forge';

/** Small DER builders over node-forge's ASN.1 module (the factory builds every structure with them). */
const { asn1 } = forge;
export type Node = forge.asn1.Asn1;
const U = asn1.Class.UNIVERSAL;
const C = asn1.Class.CONTEXT_SPECIFIC;
const T = asn1.Type;

export const bin = (b: Uint8Array): string => Buffer.from(b).toString('binary');
export const der = (n: Node): Buffer => Buffer.from(asn1.toDer(n).getBytes(), 'binary');
export const fromDer = (b: Uint8Array): Node => asn1.fromDer(bin(b));

export const seq = (...items: (Node | null | undefined)[]): Node =>
  asn1.create(
    U,
    T.SEQUENCE,
    true,
    items.filter((x): x is Node => !!x),
  );
export const set = (...items: Node[]): Node => asn1.create(U, T.SET, true, items);
export const oid = (o: string): Node => asn1.create(U, T.OID, false, asn1.oidToDer(o).getBytes());
export const nul = (): Node => asn1.create(U, T.NULL, false, '');
export const bool = (v: boolean): Node => asn1.create(U, T.BOOLEAN, false, v ? '\xff' : '\x00');
export const octet = (b: Uint8Array | string): Node =>
  asn1.create(U, T.OCTETSTRING, false, typeof b === 'string' ? b : bin(b));
export const utf8 = (s: string): Node => asn1.create(U, T.UTF8, false, Buffer.from(s, 'utf8').toString('binary'));
export const printable = (s: string): Node => asn1.create(U, T.PRINTABLESTRING, false, s);
export const ia5 = (s: string): Node => asn1.create(U, T.IA5STRING, false, s);
export const bmp = (s: string): Node => {
  let out = '';
  for (const ch of s) out += String.fromCharCode(ch.charCodeAt(0) >> 8, ch.charCodeAt(0) & 0xff);
  return asn1.create(U, T.BMPSTRING, false, out);
};
/** BIT STRING from bytes, with a given count of unused bits in the last byte. */
export const bits = (b: Uint8Array, unused = 0): Node =>
  asn1.create(U, T.BITSTRING, false, String.fromCharCode(unused) + bin(b));
/** Context-specific tag: constructed (EXPLICIT or IMPLICIT SEQUENCE) or primitive (IMPLICIT scalar). */
export const ctx = (n: number, value: Node[] | string): Node => asn1.create(C, n, Array.isArray(value), value);

export function int(v: number | bigint | Uint8Array): Node {
  if (v instanceof Uint8Array) return asn1.create(U, T.INTEGER, false, bin(v));
  const big = BigInt(v);
  if (big < 0n) throw new Error('negative integers: pass two-complement bytes');
  let hex = big.toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  return asn1.create(U, T.INTEGER, false, Buffer.from(hex, 'hex').toString('binary'));
}

/** UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
export function time(d: Date): Node {
  const y = d.getUTCFullYear();
  if (y >= 1950 && y < 2050) return asn1.create(U, T.UTCTIME, false, asn1.dateToUtcTime(d));
  return asn1.create(U, T.GENERALIZEDTIME, false, asn1.dateToGeneralizedTime(d));
}
