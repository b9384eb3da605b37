import { createHash } from 'node:crypto';
import type * as fhir4 from 'fhir/r4';
import type { AdditionFormInput } from '../../../common/additions';
import type { AttachmentRef } from '../../../main/additions/attachments';
import type { AdditionAuthor } from '../../../main/additions/fhir';
import type { SigningCredential } from '../../../main/additions/service';
import { createChain, type TestChain } from '../../support/test-ca/certificates';
import type { KeySpec } from '../../support/test-ca/keys';

/** A clinician credential from the test CA: root -> intermediate -> clinician leaf. */
export function testClinician(
  key: KeySpec = 'p256',
  slot = 0,
): { chain: TestChain; credential: SigningCredential; author: AdditionAuthor; certificates: Buffer[] } {
  const chain = createChain({ levels: 3, key, slot });
  const credential: SigningCredential = {
    privateKey: () => chain.leaf.key.privateKey,
    certificate: chain.leaf.cert,
    chain: chain.intermediates.map((c) => c.cert),
  };
  return {
    chain,
    credential,
    author: {
      name: `Dr Test ${key} Clinician`,
      registration: 'GR-MED-12345',
      certFingerprint: chain.leaf.cert.fingerprint,
      roleText: 'physician',
    },
    certificates: [chain.leaf.der, ...chain.intermediates.map((c) => c.der)],
  };
}

export const PATIENT: fhir4.Reference = {
  reference: 'urn:uuid:11111111-2222-4333-8444-555555555555',
  display: 'Maria Papadopoulou',
};

export const STAGED_ID = '5a'.repeat(16);
export const EVERY_FORM: AdditionFormInput[] = [
  { kind: 'note', text: 'Found unconscious at home; GCS 9 on arrival, improving after glucose.' },
  {
    kind: 'vitals',
    heartRate: 112,
    systolic: 92,
    diastolic: 58,
    respiratoryRate: 22,
    oxygenSaturation: 94,
    bodyTemperature: 37.9,
    glasgowComaScore: 9,
    note: 'SpO2 on 4 L/min O2',
  },
  {
    kind: 'allergy',
    substance: {
      text: 'Penicillin',
      coding: { system: 'http://snomed.info/sct', code: '764146007', display: 'Penicillin' },
    },
    category: 'medication',
    criticality: 'high',
    reaction: 'Anaphylaxis',
    severity: 'severe',
  },
  {
    kind: 'condition',
    condition: { text: 'Hypoglycaemia', coding: { system: 'http://snomed.info/sct', code: '302866003' } },
    severity: 'severe',
  },
  {
    kind: 'medication',
    medication: { text: 'Glucose 50% IV' },
    dose: { value: 50, unit: 'mL' },
    route: { text: 'Intravenous' },
    reason: 'Hypoglycaemia',
  },
  { kind: 'procedure', procedure: { text: 'Peripheral IV cannulation' }, bodySite: 'Left forearm' },
  {
    kind: 'attachment',
    title: 'ECG strip',
    contentType: 'image/png',
    stagingId: STAGED_ID,
  },
];

/** The staged file EVERY_FORM's attachment names, and what buildAdditionBundle needs to refer to it. */
export const STAGED_BYTES = Buffer.from('\x89PNG\r\n\x1a\nfake image bytes');
export const STAGED_ATTACHMENTS: ReadonlyMap<string, AttachmentRef> = new Map([
  [
    STAGED_ID,
    {
      attachmentId: 'ab'.repeat(16),
      contentType: 'image/png',
      size: STAGED_BYTES.length,
      sha1: createHash('sha1').update(STAGED_BYTES).digest('base64'),
      sha256: createHash('sha256').update(STAGED_BYTES).digest('base64'),
      title: null,
    },
  ],
]);

/** Deterministic ids for snapshot-free but stable tests. */
export function counterIds(prefix = '00000000-0000-4000-8000-'): () => string {
  let n = 0;
  return () => `${prefix}${String(++n).padStart(12, '0')}`;
}
