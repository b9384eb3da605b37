import { ia5, oid, printable, seq, set, utf8, type Node } from './der';

const ATTRS: Record<string, string> = {
  CN: '2.5.4.3',
  SN: '2.5.4.4',
  serialNumber: '2.5.4.5',
  C: '2.5.4.6',
  L: '2.5.4.7',
  ST: '2.5.4.8',
  STREET: '2.5.4.9',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  title: '2.5.4.12',
  GN: '2.5.4.42',
  DC: '0.9.2342.19200300.100.1.25',
  UID: '0.9.2342.19200300.100.1.1',
  emailAddress: '1.2.840.113549.1.9.1',
};

export type NameEncoding = 'utf8' | 'printable';

/**
 * A distinguished name from RFC 4514 text ("CN=Dr A, O=Hospital, C=GR": least significant
 * first, as main/pki prints it) or from attribute pairs in encoded order. Multi-valued RDNs
 * use '+'. Values may not contain ',' or '+' (tests do not need escapes).
 */
export function encodeName(name: string | [string, string][], encoding: NameEncoding = 'utf8'): Node {
  const rdns: [string, string][][] =
    typeof name === 'string'
      ? name.trim() === ''
        ? []
        : name
            .split(',')
            .map((r) => r.split('+').map((ava) => splitAva(ava)))
            .reverse()
      : name.map((p) => [p]);
  return seq(
    ...rdns.map((rdn) =>
      set(
        ...rdn.map(([type, value]) => {
          const o = ATTRS[type] ?? type;
          const v =
            type === 'C' || type === 'serialNumber' || encoding === 'printable'
              ? printable(value)
              : type === 'emailAddress' || type === 'DC'
                ? ia5(value)
                : utf8(value);
          return seq(oid(o), v);
        }),
      ),
    ),
  );
}

function splitAva(ava: string): [string, string] {
  const i = ava.indexOf('=');
  if (i < 1) throw new Error(`bad name component: ${ava}`);
  return [ava.slice(0, i).trim(), ava.slice(i + 1).trim()];
}
