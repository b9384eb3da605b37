import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { HospitalConfig, USER_CONFIGURABLE_KEYS } from '../../../common/config/schema';
import { REPO, readDefaults, type JsonObject } from './helpers';

type JsonSchema = {
  properties?: Record<string, JsonSchema>;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  type?: string | string[];
};

/** Every leaf key of the schema, dotted; the alternatives of a union contribute all their keys. */
function leafKeys(schema: JsonSchema, prefix = ''): string[] {
  const variants = schema.oneOf ?? (schema.anyOf?.some((s) => s.properties) ? schema.anyOf : undefined);
  if (variants) return [...new Set(variants.flatMap((v) => leafKeys(v, prefix)))];
  if (!schema.properties) return [prefix];
  return Object.entries(schema.properties).flatMap(([k, v]) => leafKeys(v, prefix ? `${prefix}.${k}` : k));
}

function valueAt(obj: JsonObject, dotted: string): unknown {
  let v: unknown = obj;
  for (const p of dotted.split('.')) v = v && typeof v === 'object' ? (v as JsonObject)[p] : undefined;
  return v;
}

const doc = readFileSync(join(REPO, 'docs/deployment.md'), 'utf8');
const rows = new Map(
  [...doc.matchAll(/^\| `([a-zA-Z.]+)` \|([^|]*)\|([^|]*)\|([^|]*)\|([^|]*)\|$/gm)].map((m) => [
    m[1]!,
    { defaults: m[3]!.trim(), user: m[4]!.trim() },
  ]),
);

describe('docs/deployment.md key table', () => {
  const schemaKeys = leafKeys(z.toJSONSchema(HospitalConfig, { io: 'input' }) as JsonSchema);

  it('lists exactly the keys of the schema', () => {
    expect(schemaKeys.length).toBeGreaterThan(40);
    expect([...rows.keys()].sort()).toEqual([...schemaKeys].sort());
  });

  it('shows each default as defaults.json has it', () => {
    const defaults = readDefaults();
    for (const key of schemaKeys) {
      const value = valueAt(defaults, key);
      expect(rows.get(key)?.defaults, key).toBe(value === undefined ? '—' : `\`${JSON.stringify(value)}\``);
    }
  });

  it('marks exactly the keys a user file may set', () => {
    expect(
      [...rows]
        .filter(([, r]) => r.user === 'user')
        .map(([k]) => k)
        .sort(),
    ).toEqual([...USER_CONFIGURABLE_KEYS].sort());
  });
});
