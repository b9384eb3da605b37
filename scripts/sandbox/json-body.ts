import type { IncomingMessage } from 'node:http';

/**
 * A request body that must be one JSON object of at most `max` bytes (the sandbox servers' one
 * reader). Each server maps the two refusals to its own answer.
 */
export async function readJsonObject(
  req: IncomingMessage,
  max: number,
  refuse: { tooLarge: () => Error; malformed: () => Error },
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > max) throw refuse.tooLarge();
    chunks.push(chunk as Buffer);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw refuse.malformed();
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw refuse.malformed();
  return parsed as Record<string, unknown>;
}
