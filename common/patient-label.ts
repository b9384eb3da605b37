import { z } from 'zod';

/**
 * Who a screen is about, for the clinician to check against the patient in front of them: the
 * name, birth date and sex as the record states them, beside the short reference. Built in main
 * from the record (or the encrypted cache) and only sent to an unlocked session.
 */
export const PatientLabel = z.object({
  name: z.string().nullable(),
  birthDate: z.string().nullable(),
  sex: z.string().nullable(),
});
export type PatientLabel = z.infer<typeof PatientLabel>;

/** The label of an emergency view's patient header. */
export function patientLabelOf(patient: {
  names: string[];
  birthDate?: string | null;
  sex?: string | null;
}): PatientLabel {
  return { name: patient.names[0] ?? null, birthDate: patient.birthDate ?? null, sex: patient.sex ?? null };
}
