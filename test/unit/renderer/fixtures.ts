import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { emergencyViewOf } from '../../../main/fhir/index';
import type { OutboxCounts, OutboxItem } from '../../../common/additions';
import type { AppInfo } from '../../../common/ipc/channels/app';
import type { OpenRecord, ScanPreview } from '../../../common/ipc/channels/emergency';
import type { SessionStatus } from '../../../common/ipc/channels/session';
import type { Settings } from '../../../common/ipc/channels/settings';

/**
 * Contract values for the store tests (FakeHcp checks every answer against the schemas). The
 * emergency view is built by the real main/fhir code from a real IPS sample.
 */
const SAMPLE = resolve(process.cwd(), '../shared/testdata/ips-samples/IPS_IG-bundle-01.json');
const VIEW = emergencyViewOf(readFileSync(SAMPLE));

export const NOW = new Date('2026-12-01T10:00:00.000Z');

export function openRecord(overrides: Partial<OpenRecord> = {}): OpenRecord {
  return {
    recordId: 'rec-1',
    patientRef: 'K7Q2-M9XD',
    source: 'cloud',
    fetchedAt: NOW.toISOString(),
    offlineReason: null,
    integrity: { verified: true, manifestSigned: true, manifestVersion: 3 },
    accessExpiresAt: new Date(NOW.getTime() + 60 * 60_000).toISOString(),
    view: VIEW,
    attachments: [
      { id: 'att-1', title: 'ECG', contentType: 'image/png', size: 4, created: null, state: 'not-downloaded' },
    ],
    ...overrides,
  };
}

export function preview(overrides: Partial<ScanPreview> = {}): ScanPreview {
  return {
    scanId: 'scan-1',
    patientRef: 'K7Q2-M9XD',
    issuedAt: new Date(NOW.getTime() - 86_400_000).toISOString(),
    expiresAt: null,
    cached: false,
    patient: null,
    ...overrides,
  };
}

export const CLINICIAN = {
  name: 'Dr Eleni Training',
  role: 'physician',
  registration: 'GR-12345',
  issuer: 'Training CA',
  notAfter: '2028-12-01T00:00:00.000Z',
  daysToExpiry: 730,
  warnings: [],
};

export function sessionStatus(overrides: Partial<SessionStatus> = {}): SessionStatus {
  return { clinician: CLINICIAN, locked: false, ...overrides };
}

export function appInfo(overrides: Partial<AppInfo> = {}): AppInfo {
  return {
    version: '1.0.0',
    mode: 'training',
    hospitalName: 'Training Hospital',
    configProblems: [],
    notConfigured: null,
    languages: ['en', 'el'],
    defaultLanguage: 'el',
    session: { idleLockMinutes: 5, emergencyAccessMinutes: 60 },
    scanner: {
      wedge: { enabled: true, maxAverageInterKeyMs: 35, minLength: 16, suffix: 'Enter-or-Tab' },
      serialEnabled: false,
    },
    ...overrides,
  };
}

export function settings(values: Partial<Settings['values']> = {}): Settings {
  return {
    values: { language: 'en', idleLockMinutes: 5, retentionHours: 72, ...values },
    bounds: {
      languages: ['en', 'el'],
      idleLockMinutesMin: 1,
      idleLockMinutesMax: 30,
      idleLockChangeable: true,
      retentionHoursMin: 1,
      retentionHoursMax: 168,
    },
  };
}

export const COUNTS: OutboxCounts = { queued: 0, sending: 0, sent: 0, 'failed-retrying': 0 };

export function outboxItem(id: number, overrides: Partial<OutboxItem> = {}): OutboxItem {
  return {
    id,
    additionId: `${id}`.padStart(64, 'a'),
    patientRef: 'K7Q2-M9XD',
    status: 'queued',
    kinds: { note: 1 },
    attempts: 0,
    lastError: null,
    createdAt: NOW.toISOString(),
    nextAttemptAt: null,
    sentAt: null,
    ...overrides,
  };
}
