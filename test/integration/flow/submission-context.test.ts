/**
 * What an addition needs comes from the open (issue 17): the IPS's reference to its Patient is kept
 * from the view build in the worker, so `submissionContext` reads nothing from the cache and parses
 * no IPS on the main thread. From the cloud, from the cache (the reference stored with the record)
 * and from a copy cached before the reference was kept (rebuilt in the worker at the open).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HospitalConfig } from '../../../common/config/schema';
import { patientReferenceOf } from '../../../main/additions/index';
import { parseIpsBundle } from '../../../main/fhir/index';
import { createFlowFixture, reencodeQr, scanAndOpen, signInDemoClinician, type FlowFixture } from '../../support/flow';
import { closedPort } from './stand-ins';

let fx: FlowFixture;

beforeAll(async () => {
  fx = await createFlowFixture({ sandbox: inject('sandbox'), samples: ['IPS_IG-bundle-01.json'], documents: false });
});
afterAll(async () => fx?.close());

describe('the submission context of an open record', () => {
  it('carries the patient reference kept from the open, from the cloud and from the cache, without reading the cache', async () => {
    const p = fx.patients[0]!;
    const expected = patientReferenceOf(parseIpsBundle(readFileSync(p.sample)));
    expect(expected.reference).toBeTruthy();
    const dataDir = `${fx.dir}/submission-data`;

    const online = fx.workstation({ dataDir });
    await signInDemoClinician(online, fx.pki);
    const { record } = await scanAndOpen(online, p.qrText);
    expect(record.source).toBe('cloud');
    expect(online.emergency.submissionContext(record.recordId)).toMatchObject({
      patient: expected,
      patientRef: record.patientRef,
    });
    // Nothing of the context is read from the cache: with the cached copy gone it is the same.
    const cached = online.cache.get(record.recordId)!;
    expect(cached.patient).toEqual(expected);
    online.cache.purgeAll('manual');
    expect(online.cache.get(record.recordId)).toBeNull();
    expect(online.emergency.submissionContext(record.recordId).patient).toEqual(expected);
    // Put the copy back as an earlier version of the workstation stored it: no patient reference.
    const { patient: _kept, ...withoutReference } = cached;
    online.cache.put({ ...withoutReference, manifestVersion: cached.manifestVersion });
    expect(online.cache.get(record.recordId)!.patient).toBeUndefined();
    await online.close();

    // The HRI down: the cache is all there is; the reference is rebuilt in the worker with the view.
    const hriDown = `http://127.0.0.1:${await closedPort()}`;
    const offlineConfig = (c: HospitalConfig) => Object.assign(c.hri, { url: hriDown, retries: 0 });
    const offline = fx.workstation({ dataDir, config: offlineConfig });
    await signInDemoClinician(offline, fx.pki);
    const fromOldCopy = (await scanAndOpen(offline, reencodeQr(p, { cloudHint: null }))).record;
    expect(fromOldCopy).toMatchObject({ source: 'cache', offlineReason: 'HRI_UNAVAILABLE' });
    expect(fromOldCopy.view).toEqual(record.view);
    expect(offline.emergency.submissionContext(fromOldCopy.recordId).patient).toEqual(expected);
    await offline.close();

    // A copy stored with its reference (a fresh cloud open) opens offline with it, no rebuild needed.
    const again = fx.workstation({ dataDir });
    await signInDemoClinician(again, fx.pki);
    await scanAndOpen(again, p.qrText);
    await again.close();
    const offline2 = fx.workstation({ dataDir, config: offlineConfig });
    await signInDemoClinician(offline2, fx.pki);
    const fromCache = (await scanAndOpen(offline2, reencodeQr(p, { cloudHint: null }))).record;
    expect(fromCache.source).toBe('cache');
    expect(offline2.cache.get(fromCache.recordId)!.patient).toEqual(expected);
    expect(offline2.emergency.submissionContext(fromCache.recordId).patient).toEqual(expected);
    await offline2.close();
  });
});
