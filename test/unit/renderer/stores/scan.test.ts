import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SCAN_TEXT_MAX, type ScanPreview } from '../../../../common/ipc/channels/emergency';
import { useScanStore } from '../../../../renderer/src/stores/scan';
import { deferred, installFakeHcp, type FakeHcp } from '../fake-hcp';
import { preview } from '../fixtures';
import type { IpcResult } from '../../../../common/ipc/result';

const CODE = 'HCP1ABCDEFGHJKMNPQRSTVWXYZ0123456789';
const PATIENT = { name: 'Maria Ioannou', birthDate: '1990-02-01', sex: 'female' };

describe('scan store', () => {
  let hcp: FakeHcp;
  beforeEach(() => {
    ({ hcp } = installFakeHcp());
  });
  afterEach(() => {
    expect(hcp.violations).toEqual([]);
    vi.unstubAllGlobals();
  });

  it('sends the trimmed text, is busy while main parses it, and keeps the preview', async () => {
    const pending = deferred<IpcResult<ScanPreview>>();
    hcp.respond('emergency.scan', () => pending.promise);
    const scan = useScanStore();
    const submitting = scan.submit(`  ${CODE}\n`, 'wedge');
    expect(scan.busy).toBe(true);
    expect(hcp.requests('emergency.scan')).toEqual([{ text: CODE, source: 'wedge' }]);
    pending.resolve({ ok: true, value: preview() });
    await submitting;
    expect(scan.busy).toBe(false);
    expect(scan.preview?.scanId).toBe('scan-1');
    expect(scan.error).toBeNull();
    expect(scan.recent).toMatchObject([{ source: 'wedge', patientRef: 'K7Q2-M9XD', error: null }]);
  });

  it("main's refusal is shown with its code and kept in the recent scans", async () => {
    hcp.fail('emergency.scan', { code: 'QR_CHECKSUM_MISMATCH' });
    const scan = useScanStore();
    await scan.submit(CODE, 'manual');
    expect(scan.preview).toBeNull();
    expect(scan.error).toEqual({ code: 'QR_CHECKSUM_MISMATCH' });
    expect(scan.busy).toBe(false);
    expect(scan.recent[0]).toMatchObject({
      source: 'manual',
      patientRef: null,
      error: { code: 'QR_CHECKSUM_MISMATCH' },
    });
  });

  it('empty or over-long text is refused here, typed, without asking main', async () => {
    const scan = useScanStore();
    await scan.submit('   ', 'paste');
    expect(scan.error).toEqual({ code: 'QR_NOT_THIS_FORMAT' });
    await scan.submit('X'.repeat(SCAN_TEXT_MAX + 1), 'paste');
    expect(scan.error).toEqual({ code: 'QR_NOT_THIS_FORMAT' });
    expect(hcp.calls).toEqual([]);
  });

  it('keeps the last ten scans, newest first', async () => {
    hcp.answer('emergency.scan', (r) => preview({ scanId: r.text.slice(-2) }));
    const scan = useScanStore();
    for (let i = 10; i < 22; i++) await scan.submit(`${CODE}${i}`, 'wedge');
    expect(scan.recent).toHaveLength(10);
    expect(scan.recent.map((r) => r.id)).toEqual([12, 11, 10, 9, 8, 7, 6, 5, 4, 3]);
    expect(scan.preview?.scanId).toBe('21');
  });

  it('a serial scan (parsed in main) is taken as it is; a missing refusal code becomes INTERNAL_ERROR', () => {
    const scan = useScanStore();
    scan.accept({ preview: preview(), error: null }, 'serial');
    expect(scan.preview?.scanId).toBe('scan-1');
    scan.accept({ preview: null, error: null }, 'serial');
    expect(scan.error).toEqual({ code: 'INTERNAL_ERROR' });
    expect(scan.recent.map((r) => r.source)).toEqual(['serial', 'serial']);
  });

  it('an opened record names the patient on its scans; reset forgets everything', async () => {
    hcp.answer('emergency.scan', preview());
    const scan = useScanStore();
    await scan.submit(CODE, 'wedge');
    scan.opened('K7Q2-M9XD', PATIENT);
    expect(scan.recent[0]!.patient).toEqual(PATIENT);
    expect(scan.preview).toMatchObject({ cached: true, patient: PATIENT });
    scan.reset();
    expect(scan.preview).toBeNull();
    expect(scan.error).toBeNull();
    expect(scan.recent).toEqual([]);
  });
});
