import { parseDer, isStringNode, stringValue, sequence } from './asn1';
import type { Certificate } from './certificate';
import { ATTR, attributeValue } from './names';

export type ClinicianRole = 'physician' | 'nurse' | 'paramedic' | 'pharmacist' | 'midwife' | 'other';

/** Who the certificate says the clinician is: shown in the app frame, written to the audit. */
export interface ClinicianIdentity {
  name: string;
  registrationNumber: string | null;
  role: ClinicianRole;
  /** The role as written in the certificate (title, OU or role extension), or null. */
  roleText: string | null;
  subject: string;
  issuer: string;
  serial: string;
  fingerprint: string;
  notAfter: Date;
  daysToExpiry: number;
}

export interface IdentityOptions {
  /** Extension carrying the professional role (a string, or a SEQUENCE whose first string is used). */
  roleExtensionOid?: string | null;
  /** Subject attribute or extension carrying the registration number (default: subject serialNumber). */
  registrationOid?: string | null;
  now?: Date;
}

const ROLE_WORDS: [ClinicianRole, RegExp][] = [
  ['physician', /physician|doctor|\bmd\b|medical doctor|surgeon|anaesthetist|anesthesiologist|ιατρ|γιατρ/i],
  ['nurse', /nurse|nursing|νοσηλευτ/i],
  ['paramedic', /paramedic|\bemt\b|ambulance|rescuer|διασωστ/i],
  ['pharmacist', /pharmacist|φαρμακοποι/i],
  ['midwife', /midwife|μαια|μαιευτ/i],
];

export function classifyRole(text: string | null): ClinicianRole {
  if (!text) return 'other';
  // Greek titles come with accents (Νοσηλεύτρια): compare without diacritics
  const plain = text.normalize('NFD').replace(/\p{M}/gu, '');
  for (const [role, re] of ROLE_WORDS) if (re.test(plain)) return role;
  return 'other';
}

function extensionString(cert: Certificate, id: string): string | null {
  const ext = cert.extensions.get(id);
  if (!ext) return null;
  try {
    const node = parseDer(ext.value);
    if (isStringNode(node)) return stringValue(node);
    const first = sequence(node).find((n) => isStringNode(n));
    return first ? stringValue(first) : null;
  } catch {
    return null;
  }
}

const DAY = 86_400_000;

export function clinicianIdentity(cert: Certificate, o: IdentityOptions = {}): ClinicianIdentity {
  const s = cert.subject;
  const given = attributeValue(s, ATTR.givenName);
  const surname = attributeValue(s, ATTR.surname);
  const name = attributeValue(s, ATTR.commonName) ?? ([given, surname].filter(Boolean).join(' ') || s.text);
  const regOid = o.registrationOid ?? ATTR.serialNumber;
  const registrationNumber = attributeValue(s, regOid) ?? extensionString(cert, regOid);
  const roleText =
    (o.roleExtensionOid ? extensionString(cert, o.roleExtensionOid) : null) ??
    attributeValue(s, ATTR.title) ??
    attributeValue(s, ATTR.organizationalUnit);
  const now = o.now ?? new Date();
  return {
    name,
    registrationNumber,
    role: classifyRole(roleText),
    roleText,
    subject: s.text,
    issuer: cert.issuer.text,
    serial: cert.serial,
    fingerprint: cert.fingerprint,
    notAfter: cert.notAfter,
    daysToExpiry: Math.floor((cert.notAfter.getTime() - now.getTime()) / DAY),
  };
}
