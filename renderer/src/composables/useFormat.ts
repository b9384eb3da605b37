import { computed } from 'vue';
import { useI18n } from 'vue-i18n';

const PARTIAL_YEAR = /^\d{4}$/;
const PARTIAL_MONTH = /^\d{4}-\d{2}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** English-speaking regions whose own conventions (12-hour clock, month first) English follows there. */
const ENGLISH_REGIONS = new Set(['US', 'GB', 'IE', 'AU', 'NZ', 'CA', 'ZA', 'IN', 'SG', 'PH', 'MT', 'CY']);

/**
 * The locale dates and numbers are formatted in: the UI language with the workstation's region
 * (from the operating system's locale). English in a hospital outside the English-speaking
 * regions (a Greek hospital) uses European English: 24-hour clock, day before month — never the
 * US conventions by default.
 */
export function formatLocale(
  lang: string,
  systemLocales: readonly string[] = (globalThis as { navigator?: { languages?: readonly string[] } }).navigator
    ?.languages ?? [],
): string {
  const region = systemLocales.map((l) => l.split(/[-_]/)[1]?.toUpperCase()).find((r) => !!r && /^[A-Z]{2}$/.test(r));
  if (lang === 'en') return region && ENGLISH_REGIONS.has(region) ? `en-${region}` : 'en-150';
  return region ? `${lang}-${region}` : lang;
}

/** A dateTime's own UTC offset in minutes ("…+02:00" -> 120, "…Z" -> 0), or null without one. */
export function offsetMinutes(iso: string): number | null {
  const m = /(Z|([+-])(\d{2}):?(\d{2}))$/.exec(iso);
  if (!m || !/T\d{2}:\d{2}/.test(iso)) return null;
  if (m[1] === 'Z') return 0;
  return (m[2] === '-' ? -1 : 1) * (Number(m[3]) * 60 + Number(m[4]));
}

/** Dates, sizes and durations in the UI language (Intl), never hand-formatted. */
export function useFormat() {
  const { locale, t } = useI18n();
  const lang = computed(() => formatLocale(locale.value));
  /** The 24-hour clock of a hospital, except where the region's English uses 12 hours (en-US). */
  const clock = computed(() => (lang.value === 'en-US' ? {} : { hourCycle: 'h23' as const }));

  /**
   * A FHIR date as written in the document: "2019" stays a year, "2019-05" a month, a date a
   * date, a dateTime a date and time; anything else (free text such as "childhood") as it is.
   */
  function fhirDate(value: string | undefined | null): string {
    if (!value) return '';
    if (PARTIAL_YEAR.test(value)) return value;
    if (PARTIAL_MONTH.test(value)) {
      const [y, m] = value.split('-').map(Number) as [number, number];
      return new Intl.DateTimeFormat(lang.value, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(
        Date.UTC(y, m - 1, 1),
      );
    }
    if (DATE_ONLY.test(value)) {
      const d = new Date(`${value}T00:00:00Z`);
      return Number.isNaN(d.getTime())
        ? value
        : new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
    }
    if (DATE_TIME.test(value)) return documentDateTime(value);
    return value;
  }

  /** A date and time (the workstation's own timestamps) in the workstation's time zone. */
  function dateTime(iso: string | undefined | null): string {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime())
      ? iso
      : new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeStyle: 'short', ...clock.value }).format(d);
  }

  /**
   * A document's date and time in the workstation's time zone; when the document wrote it in
   * another zone, its own wall-clock time too ("14:30 (13:30 UTC+01:00 in the document)"), so the
   * two never disagree silently.
   */
  function documentDateTime(iso: string): string {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return iso;
    const here = new Intl.DateTimeFormat(lang.value, {
      dateStyle: 'medium',
      timeStyle: 'short',
      ...clock.value,
    }).format(d);
    const written = offsetMinutes(iso);
    if (written === null || written === -d.getTimezoneOffset()) return here;
    const sign = written < 0 ? '-' : '+';
    const abs = Math.abs(written);
    const zone = `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
    const there = new Intl.DateTimeFormat(lang.value, {
      timeStyle: 'short',
      ...clock.value,
      timeZone:
        written === 0
          ? 'UTC'
          : `Etc/GMT${written % 60 === 0 ? (written > 0 ? '-' : '+') + Math.abs(written / 60) : ''}`,
    }).format(d);
    return written % 60 === 0 ? t('format.documentZone', { here, there, zone }) : here;
  }

  function time(iso: string | Date): string {
    const d = typeof iso === 'string' ? new Date(iso) : iso;
    return new Intl.DateTimeFormat(lang.value, { timeStyle: 'short', ...clock.value }).format(d);
  }

  function timeWithSeconds(d: Date): string {
    return new Intl.DateTimeFormat(lang.value, { timeStyle: 'medium', ...clock.value }).format(d);
  }

  /** "3 minutes ago", "in 2 hours" (Intl.RelativeTimeFormat). */
  function relative(iso: string, now: number = Date.now()): string {
    const diffMs = new Date(iso).getTime() - now;
    const abs = Math.abs(diffMs);
    const rtf = new Intl.RelativeTimeFormat(lang.value, { numeric: 'auto' });
    if (abs < 60_000) return rtf.format(Math.round(diffMs / 1000), 'second');
    if (abs < 3_600_000) return rtf.format(Math.round(diffMs / 60_000), 'minute');
    if (abs < 86_400_000) return rtf.format(Math.round(diffMs / 3_600_000), 'hour');
    return rtf.format(Math.round(diffMs / 86_400_000), 'day');
  }

  /** Sizes as kB / MB / GB in the UI language (under 1 kB too: "0.9 kB", never "889 byte"). */
  function bytes(n: number): string {
    const units = ['kilobyte', 'megabyte', 'gigabyte'] as const;
    let value = Math.max(n / 1000, n > 0 ? 0.1 : 0);
    let i = 0;
    while (value >= 1000 && i < units.length - 1) {
      value /= 1000;
      i++;
    }
    return new Intl.NumberFormat(lang.value, {
      style: 'unit',
      unit: units[i],
      unitDisplay: 'short',
      maximumFractionDigits: 1,
    }).format(value);
  }

  function number(n: number, maximumFractionDigits = 2): string {
    return new Intl.NumberFormat(lang.value, { maximumFractionDigits }).format(n);
  }

  /** A value with its unit ("120 mmHg"); the unit comes from the document as written. */
  function quantity(value: string | undefined, unit: string | undefined): string {
    if (!value) return t('record.noValue');
    return unit ? `${value} ${unit}` : value;
  }

  return { fhirDate, dateTime, time, timeWithSeconds, relative, bytes, number, quantity };
}
