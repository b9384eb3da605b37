import { parseCrl, type Crl } from '../../../main/pki/crl';
import { toPem } from '../../../main/pki/asn1';
import { bool, ctx, der, int, octet, oid, seq, time, type Node } from './der';
import { issuerNameOf, keyId, serialInt, type CustomExtension, type TestCertificate } from './certificates';
import { signStructure, signatureAlgorithm, type HashName } from './keys';
import { encodeName } from './names';

export interface RevokedSpec {
  serial: string;
  date?: Date;
  /** CRLReason code (1 keyCompromise, 6 certificateHold, ...). */
  reason?: number;
  extensions?: CustomExtension[];
}

export interface CrlOptions {
  /** The CA whose CRL this is (name and, unless `signer` is given, signing key). */
  issuer: TestCertificate;
  /** A separate CRL-signing certificate (same name, other key). */
  signer?: TestCertificate;
  /** Override the issuer name written in the CRL. */
  issuerName?: string;
  thisUpdate?: Date;
  /** null omits nextUpdate. */
  nextUpdate?: Date | null;
  revoked?: RevokedSpec[];
  crlNumber?: number;
  extensions?: CustomExtension[];
  /** issuingDistributionPoint: the distribution point (URI) this CRL is for, and scope flags. */
  scope?: { distributionPoint?: string; onlyUserCerts?: boolean; onlyCaCerts?: boolean };
  hash?: HashName;
  pss?: boolean;
  corruptSignature?: boolean;
}

export interface TestCrl {
  der: Buffer;
  pem: string;
  crl: Crl;
}

const DAY = 86_400_000;

function ext(id: string, critical: boolean, value: Node | Buffer): Node {
  return seq(oid(id), critical ? bool(true) : null, octet(Buffer.isBuffer(value) ? value : der(value)));
}

/** A v2 CRL: TBSCertList with forge.asn1, signed with Node crypto. */
export function issueCrl(o: CrlOptions): TestCrl {
  const signer = o.signer ?? o.issuer;
  const now = Date.now();
  const entries = (o.revoked ?? []).map((r) => {
    const exts: Node[] = [];
    if (r.reason !== undefined)
      exts.push(
        ext('2.5.29.21', false, {
          tagClass: 0,
          type: 10,
          constructed: false,
          composed: false,
          value: String.fromCharCode(r.reason),
        } as Node),
      );
    for (const e of r.extensions ?? []) exts.push(ext(e.oid, e.critical ?? false, e.value));
    return seq(serialInt(r.serial), time(r.date ?? new Date(now - DAY)), exts.length ? seq(...exts) : null);
  });
  const exts: Node[] = [
    ext('2.5.29.35', false, seq(ctx(0, Buffer.from(keyId(signer.key), 'hex').toString('binary')))),
    ext('2.5.29.20', false, int(o.crlNumber ?? 1)),
  ];
  if (o.scope)
    exts.push(
      ext(
        '2.5.29.28',
        true,
        seq(
          o.scope.distributionPoint ? ctx(0, [ctx(0, [ctx(6, o.scope.distributionPoint)])]) : null,
          o.scope.onlyUserCerts ? ctx(1, '\xff') : null,
          o.scope.onlyCaCerts ? ctx(2, '\xff') : null,
        ),
      ),
    );
  for (const e of o.extensions ?? []) exts.push(ext(e.oid, e.critical ?? false, e.value));
  const nextUpdate = o.nextUpdate === undefined ? new Date(now + 7 * DAY) : o.nextUpdate;
  const tbs = seq(
    int(1),
    signatureAlgorithm(signer.key, o),
    o.issuerName !== undefined ? encodeName(o.issuerName) : issuerNameOf(o.issuer),
    time(o.thisUpdate ?? new Date(now - 3_600_000)),
    nextUpdate ? time(nextUpdate) : null,
    entries.length ? seq(...entries) : null,
    ctx(0, [seq(...exts)]),
  );
  const crlDer = signStructure(tbs, signer.key, { hash: o.hash, pss: o.pss, corruptSignature: o.corruptSignature });
  return { der: crlDer, pem: toPem('X509 CRL', crlDer), crl: parseCrl(crlDer) };
}
