/**
 * `npm start -- --smoke`: after the training environment is up exactly as for `npm start`, the
 * workstation is composed the way main/index.ts and the harness compose it (loadConfig,
 * createWorkstation, createDispatcher(createHandlers(...))) and driven through the dispatcher —
 * the one entry Electron IPC and the browser harness both call — as the UI would: app.info,
 * session.signIn with the training clinician's credential file, emergency.scan of one training
 * patient's QR text, emergency.open with an access reason, emergency.close, session.signOut.
 * Every answer is checked against the contract's response schema and what the patient should be.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { toErrorInfo } from '../../common/errors';
import { contract, type Channel, type RequestOf, type ResponseOf } from '../../common/ipc/contract';
import { loadConfig } from '../../main/config/index';
import { createDispatcher, type Dispatch } from '../../main/ipc/dispatch';
import { createHandlers } from '../../main/ipc/handlers/index';
import { createLogger, type Logger } from '../../main/log';
import { createWorkstation } from '../../main/workstation';
import type { TrainingEnvironment } from './index';

export interface SmokeOptions {
  /** The repository (for resources/config/defaults.json and the version). */
  repo: string;
  training: TrainingEnvironment;
  /** Which training patient to open (default: the first one). */
  patient?: string;
  logger?: Logger;
  /** Progress lines (default: silent). */
  log?: (line: string) => void;
}

export interface SmokeResult {
  patient: string;
  displayName: string | null;
  sections: number;
  ms: number;
}

/** A step that did not give what the UI needs; the message says which step and why. */
export class SmokeFailure extends Error {
  constructor(step: string, problem: string) {
    super(`${step}: ${problem}`);
    this.name = 'SmokeFailure';
  }
}

async function call<C extends Channel>(dispatch: Dispatch, channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
  const result = await dispatch(channel, request);
  if (!result.ok)
    throw new SmokeFailure(
      channel,
      `${result.error.code}${result.error.details ? ` ${JSON.stringify(result.error.details)}` : ''}`,
    );
  const parsed = contract[channel].response.safeParse(result.value);
  if (!parsed.success)
    throw new SmokeFailure(
      channel,
      `answer does not match the contract: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  return parsed.data as ResponseOf<C>;
}

function expectThat(step: string, ok: boolean, problem: string): void {
  if (!ok) throw new SmokeFailure(step, problem);
}

export async function runSmoke(options: SmokeOptions): Promise<SmokeResult> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const { training } = options;
  const patient = options.patient ? training.patients.find((p) => p.name === options.patient) : training.patients[0];
  if (!patient)
    throw new SmokeFailure(
      'training patients',
      options.patient ? `no patient named ${options.patient}` : 'none were seeded',
    );

  const version = (JSON.parse(readFileSync(join(options.repo, 'package.json'), 'utf8')) as { version: string }).version;
  const loaded = loadConfig({
    defaultsFile: join(options.repo, 'resources/config/defaults.json'),
    machineFile: training.configFile,
    machineFileRequired: true,
  });
  // A data directory of its own: a workstation already running on .sandbox/training is not disturbed.
  const dataDir = mkdtempSync(join(tmpdir(), 'hcp-smoke-'));
  const workstation = createWorkstation({
    loaded,
    dataDir,
    version,
    logger: options.logger ?? createLogger('smoke', undefined, 'warn'),
  });
  try {
    const dispatch = createDispatcher(createHandlers(workstation), workstation.log);

    const info = await call(dispatch, 'app.info', {});
    expectThat(
      'app.info',
      info.configProblems.length === 0,
      `configuration problems: ${info.configProblems.map((p) => `${p.key}: ${p.message}`).join('; ')}`,
    );
    expectThat('app.info', info.mode === 'training', `mode is ${info.mode}, not training`);
    log(`smoke: app.info ok (${info.hospitalName}, version ${info.version})`);

    const signedIn = await call(dispatch, 'session.signIn', {
      fileName: basename(training.pki.clinician),
      credentialBase64: readFileSync(training.pki.clinician).toString('base64'),
      passphrase: training.pki.passphrase,
    });
    expectThat('session.signIn', signedIn.clinician !== null, 'no clinician signed in');
    log(`smoke: signed in as ${signedIn.clinician?.name ?? '?'}`);

    const preview = await call(dispatch, 'emergency.scan', {
      text: readFileSync(patient.qrTxt, 'utf8').trim(),
      source: 'manual',
    });
    const record = await call(dispatch, 'emergency.open', {
      scanId: preview.scanId,
      reason: { code: 'emergency-treatment', text: 'npm start --smoke' },
    });
    expectThat('emergency.open', record.view.patient.found, "the summary's patient is not in the document");
    if (patient.displayName) {
      expectThat(
        'emergency.open',
        record.view.patient.names[0] === patient.displayName,
        `opened "${record.view.patient.names[0] ?? '(no name)'}", expected "${patient.displayName}"`,
      );
    }
    const withEntries = record.view.sections.filter((s) => s.status !== 'absent').length;
    log(
      `smoke: opened ${patient.name} (${withEntries} sections, integrity verified${record.integrity.manifestSigned ? ', signed' : ''})`,
    );

    const closed = await call(dispatch, 'emergency.close', { recordId: record.recordId });
    expectThat('emergency.close', closed.closed, 'the record was not closed');
    const out = await call(dispatch, 'session.signOut', {});
    expectThat('session.signOut', out.clinician === null, 'still signed in');
    return { patient: patient.name, displayName: patient.displayName, sections: withEntries, ms: Date.now() - started };
  } catch (e) {
    if (e instanceof SmokeFailure) throw e;
    const info = toErrorInfo(e);
    throw new SmokeFailure(
      'workstation',
      info.code === 'INTERNAL_ERROR' && e instanceof Error
        ? e.message
        : `${info.code}${info.details ? ` ${JSON.stringify(info.details)}` : ''}`,
    );
  } finally {
    await workstation.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
