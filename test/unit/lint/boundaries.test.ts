import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/** The architecture's import boundaries are lint errors; these prove the rules bite. */
const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
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
});
