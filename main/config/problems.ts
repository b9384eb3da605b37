import type { z } from 'zod';
import type { ConfigProblem } from '../../common/ipc/channels/app';
import { HospitalConfig } from '../../common/config/schema';

/** Keys whose values are never echoed back in a problem message. */
const SECRET_KEY = /secret|accessKey|password|token/i;

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number' && Number.isInteger(v)) return 'integer';
  return typeof v;
}

function withArticle(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function shown(v: unknown, key: string): string {
  if (SECRET_KEY.test(key)) return '';
  const text = JSON.stringify(v);
  if (text === undefined) return '';
  return ` (found ${text.length > 80 ? text.slice(0, 77) + '...' : text})`;
}

function bound(issue: { origin?: string; inclusive?: boolean }, value: unknown, atLeast: boolean): string {
  const n = String(value);
  switch (issue.origin) {
    case 'string':
      return atLeast
        ? n === '1'
          ? 'must not be empty'
          : `must be at least ${n} characters long`
        : `must be at most ${n} characters long`;
    case 'array':
      return atLeast ? `must list at least ${n} ${n === '1' ? 'entry' : 'entries'}` : `must list at most ${n} entries`;
    default:
      if (issue.inclusive === false) return `out of range: must be ${atLeast ? 'greater' : 'less'} than ${n}`;
      return `out of range: must be ${atLeast ? 'at least' : 'at most'} ${n}`;
  }
}

/** One zod issue as administrator-readable problems: one per key, the message saying what to write. */
function describeIssue(issue: z.core.$ZodIssue, input: unknown, source: string): ConfigProblem[] {
  const key = issue.path.map(String).join('.') || '(root)';
  const found = valueAt(input, issue.path);
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((k) => ({
        source,
        key: [...issue.path.map(String), k].join('.'),
        message: 'unknown key (check the spelling; see docs/deployment.md for every key)',
      }));
    case 'invalid_type':
      if (found === undefined) return [{ source, key, message: `is required (${issue.expected})` }];
      if (issue.expected === 'int' && typeof found === 'number')
        return [{ source, key, message: `must be a whole number${shown(found, key)}` }];
      if (issue.message.startsWith('Invalid input'))
        return [
          {
            source,
            key,
            message: `wrong type: must be ${withArticle(issue.expected === 'int' ? 'integer' : issue.expected)}, found ${typeName(found)}`,
          },
        ];
      return [{ source, key, message: `${issue.message}${shown(found, key)}` }];
    case 'too_small':
      return [{ source, key, message: `${bound(issue, issue.minimum, true)}${shown(found, key)}` }];
    case 'too_big':
      return [{ source, key, message: `${bound(issue, issue.maximum, false)}${shown(found, key)}` }];
    case 'invalid_value':
      return [
        {
          source,
          key,
          message: `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}${shown(found, key)}`,
        },
      ];
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if ('discriminator' in issue && issue.discriminator && options) {
        return [
          {
            source,
            key,
            message: `must be one of ${options.map((v) => JSON.stringify(v)).join(', ')}${shown(found, key)}`,
          },
        ];
      }
      const alternatives = [
        ...new Set(
          issue.errors.flatMap((branch) =>
            branch.map((i) =>
              i.code === 'invalid_value'
                ? `one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`
                : i.message.replace(/^must be /, ''),
            ),
          ),
        ),
      ];
      return [{ source, key, message: `must be ${alternatives.join(' or ')}${shown(found, key)}` }];
    }
    case 'invalid_format':
      return [{ source, key, message: `${issue.message}${shown(found, key)}` }];
    case 'not_multiple_of':
      return [{ source, key, message: `must be a multiple of ${String(issue.divisor)}${shown(found, key)}` }];
    default:
      return [{ source, key, message: issue.message }];
  }
}

/** Validate a merged configuration; problems are attributed to `source`. */
export function validateConfig(value: unknown, source: string): { config?: HospitalConfig; problems: ConfigProblem[] } {
  const parsed = HospitalConfig.safeParse(value);
  if (parsed.success) return { config: parsed.data, problems: [] };
  return { problems: parsed.error.issues.flatMap((i) => describeIssue(i, value, source)) };
}
