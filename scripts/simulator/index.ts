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
export { expandSamples, patientNames } from './samples';
export {
  generateTrainingPatients,
  REQUIRED_IPS_SECTIONS,
  RECOMMENDED_IPS_SECTIONS,
  type GeneratedPatient,
  type GenerateOptions,
  type TrainingFeature,
} from './generate';
export { randomByteStream, syntheticLetterPdf, syntheticPhotoPng } from './assets';
export {
  makeTrainingShls,
  readTrainingShls,
  SHL_INDEX_FILE,
  TRAINING_SHL_PASSCODE,
  type TrainingShl,
  type TrainingShlKind,
} from './shl';
