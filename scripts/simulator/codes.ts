/**
 * The small code tables the training-patient generator (./generate.ts) draws from: real SNOMED CT,
 * LOINC and ATC codes with their displays in English, Greek and German. Only codes listed here
 * appear in generated bundles (test/unit/simulator checks it), so a reviewer can check every one.
 *
 * English displays follow the code system's preferred term (shortened where the FSN carries a
 * semantic tag); Greek and German are the usual clinical terms, for training only.
 */

export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const ATC = 'http://www.whocc.no/atc';
export const UCUM = 'http://unitsofmeasure.org';

export type Lang = 'en' | 'el' | 'de';
export const LANGS: readonly Lang[] = ['en', 'el', 'de'];

export interface CodeEntry {
  code: string;
  display: Record<Lang, string>;
}

type Table = Record<string, CodeEntry>;
const t = <T extends Table>(table: T): T => table;
const c = (code: string, en: string, el: string, de: string): CodeEntry => ({ code, display: { en, el, de } });

/** SNOMED CT: substances, disorders, findings, procedures, devices, absence statements. */
export const SNOMED_CODES = t({
  // substances (AllergyIntolerance.code)
  penicillin: c('764146007', 'Penicillin', 'Πενικιλλίνη', 'Penicillin'),
  peanut: c('762952008', 'Peanut', 'Αράπικο φιστίκι', 'Erdnuss'),
  latex: c('111088007', 'Latex', 'Λάτεξ', 'Latex'),
  beeVenom: c('288328004', 'Bee venom', 'Δηλητήριο μέλισσας', 'Bienengift'),
  // reaction manifestations
  anaphylaxis: c('39579001', 'Anaphylaxis', 'Αναφυλαξία', 'Anaphylaxie'),
  urticaria: c('126485001', 'Urticaria', 'Κνίδωση', 'Urtikaria'),
  dyspnea: c('267036007', 'Dyspnea', 'Δύσπνοια', 'Dyspnoe'),
  skinEruption: c('271807003', 'Eruption of skin', 'Δερματικό εξάνθημα', 'Hautausschlag'),
  // problems and past illnesses
  hypertension: c('38341003', 'Hypertensive disorder', 'Αρτηριακή υπέρταση', 'Arterielle Hypertonie'),
  diabetesType2: c('44054006', 'Diabetes mellitus type 2', 'Σακχαρώδης διαβήτης τύπου 2', 'Diabetes mellitus Typ 2'),
  asthma: c('195967001', 'Asthma', 'Άσθμα', 'Asthma bronchiale'),
  atrialFibrillation: c('49436004', 'Atrial fibrillation', 'Κολπική μαρμαρυγή', 'Vorhofflimmern'),
  heartFailure: c('84114007', 'Heart failure', 'Καρδιακή ανεπάρκεια', 'Herzinsuffizienz'),
  ironDeficiencyAnemia: c('87522002', 'Iron deficiency anemia', 'Σιδηροπενική αναιμία', 'Eisenmangelanämie'),
  hypothyroidism: c('40930008', 'Hypothyroidism', 'Υποθυρεοειδισμός', 'Hypothyreose'),
  myocardialInfarction: c('22298006', 'Myocardial infarction', 'Έμφραγμα του μυοκαρδίου', 'Myokardinfarkt'),
  pneumonia: c('233604007', 'Pneumonia', 'Πνευμονία', 'Pneumonie'),
  ankleSprain: c('44465007', 'Sprain of ankle', 'Διάστρεμμα ποδοκνημικής', 'Distorsion des Sprunggelenks'),
  // functional status
  walkingDisability: c('228158008', 'Walking disability', 'Δυσκολία στη βάδιση', 'Gehbehinderung'),
  // procedures
  appendectomy: c('80146002', 'Excision of appendix', 'Σκωληκοειδεκτομή', 'Appendektomie'),
  pacemakerImplantation: c(
    '307280005',
    'Implantation of cardiac pacemaker',
    'Εμφύτευση βηματοδότη',
    'Herzschrittmacherimplantation',
  ),
  cabg: c('232717009', 'Coronary artery bypass grafting', 'Αορτοστεφανιαία παράκαμψη', 'Koronararterien-Bypass'),
  cesarean: c('11466000', 'Cesarean section', 'Καισαρική τομή', 'Kaiserschnitt'),
  // devices
  pacemaker: c('14106009', 'Cardiac pacemaker', 'Καρδιακός βηματοδότης', 'Herzschrittmacher'),
  insulinPump: c('69805005', 'Insulin pump', 'Αντλία ινσουλίνης', 'Insulinpumpe'),
  // findings for vitals / social history / pregnancy values
  pregnant: c('77386006', 'Pregnant', 'Έγκυος', 'Schwanger'),
  exSmoker: c('8517006', 'Ex-smoker', 'Πρώην καπνιστής', 'Ehemaliger Raucher'),
  neverSmoked: c('266919005', 'Never smoked tobacco', 'Δεν κάπνισε ποτέ', 'Nie geraucht'),
  currentSmoker: c('77176002', 'Smoker', 'Καπνιστής', 'Raucher'),
  // alerts
  fallRisk: c('129839007', 'At risk for falls', 'Κίνδυνος πτώσης', 'Sturzgefahr'),
  // advance directive
  notForResuscitation: c(
    '304253006',
    'Not for resuscitation',
    'Να μη γίνει καρδιοαναπνευστική αναζωογόνηση',
    'Keine Wiederbelebung',
  ),
  // target diseases of vaccines
  influenza: c('6142004', 'Influenza', 'Γρίπη', 'Influenza'),
  tetanus: c('76902006', 'Tetanus', 'Τέτανος', 'Tetanus'),
  covid19: c('840539006', 'COVID-19', 'COVID-19', 'COVID-19'),
  measles: c('14189004', 'Measles', 'Ιλαρά', 'Masern'),
  // qualifiers: severity, route of administration
  mild: c('255604002', 'Mild', 'Ήπια', 'Leicht'),
  moderate: c('6736007', 'Moderate', 'Μέτρια', 'Mittelschwer'),
  severe: c('24484000', 'Severe', 'Σοβαρή', 'Schwer'),
  oralRoute: c('26643006', 'Oral route', 'Από του στόματος', 'Oral'),
  respiratoryRoute: c('447694001', 'Respiratory tract route', 'Εισπνεόμενη οδός', 'Inhalativ'),
  subcutaneousRoute: c('34206005', 'Subcutaneous route', 'Υποδόρια οδός', 'Subkutan'),
  // absence statements (main/fhir/absence.ts knows these)
  noInformation: c(
    '1287211007',
    'No information available',
    'Δεν υπάρχουν διαθέσιμες πληροφορίες',
    'Keine Informationen verfügbar',
  ),
  noKnownAllergy: c('716186003', 'No known allergy', 'Καμία γνωστή αλλεργία', 'Keine bekannte Allergie'),
  noKnownMedications: c(
    '787481004',
    'No known medications',
    'Καμία γνωστή φαρμακευτική αγωγή',
    'Keine bekannten Medikamente',
  ),
  noCurrentProblems: c(
    '160245001',
    'No current problems or disability',
    'Κανένα τρέχον πρόβλημα ή αναπηρία',
    'Keine aktuellen Probleme oder Behinderungen',
  ),
});

