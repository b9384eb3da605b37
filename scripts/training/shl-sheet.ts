/** The training sheet's SMART Health Link section (scripts/simulator/shl.ts makes the links). */
import { relative } from 'node:path';
import type { TrainingShl } from '../simulator/shl';

const KIND_TEXT: Record<TrainingShl['kind'], string> = {
  plain: 'link (L): opens after the break-the-glass reason',
  passcode: 'passcode link (LP): the passcode dialog, the attempts left after a wrong one',
  card: 'SMART Health Card (U): "issuer verified" in the provenance',
};

export function shlSheetSection(dir: string, links: TrainingShl[]): string {
  if (!links.length) return '';
  const rel = (p: string) => relative(dir, p) || '.';
  return [
    '## SMART Health Links (HL7)',
    '',
    'The same patients also carry their summary as a SMART Health Link (`shlink:/...`, served by the',
    "sandbox's SHL server). Show the QR image to a camera or paste the text into the scan screen's",
    'manual entry. A keyboard-wedge scanner on another layout garbles `shlink:/`: the workstation says so.',
    '',
    '| patient | kind | passcode | QR image | link text |',
    '| --- | --- | --- | --- | --- |',
    ...links.map(
      (l) =>
        `| ${l.displayName ?? l.patient} | ${KIND_TEXT[l.kind]} | ${l.passcode ? `\`${l.passcode}\`` : '—'} | \`${rel(l.pngFile)}\` | \`${rel(l.txtFile)}\` |`,
    ),
    '',
  ].join('\n');
}
