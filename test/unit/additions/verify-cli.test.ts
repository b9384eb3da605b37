import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as fhir4 from 'fhir/r4';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../main/audit/canonical';
import { buildAdditionBundle } from '../../../main/additions/fhir';
import { pendingObjectKey, sealAddition } from '../../../main/additions/pending';
import { signAddition, type SignedAddition } from '../../../main/additions/signed';
import { runCli } from '../../../main/cli/index';
import { generateMasterKey } from '../../../main/crypto/keys';
import { createChain, issueCertificate } from '../../support/test-ca/certificates';
import { EVERY_FORM, PATIENT, testClinician, STAGED_ATTACHMENTS } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'hcp-verify-addition-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const clinician = testClinician('p256', 3);
const trust = join(dir, 'trust.pem');
writeFileSync(trust, clinician.chain.root.pem);
const recorded = new Date(Date.now() - 60_000);
const signed = signAddition(
  buildAdditionBundle(EVERY_FORM, {
    attachments: STAGED_ATTACHMENTS,
    patient: PATIENT,
    author: clinician.author,
    workstation: { id: 'ws-1' },
    recorded,
  }),
  {
    privateKey: clinician.chain.leaf.key.privateKey,
    certificates: clinician.certificates,
  },
);

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(['verify-addition', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

let n = 0;
function file(content: string | Buffer, name = `f${++n}.json`): string {
  const f = join(dir, name);
  writeFileSync(f, content);
  return f;
}

/** The bundle parsed, changed by `edit`, written canonical again (so only the intended change differs). */
function edited(edit: (b: fhir4.Bundle, prov: fhir4.Provenance) => void, from: SignedAddition = signed): string {
  const b = JSON.parse(from.bytes.toString()) as fhir4.Bundle;
  edit(b, b.entry!.at(-1)!.resource as fhir4.Provenance);
  return canonicalJson(b);
}

const jwsOf = (prov: fhir4.Provenance) => Buffer.from(prov.signature![0]!.data!, 'base64').toString('ascii');
const setJws = (prov: fhir4.Provenance, jws: string) =>
  (prov.signature![0]!.data = Buffer.from(jws, 'ascii').toString('base64'));

describe('verify-addition CLI', () => {
  it('a good addition: exit 0 with the signer, the chain and the resources', async () => {
    const r = await cli(
      '--file',
      file(signed.bytes, `${signed.additionId}.json`),
      '--trust',
      trust,
      '--id',
      signed.additionId,
      '--revocation',
      'off',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain(`OK: addition ${signed.additionId}`);
    expect(r.out).toMatch(/signed +ES256 by Dr Test p256 Clinician \(GR-MED-12345\)/);
    expect(r.out).toMatch(
      /chain +CN=Dr Test p256 Clinician.* -> CN=Test p256 Intermediate CA 1.* -> CN=Test p256 Root CA/,
    );
    const json = JSON.parse(
      (await cli('--file', file(signed.bytes), '--trust', trust, '--json', '--revocation', 'off')).out,
    ) as { valid: boolean; checks: object };
    expect(json).toMatchObject({
      valid: true,
      checks: { integrity: true, structure: true, signature: true, chain: true },
    });
  });

  it.each([
    ['p384', 'ES384'],
    ['p521', 'ES512'],
    ['ed25519', 'EdDSA'],
    ['rsa2048', 'PS256'],
    ['rsa-pss2048-sha384', 'PS384'],
    ['rsa-pss2048-sha512', 'PS512'],
  ] as const)('accepts an addition signed by a %s clinician (%s)', async (key, alg) => {
    const chain = createChain({ levels: 3, key: 'p256', slot: 6, prefix: `CLI ${key}`, leaf: { key: [key, 66] } });
    const anchor = file(chain.root.pem, `trust-${key}.pem`);
    const author = {
      name: `Dr CLI ${key}`,
      registration: 'GR-MED-12345',
      certFingerprint: chain.leaf.cert.fingerprint,
    };
    const s = signAddition(
      buildAdditionBundle(EVERY_FORM, {
        attachments: STAGED_ATTACHMENTS,
        patient: PATIENT,
        author,
        workstation: { id: 'ws-1' },
        recorded,
      }),
      {
        privateKey: chain.leaf.key.privateKey,
        certificates: [chain.leaf.der, ...chain.intermediates.map((c) => c.der)],
      },
    );
    const r = await cli('--file', file(s.bytes), '--trust', anchor, '--id', s.additionId, '--revocation', 'off');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`signed +${alg} by Dr CLI ${key}`));
    const otherAnchor = await cli('--file', file(s.bytes), '--trust', trust, '--revocation', 'off');
    expect(otherAnchor.code).toBe(1);
  });

  it('without CRLs revocation is a warning by default, not a failure', async () => {
    const r = await cli('--file', file(signed.bytes), '--trust', trust);
    expect(r.code).toBe(0);
    expect(r.out).toContain('warning    PKI_REVOCATION_UNKNOWN');
  });

  it('tampered payload: a changed value fails the id (integrity) or, without an id, the signature', async () => {
    const changed = edited((b) => {
      const allergy = b.entry!.find((e) => e.resource!.resourceType === 'AllergyIntolerance')!
        .resource as fhir4.AllergyIntolerance;
      allergy.criticality = 'low';
    });
    const withId = await cli(
      '--file',
      file(changed),
      '--trust',
      trust,
      '--id',
      signed.additionId,
      '--revocation',
      'off',
    );
    expect(withId.code).toBe(1);
    expect(withId.out).toMatch(/INVALID: integrity check failed: OBJECT_INTEGRITY_FAILED/);
    const noId = await cli('--file', file(changed), '--trust', trust, '--revocation', 'off');
    expect(noId.code).toBe(1);
    expect(noId.out).toMatch(/INVALID: signature check failed: ADDITION_SIGNATURE_INVALID/);
    // Re-serialised with spaces: not canonical, refused before anything else.
    const spaced = await cli(
      '--file',
      file(JSON.stringify(JSON.parse(signed.bytes.toString()), null, 1)),
      '--trust',
      trust,
      '--revocation',
      'off',
    );
    expect(spaced.out).toMatch(/integrity check failed: OBJECT_INTEGRITY_FAILED/);
  });

  it('tampered structure: a resource removed from the Provenance targets is refused', async () => {
    const r = await cli(
      '--file',
      file(edited((_b, prov) => prov.target.pop())),
      '--trust',
      trust,
      '--revocation',
      'off',
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/structure check failed: ADDITION_INVALID/);
  });

  it('tampered header: a changed signing time or algorithm breaks the signature', async () => {
    for (const change of [
      (h: Record<string, unknown>) => ({ ...h, sigT: '2020-01-01T00:00:00Z' }),
      (h: Record<string, unknown>) => ({ ...h, alg: 'PS256' }),
    ]) {
      const text = edited((_b, prov) => {
        const [h, , s] = jwsOf(prov).split('.');
        const header = change(JSON.parse(Buffer.from(h!, 'base64url').toString()) as Record<string, unknown>);
        setJws(prov, `${Buffer.from(JSON.stringify(header)).toString('base64url')}..${s}`);
      });
      const r = await cli('--file', file(text), '--trust', trust, '--revocation', 'off');
      expect(r.code).toBe(1);
      expect(r.out).toMatch(/signature check failed: ADDITION_SIGNATURE_INVALID/);
    }
  });

  it('tampered signature: one flipped bit is refused', async () => {
    const text = edited((_b, prov) => {
      const [h, , s] = jwsOf(prov).split('.');
      const sig = Buffer.from(s!, 'base64url');
      sig[10]! ^= 0x01;
      setJws(prov, `${h}..${sig.toString('base64url')}`);
    });
    const r = await cli('--file', file(text), '--trust', trust, '--revocation', 'off');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/signature check failed: ADDITION_SIGNATURE_INVALID/);
  });

  it('tampered chain: re-signed by a look-alike certificate from an untrusted CA — signature fine, chain refused', async () => {
    const rogue = createChain({ levels: 2, key: 'p256', slot: 7, prefix: 'Test p256' }); // same names, other keys
    const impostor = issueCertificate({ subject: clinician.chain.leaf.subject, issuer: rogue.root, key: ['p256', 79] });
    const forged = signAddition(
      buildAdditionBundle(EVERY_FORM, {
        attachments: STAGED_ATTACHMENTS,
        patient: PATIENT,
        author: { ...clinician.author, certFingerprint: impostor.cert.fingerprint },
        workstation: { id: 'ws-1' },
        recorded,
      }),
      { privateKey: impostor.key.privateKey, certificates: [impostor.der, clinician.chain.intermediates[0]!.der] },
    );
    const r = await cli('--file', file(forged.bytes), '--trust', trust, '--revocation', 'off');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/chain check failed: PKI_/);
    expect(r.out).toContain('checks     integrity ok, structure ok, signature ok, chain --');

    // Swapping only the x5c of the genuine signature changes the signed header: the signature fails.
    const swapped = edited((_b, prov) => {
      const [h, , s] = jwsOf(prov).split('.');
      const header = JSON.parse(Buffer.from(h!, 'base64url').toString()) as { x5c: string[] };
      header.x5c = [impostor.der.toString('base64')];
      setJws(prov, `${Buffer.from(JSON.stringify(header)).toString('base64url')}..${s}`);
    });
    expect((await cli('--file', file(swapped), '--trust', trust, '--revocation', 'off')).out).toMatch(
      /signature check failed/,
    );
  });

  it('a detached JWS over another payload (signature moved from another addition) is refused', async () => {
    const other = signAddition(
      buildAdditionBundle([{ kind: 'note', text: 'other' }], {
        patient: PATIENT,
        author: clinician.author,
        workstation: { id: 'ws-1' },
        recorded,
      }),
      {
        privateKey: clinician.chain.leaf.key.privateKey,
        certificates: clinician.certificates,
      },
    );
    const otherJws = jwsOf(JSON.parse(other.bytes.toString()).entry.at(-1).resource as fhir4.Provenance);
    const r = await cli(
      '--file',
      file(edited((_b, prov) => setJws(prov, otherJws))),
      '--trust',
      trust,
      '--revocation',
      'off',
    );
    expect(r.out).toMatch(/signature check failed: ADDITION_SIGNATURE_INVALID/);
  });

  describe('the encrypted pending object', () => {
    const masterKey = generateMasterKey();
    const citizen = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const container = sealAddition(signed, { masterKey, citizenId: citizen });
    const name = pendingObjectKey(citizen, signed.additionId).split('/')[1]!;
    const keyFile = file(masterKey.toString('hex'), 'master.key');

    it('decrypts with the master key and verifies (id from the file name)', async () => {
      const r = await cli(
        '--file',
        file(container, name),
        '--trust',
        trust,
        '--citizen',
        citizen,
        '--key-file',
        keyFile,
        '--revocation',
        'off',
      );
      expect(r.code).toBe(0);
      expect(r.out).toContain(`OK: addition ${signed.additionId}`);
      expect(
        (
          await cli(
            '--file',
            join(dir, name),
            '--trust',
            trust,
            '--citizen',
            citizen,
            '--master-key-hex',
            masterKey.toString('hex'),
            '--revocation',
            'off',
          )
        ).code,
      ).toBe(0);
    });

    it('a flipped byte, another citizen, another id, another key: refused', async () => {
      const flipped = Buffer.from(container);
      flipped[flipped.length - 40]! ^= 0x80;
      const cases = [
        ['--file', file(flipped, `x-${name}`), '--id', signed.additionId, '--citizen', citizen, '--key-file', keyFile],
        ['--file', join(dir, name), '--citizen', 'ZZZZZZZZZZZZZZZZZZZZZZZZZZ', '--key-file', keyFile],
        ['--file', join(dir, name), '--id', 'f'.repeat(64), '--citizen', citizen, '--key-file', keyFile],
        ['--file', join(dir, name), '--citizen', citizen, '--master-key-hex', generateMasterKey().toString('hex')],
      ];
      for (const args of cases) {
        const r = await cli(...args, '--trust', trust, '--revocation', 'off');
        expect(r.code).toBe(1);
        expect(r.out).toMatch(/INVALID: integrity check failed: CONTAINER_AUTH_FAILED/);
      }
    });

    it('usage errors exit 2', async () => {
      expect((await cli('--file', join(dir, name), '--trust', trust)).code).toBe(2);
      expect((await cli('--file', join(dir, 'missing.json'), '--trust', trust)).code).toBe(2);
      expect((await cli('--file', join(dir, name))).code).toBe(2);
      expect(
        (await cli('--file', join(dir, name), '--trust', trust, '--citizen', citizen, '--master-key-hex', 'abcd')).code,
      ).toBe(2);
    });
  });
});