/** ATC: the medicinal products (by substance) and vaccines. */
export const ATC_CODES = t({
  ramipril: c('C09AA05', 'ramipril', 'ραμιπρίλη', 'Ramipril'),
  metformin: c('A10BA02', 'metformin', 'μετφορμίνη', 'Metformin'),
  bisoprolol: c('C07AB07', 'bisoprolol', 'βισοπρολόλη', 'Bisoprolol'),
  rivaroxaban: c('B01AF01', 'rivaroxaban', 'ριβαροξαμπάνη', 'Rivaroxaban'),
  furosemide: c('C03CA01', 'furosemide', 'φουροσεμίδη', 'Furosemid'),
  salbutamol: c('R03AC02', 'salbutamol', 'σαλβουταμόλη', 'Salbutamol'),
  atorvastatin: c('C10AA05', 'atorvastatin', 'ατορβαστατίνη', 'Atorvastatin'),
  levothyroxine: c('H03AA01', 'levothyroxine sodium', 'λεβοθυροξίνη νατριούχος', 'Levothyroxin-Natrium'),
  folicAcid: c('B03BB01', 'folic acid', 'φυλλικό οξύ', 'Folsäure'),
  ferrousSulfate: c('B03AA07', 'ferrous sulfate', 'θειικός σίδηρος', 'Eisen(II)-sulfat'),
  insulinAspart: c('A10AB05', 'insulin aspart', 'ινσουλίνη ασπαρτ', 'Insulin aspart'),
  omeprazole: c('A02BC01', 'omeprazole', 'ομεπραζόλη', 'Omeprazol'),
  // vaccines
  influenzaVaccine: c('J07BB', 'influenza vaccines', 'εμβόλια γρίπης', 'Influenza-Impfstoffe'),
  tetanusDiphtheriaVaccine: c(
    'J07AM51',
    'tetanus toxoid, combinations with diphtheria toxoid',
    'τοξοειδές τετάνου σε συνδυασμό με τοξοειδές διφθερίτιδας',
    'Tetanus-Toxoid, Kombinationen mit Diphtherie-Toxoid',
  ),
  covid19Vaccine: c('J07BN', 'COVID-19 vaccines', 'εμβόλια COVID-19', 'COVID-19-Impfstoffe'),
  mmrVaccine: c(
    'J07BD52',
    'measles, combinations with mumps and rubella, live attenuated',
    'ιλαρά σε συνδυασμό με παρωτίτιδα και ερυθρά, ζώντα εξασθενημένα',
    'Masern, Kombinationen mit Mumps und Röteln, lebend abgeschwächt',
  ),
});

