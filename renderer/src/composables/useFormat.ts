import { computed } from 'vue';
import { useI18n } from 'vue-i18n';

const PARTIAL_YEAR = /^\d{4}$/;
const PARTIAL_MONTH = /^\d{4}-\d{2}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T/;

/** Dates, sizes and durations in the UI language (Intl), never hand-formatted. */
export function useFormat() {
  const { locale, t } = useI18n();
  const lang = computed(() => locale.value);

  /**
   * A FHIR date as written in the document: "2019" stays a year, "2019-05" a month, a date a
   * date, a dateTime a date and time; anything else (free text such as "childhood") as it is.
   */
  function fhirDate(value: string | undefined | null): string {
    if (!value) return '';
    if (PARTIAL_YEAR.test(value)) return value;
    if (PARTIAL_MONTH.test(value)) {
      const [y, m] = value.split('-').map(Number) as [number, number];
      return new Intl.DateTimeFormat(lang.value, { year: 'numeric', month: 'long', timeZone: 'UTC' }).format(Date.UTC(y, m - 1, 1));
    }
    if (DATE_ONLY.test(value)) {
      const d = new Date(`${value}T00:00:00Z`);
      return Number.isNaN(d.getTime()) ? value : new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeZone: 'UTC' }).format(d);
    }
    if (DATE_TIME.test(value)) return dateTime(value);
    return value;
  }

  function dateTime(iso: string | undefined | null): string {
    if (!iso) return '';
    const d = new Date(iso);
    return Number.isNaN(d.getTime()) ? iso : new Intl.DateTimeFormat(lang.value, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
  }

  function time(iso: string | Date): string {
    const d = typeof iso === 'string' ? new Date(iso) : iso;
    return new Intl.DateTimeFormat(lang.value, { timeStyle: 'short' }).format(d);
  }

  function timeWithSeconds(d: Date): string {
    return new Intl.DateTimeFormat(lang.value, { timeStyle: 'medium' }).format(d);
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
    return new Intl.NumberFormat(lang.value, { style: 'unit', unit: units[i], unitDisplay: 'short', maximumFractionDigits: 1 }).format(value);
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
