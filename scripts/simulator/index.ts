/** The patient-side simulator (dev only): synthetic patients seeded into the sandbox. See docs/simulator.md. */
export {
  seedPatients,
  readSeedIndex,
  INDEX_FILE,
  README_FILE,
  type SeedOptions,
  type SeedResult,
  type SeedIndex,
  type SeededPatient,
  type SeededObject,
  type SeedFailure,
} from './seed';
export { DEFAULT_SAMPLES_DIR, expandSamples, patientNames } from './samples';
export { randomByteStream, syntheticLetterPdf, syntheticPhotoPng } from './assets';
