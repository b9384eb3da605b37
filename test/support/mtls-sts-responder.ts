/**
 * A local stand-in for MinIO's STS AssumeRoleWithCertificate endpoint (minio/minio docs/sts/tls.md):
 * node:https with requestCert, a throw-away test CA, and MinIO's documented XML answers. It
 * records, per request, whether a client certificate was presented and verified against the CA.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import forge from 'node-forge';

export interface TestIdentity {
  certificatePem: string;
  privateKeyPem: string;
}

export interface TestCa {
  certificatePem: string;
  issue(commonName: string, usage: 'server' | 'client'): TestIdentity;
}

/** A CA with RSA keys made by node:crypto (fast) and certificates built with node-forge. */
export function createTestCa(commonName: string): TestCa {
  const caKeys = rsaKeys();
  const caCert = forge.pki.createCertificate();
  caCert.publicKey = caKeys.publicKey;
  caCert.serialNumber = serial();
  setValidity(caCert);
  const caName = [{ name: 'commonName', value: commonName }];
  caCert.setSubject(caName);
  caCert.setIssuer(caName);
  caCert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
  ]);
  caCert.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    certificatePem: forge.pki.certificateToPem(caCert),
    issue(cn, usage) {
      const keys = rsaKeys();
      const cert = forge.pki.createCertificate();
      cert.publicKey = keys.publicKey;
      cert.serialNumber = serial();
      setValidity(cert);
      cert.setSubject([{ name: 'commonName', value: cn }]);
      cert.setIssuer(caCert.subject.attributes);
      cert.setExtensions([
        { name: 'basicConstraints', cA: false },
        { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
        usage === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
        ...(usage === 'server'
          ? [
              {
                name: 'subjectAltName',
                altNames: [
                  { type: 7, ip: '127.0.0.1' },
                  { type: 2, value: 'localhost' },
                ],
              },
            ]
          : []),
      ]);
      cert.sign(caKeys.privateKey, forge.md.sha256.create());
      return { certificatePem: forge.pki.certificateToPem(cert), privateKeyPem: keys.privateKeyPem };
    },
  };
}

function rsaKeys() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const forgeKey = forge.pki.privateKeyFromPem(privateKeyPem);
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), privateKeyPem };
}

function serial(): string {
  // Positive: the top bit clear.
  const bytes = randomBytes(12);
  bytes[0]! &= 0x7f;
  return bytes.toString('hex');
}

function setValidity(cert: forge.pki.Certificate): void {
  cert.validity.notBefore = new Date(Date.now() - 60 * 60 * 1000);
  cert.validity.notAfter = new Date(Date.now() + 24 * 60 * 60 * 1000);
}

export interface SeenRequest {
  method: string;
  url: string;
  /** A client certificate chaining to the responder's CA was presented. */
  authorized: boolean;
  /** Common name of the presented client certificate, verified or not. */
  clientCommonName: string | null;
}

export type Respond = (req: IncomingMessage, res: ServerResponse, seen: SeenRequest) => void;

export interface MtlsStsResponder {
  /** e.g. https://127.0.0.1:43210/ */
  url: string;
  /** The CA that issued the server certificate and accepted client certificates. */
  ca: TestCa;
  /** A clinician certificate the responder accepts. */
  clinician: TestIdentity;
  requests: SeenRequest[];
  respond: Respond;
  close(): Promise<void>;
}

/** MinIO's documented success answer. */
export function minioCertificateResponse(credentials: {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<AssumeRoleWithCertificateResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
   <AssumeRoleWithCertificateResult>
      <Credentials>
         <AccessKeyId>${credentials.accessKeyId}</AccessKeyId>
         <SecretAccessKey>${credentials.secretAccessKey}</SecretAccessKey>
         <Expiration>${credentials.expiration.toISOString().replace(/\.\d{3}Z$/, 'Z')}</Expiration>
         <SessionToken>${credentials.sessionToken}</SessionToken>
      </Credentials>
   </AssumeRoleWithCertificateResult>
   <ResponseMetadata>
      <RequestId>169339CD8B3A6948</RequestId>
   </ResponseMetadata>
</AssumeRoleWithCertificateResponse>`;
}

/** MinIO's STS error answer shape. */
export function minioStsError(code: string, message: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type></Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>169339CD8B3A6948</RequestId></ErrorResponse>`;
}

/** Default behaviour: like MinIO, refuse without a verified client certificate, else issue credentials. */
export const respondLikeMinio: Respond = (_req, res, seen) => {
  res.setHeader('content-type', 'application/xml');
  if (!seen.authorized) {
    res.writeHead(403);
    res.end(minioStsError('AccessDenied', 'Access denied: no valid client certificate'));
    return;
  }
  res.writeHead(200);
  res.end(
    minioCertificateResponse({
      accessKeyId: 'YC12ZBHUVW588BQAE5BM',
      secretAccessKey: 'Zgl9+zdE0pZ88+hLqtfh0ocLN+WQTJixHouCkZkW',
      sessionToken: 'eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.test',
      expiration: new Date(Date.now() + 15 * 60 * 1000),
    }),
  );
};

export async function startMtlsStsResponder(): Promise<MtlsStsResponder> {
  const ca = createTestCa('HCP Test CA');
  const serverIdentity = ca.issue('localhost', 'server');
  const clinician = ca.issue('Dr Test Clinician', 'client');
  const requests: SeenRequest[] = [];
  const state: MtlsStsResponder = {
    url: '',
    ca,
    clinician,
    requests,
    respond: respondLikeMinio,
    close: async () => {},
  };
  const server: Server = createServer(
    {
      key: serverIdentity.privateKeyPem,
      cert: serverIdentity.certificatePem,
      ca: [ca.certificatePem],
      requestCert: true,
      // Let the handshake finish without a (valid) certificate so the answer can say why, as MinIO does.
      rejectUnauthorized: false,
    },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      const cn = peer && peer.subject ? (peer.subject.CN as string | undefined) : undefined;
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        authorized: socket.authorized,
        clientCommonName: cn ?? null,
      };
      requests.push(seen);
      req.resume();
      req.on('end', () => state.respond(req, res, seen));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return state;
}
