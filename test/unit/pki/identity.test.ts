import { describe, expect, it } from 'vitest';
import { issueCertificate, der } from '../../support/test-ca';
import { classifyRole, clinicianIdentity } from '../../../main/pki';

describe('clinician identity', () => {
  it('reads name, registration number, role, issuer and days to expiry from the subject', () => {
    const now = new Date('2030-01-01T00:00:00Z');
    const ca = issueCertificate({ subject: 'CN=Identity CA, O=Health PKI, C=GR', ca: true, key: ['p256', 700] });
    const cert = issueCertificate({
      subject: 'CN=Dr Maria Papadopoulou, title=Physician, serialNumber=GR-MED-4711, O=General Hospital, C=GR',
      issuer: ca,
      key: ['p256', 701],
      notBefore: new Date('2029-01-01T00:00:00Z'),
      notAfter: new Date('2030-01-31T12:00:00Z'),
    });
    expect(clinicianIdentity(cert.cert, { now })).toMatchObject({
      name: 'Dr Maria Papadopoulou',
      registrationNumber: 'GR-MED-4711',
      role: 'physician',
      roleText: 'Physician',
      issuer: 'CN=Identity CA, O=Health PKI, C=GR',
      daysToExpiry: 30,
    });
  });

  it('takes the role from OU, or from a configured extension, and the name from GN/SN without CN', () => {
    const nurse = issueCertificate({ subject: 'GN=Anna, SN=Nikolaou, OU=Nursing staff, O=H', key: ['p256', 702] });
    expect(clinicianIdentity(nurse.cert)).toMatchObject({
      name: 'Anna Nikolaou',
      role: 'nurse',
      registrationNumber: null,
    });
    const roleOid = '1.3.6.1.4.1.99999.7';
    const para = issueCertificate({
      subject: 'CN=Kostas, OU=Ambulance service, O=EKAB',
      key: ['p256', 703],
      extensions: [{ oid: roleOid, value: der.der(der.utf8('Διασώστης')) }],
    });
    expect(clinicianIdentity(para.cert, { roleExtensionOid: roleOid })).toMatchObject({
      role: 'paramedic',
      roleText: 'Διασώστης',
    });
    const regOid = '1.3.6.1.4.1.99999.8';
    const reg = issueCertificate({
      subject: 'CN=Dr Reg',
      key: ['p256', 704],
      extensions: [{ oid: regOid, value: der.der(der.seq(der.printable('REG-99'))) }],
    });
    expect(clinicianIdentity(reg.cert, { registrationOid: regOid }).registrationNumber).toBe('REG-99');
  });

  it('classifies roles in English and Greek', () => {
    expect(classifyRole('Νοσηλεύτρια')).toBe('nurse');
    expect(classifyRole('Ιατρός')).toBe('physician');
    expect(classifyRole('EMT')).toBe('paramedic');
    expect(classifyRole('Pharmacist')).toBe('pharmacist');
    expect(classifyRole('Radiographer')).toBe('other');
    expect(classifyRole(null)).toBe('other');
  });
});