/** LOINC: document and section codes, results, vital signs, social history, pregnancy. */
export const LOINC_CODES = t({
  patientSummary: c('60591-5', 'Patient summary Document', 'Συνοπτικό ιστορικό ασθενούς', 'Patientenkurzakte'),
  // IPS sections (main/fhir/sections.ts)
  secAlerts: c('104605-1', 'Alert', 'Προειδοποιήσεις', 'Warnhinweise'),
  secAllergies: c(
    '48765-2',
    'Allergies and adverse reactions Document',
    'Αλλεργίες και δυσανεξίες',
    'Allergien und Unverträglichkeiten',
  ),
  secProblems: c('11450-4', 'Problem list - Reported', 'Ενεργά προβλήματα υγείας', 'Aktuelle Probleme'),
  secMedications: c('10160-0', 'History of Medication use Narrative', 'Φαρμακευτική αγωγή', 'Medikation'),
  secImmunizations: c('11369-6', 'History of Immunization Narrative', 'Εμβολιασμοί', 'Impfungen'),
  secResults: c('30954-2', 'Relevant diagnostic tests/laboratory data Narrative', 'Αποτελέσματα εξετάσεων', 'Befunde'),
  secProcedures: c('47519-4', 'History of Procedures Document', 'Ιστορικό επεμβάσεων', 'Eingriffe'),
  secDevices: c(
    '46264-8',
    'History of medical device use',
    'Ιατροτεχνολογικά προϊόντα και εμφυτεύματα',
    'Medizinprodukte und Implantate',
  ),
  secAdvanceDirectives: c('42348-3', 'Advance healthcare directives', 'Προκαταβολικές οδηγίες', 'Patientenverfügungen'),
  secPregnancy: c('10162-6', 'History of pregnancies Narrative', 'Κύηση', 'Schwangerschaft'),
  secVitalSigns: c('8716-3', 'Vital signs', 'Ζωτικά σημεία', 'Vitalparameter'),
  secPastIllness: c(
    '11348-0',
    'History of Past illness Narrative',
    'Ιστορικό παλαιότερων νόσων',
    'Frühere Erkrankungen',
  ),
  secFunctionalStatus: c(
    '47420-5',
    'Functional status assessment note',
    'Λειτουργική κατάσταση',
    'Funktioneller Status',
  ),
  secPlanOfCare: c('18776-5', 'Plan of care note', 'Σχέδιο φροντίδας', 'Behandlungsplan'),
  secSocialHistory: c('29762-2', 'Social history Narrative', 'Κοινωνικό ιστορικό', 'Sozialanamnese'),
  secPatientStory: c(
    '81338-6',
    'Patient Goals, preferences, and priorities for care experience',
    'Στόχοι και προτιμήσεις του ασθενούς',
    'Ziele und Präferenzen des Patienten',
  ),
  // laboratory
  cbcPanel: c('58410-2', 'CBC panel - Blood by Automated count', 'Γενική αίματος', 'Blutbild'),
  metabolicPanel: c(
    '24323-8',
    'Comprehensive metabolic 2000 panel - Serum or Plasma',
    'Βιοχημικός έλεγχος',
    'Klinische Chemie',
  ),
  hemoglobin: c('718-7', 'Hemoglobin [Mass/volume] in Blood', 'Αιμοσφαιρίνη', 'Hämoglobin'),
  leukocytes: c('6690-2', 'Leukocytes [#/volume] in Blood by Automated count', 'Λευκά αιμοσφαίρια', 'Leukozyten'),
  platelets: c('777-3', 'Platelets [#/volume] in Blood by Automated count', 'Αιμοπετάλια', 'Thrombozyten'),
  glucose: c('2345-7', 'Glucose [Mass/volume] in Serum or Plasma', 'Γλυκόζη', 'Glukose'),
  creatinine: c('2160-0', 'Creatinine [Mass/volume] in Serum or Plasma', 'Κρεατινίνη', 'Kreatinin'),
  potassium: c('2823-3', 'Potassium [Moles/volume] in Serum or Plasma', 'Κάλιο', 'Kalium'),
  sodium: c('2951-2', 'Sodium [Moles/volume] in Serum or Plasma', 'Νάτριο', 'Natrium'),
  hba1c: c('4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood', 'Γλυκοζυλιωμένη αιμοσφαιρίνη (HbA1c)', 'HbA1c'),
  inr: c('6301-6', 'INR in Platelet poor plasma by Coagulation assay', 'INR', 'INR'),
  bloodGroup: c(
    '882-1',
    'ABO and Rh group [Type] in Blood',
    'Ομάδα αίματος ABO και Rh',
    'Blutgruppe ABO und Rhesusfaktor',
  ),
  // vital signs
  bloodPressure: c('85354-9', 'Blood pressure panel with all children optional', 'Αρτηριακή πίεση', 'Blutdruck'),
  systolic: c('8480-6', 'Systolic blood pressure', 'Συστολική πίεση', 'Systolischer Blutdruck'),
  diastolic: c('8462-4', 'Diastolic blood pressure', 'Διαστολική πίεση', 'Diastolischer Blutdruck'),
  heartRate: c('8867-4', 'Heart rate', 'Καρδιακή συχνότητα', 'Herzfrequenz'),
  bodyWeight: c('29463-7', 'Body weight', 'Σωματικό βάρος', 'Körpergewicht'),
  bodyTemperature: c('8310-5', 'Body temperature', 'Θερμοκρασία σώματος', 'Körpertemperatur'),
  oxygenSaturation: c(
    '59408-5',
    'Oxygen saturation in Arterial blood by Pulse oximetry',
    'Κορεσμός οξυγόνου',
    'Sauerstoffsättigung',
  ),
  // social history
  tobaccoStatus: c('72166-2', 'Tobacco smoking status', 'Καπνιστική συνήθεια', 'Raucherstatus'),
  // pregnancy
  pregnancyStatus: c('82810-3', 'Pregnancy status', 'Κατάσταση κύησης', 'Schwangerschaftsstatus'),
  deliveryDateEstimated: c(
    '11778-8',
    'Delivery date Estimated',
    'Πιθανή ημερομηνία τοκετού',
    'Errechneter Geburtstermin',
  ),
});

/** Every (system, code) pair of the tables: what a generated bundle may contain. */
export function tableCodes(): Map<string, Set<string>> {
  const codes = new Map<string, Set<string>>([
    [SNOMED, new Set(Object.values(SNOMED_CODES).map((e) => e.code))],
    [ATC, new Set(Object.values(ATC_CODES).map((e) => e.code))],
    [LOINC, new Set(Object.values(LOINC_CODES).map((e) => e.code))],
  ]);
  return codes;
}
