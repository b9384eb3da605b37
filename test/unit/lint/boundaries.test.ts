import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/** The architecture's import boundaries are lint errors; these prove the rules bite. */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

/** The rules between main/ services (lint-rules/service-imports.js), linted under the name of a file of the project. */
async function serviceImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  const fatal = (result?.messages ?? []).filter((m) => m.fatal);
  expect(fatal).toEqual([]);
  return (result?.messages ?? []).filter((m) => m.ruleId === 'hcp/service-imports').map((m) => m.message);
}

describe('lint boundaries', () => {
  it('refuses a renderer -> main import', async () => {
    const msgs = await restrictedImports(
      "import { createWorkstation } from '../../main/workstation';\nexport const x = createWorkstation;\n",
      'renderer/src/bad.ts',
    );
    expect(msgs.join()).toMatch(/must not import from main/);
  });

  it('refuses Node and Electron in the renderer', async () => {
    expect(
      await restrictedImports(
        "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n",
        'renderer/src/bad.ts',
      ),
    ).toHaveLength(1);
    expect(
      await restrictedImports(
        "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n",
        'renderer/src/bad.ts',
      ),
    ).toHaveLength(1);
  });

  it('refuses electron inside a domain service but allows it in the thin adapter', async () => {
    const code = "import { app } from 'electron';\nexport const x = app;\n";
    // main/ is linted with types, so the text is linted under the name of a file of the project.
    expect(await restrictedImports(code, 'main/pki/index.ts')).toHaveLength(1);
    expect(await restrictedImports(code, 'main/electron/window.ts')).toHaveLength(0);
    // The first type-aware lint builds the TypeScript program: slow on a loaded machine.
  }, 120_000);

  it('refuses a floating or misused promise in main/ (type-aware rules)', async () => {
    const code =
      'export async function f(): Promise<void> {}\nexport function g(): void {\n  f();\n  setTimeout(async () => { await f(); }, 1);\n  void f();\n  f().catch(() => undefined);\n}\n';
    const [result] = await eslint.lintText(code, { filePath: 'main/electron/window.ts' });
    expect((result?.messages ?? []).map((m) => `${m.line}:${m.ruleId}`)).toEqual([
      '3:@typescript-eslint/no-floating-promises',
      '4:@typescript-eslint/no-misused-promises',
    ]);
  }, 120_000);

  it('keeps common/ free of Node', async () => {
    expect(
      await restrictedImports(
        "import { createHash } from 'node:crypto';\nexport const x = createHash;\n",
        'common/bad.ts',
      ),
    ).toHaveLength(1);
  });

  it('accepts the renderer using the preload client and common types', async () => {
    const ok =
      "import { call } from './api/client';\nimport type { ErrorCode } from '../../common/errors';\nexport const x: ErrorCode = 'CANCELLED';\nexport const y = call;\n";
    expect(await restrictedImports(ok, 'renderer/src/good.ts')).toHaveLength(0);
  });

  describe('between the services of main/', () => {
    it('refuses a deep import into another service and names the index to use', async () => {
      const msgs = await serviceImports(
        "import { parseCertificate } from '../pki/certificate';\nexport const x = parseCertificate;\n",
        'main/additions/jws.ts',
      );
      expect(msgs).toEqual([
        "main/additions imports main/pki only through its index.ts: import '../pki', not '../pki/certificate'.",
      ]);
      // However deep the importing file sits, and for type-only imports and re-exports too.
      expect(
        await serviceImports(
          "import type { Db } from '../../cache/database';\nexport type X = Db;\nexport { sleep } from '../../retry/backoff';\n",
          'main/cli/commands/verify-audit.ts',
        ),
      ).toHaveLength(2);
      // The composition root is held to the same rule, dynamic imports included.
      expect(
        await serviceImports(
          "export const load = () => import('./open-record/emergency-service');\n",
          'main/workstation.ts',
        ),
      ).toHaveLength(1);
    }, 120_000);

    it('accepts an import through the index and any relative import inside a folder', async () => {
      const ok =
        "import { parseCertificate } from '../pki';\nimport { sleep } from '../retry/index';\nimport type { Db } from '../cache/index.ts';\nimport { signDetachedJws } from './jws';\nimport { createLogger } from '../log';\nexport type X = Db;\nexport const x = [parseCertificate, sleep, signDetachedJws, createLogger];\n";
      expect(await serviceImports(ok, 'main/additions/service.ts')).toEqual([]);
      expect(
        await serviceImports(
          "import { createHandlers } from '../handlers/index';\nexport const x = createHandlers;\n",
          'main/ipc/handlers/app.ts',
        ),
      ).toEqual([]);
      expect(
        await serviceImports(
          "import { createDispatcher } from './ipc';\nexport const x = createDispatcher;\n",
          'main/index.ts',
        ),
      ).toEqual([]);
    }, 120_000);

    it('keeps main/crypto and main/fhir to common/: no other service, not even through its index', async () => {
      const msgs = await serviceImports(
        "import { ObjectStore } from '../cloud';\nimport { createLogger } from '../log';\nimport { WorkstationError } from '../../common/errors';\nimport { createHash } from 'node:crypto';\nexport const x = [ObjectStore, createLogger, WorkstationError, createHash];\n",
        'main/crypto/keys.ts',
      );
      expect(msgs).toEqual([
        "main/crypto is self-contained: it imports only common/, Node and its libraries, not '../cloud' (main/cloud).",
        "main/crypto is self-contained: it imports only common/, Node and its libraries, not '../log' (main/log).",
      ]);
      expect(
        await serviceImports(
          "import { base32Encode } from '../crypto';\nexport const x = base32Encode;\n",
          'main/fhir/parse.ts',
        ),
      ).toHaveLength(1);
      // The worker spawner is a leaf they may use (through its index): it is held to common/ and Node itself.
      expect(
        await serviceImports(
          "import { spawnWorker } from '../threads';\nexport const x = spawnWorker;\n",
          'main/fhir/off-thread.ts',
        ),
      ).toEqual([]);
      expect(
        await serviceImports(
          "import { spawnWorker } from '../threads/spawn';\nexport const x = spawnWorker;\n",
          'main/fhir/off-thread.ts',
        ),
      ).toHaveLength(1);
      expect(
        await serviceImports(
          "import { createLogger } from '../log';\nexport const x = createLogger;\n",
          'main/threads/spawn.ts',
        ),
      ).toHaveLength(1);
      expect(
        await serviceImports(
          "import { buildEmergencyView } from './view';\nexport const x = buildEmergencyView;\n",
          'main/fhir/parse.ts',
        ),
      ).toEqual([]);
    }, 120_000);
  });
});
