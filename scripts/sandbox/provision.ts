/**
 * Accounts, buckets and the workstation's STS role on a fresh sandbox RGW.
 *
 * - admin: owns the buckets; caps to manage users, roles and user policies.
 * - workstation: no bucket rights of its own; it may only AssumeRole into the emergency role,
 *   whose policy is the whole of what the workstation can do (read `ehr`, write `pending`/`audit`).
 * - patient: the patient-side simulator; writes `ehr`, reads and deletes `pending` (bucket policies).
 *
 * Users and roles are made with radosgw-admin (RGW has no MinIO admin API); buckets and bucket
 * policies with the ordinary S3 client, so the same calls work against MinIO.
 */
import { randomBytes } from 'node:crypto';
import * as Minio from 'minio';
import type { RgwCluster } from './rgw';

export interface S3Keys {
  accessKey: string;
  secretKey: string;
}

export interface BucketNames {
  ehr: string;
  pending: string;
  audit: string;
}

export interface ProvisionedAccounts {
  admin: S3Keys & { uid: string };
  workstation: S3Keys & { uid: string; roleArn: string; roleName: string };
  patient: S3Keys & { uid: string };
  buckets: BucketNames;
}

export const DEFAULT_BUCKETS: BucketNames = { ehr: 'ehr', pending: 'pending', audit: 'audit' };
export const SANDBOX_REGION = 'us-east-1';

const UIDS = { admin: 'sandbox-admin', workstation: 'hcp-workstation', patient: 'patient-simulator' } as const;
const ROLE_NAME = 'hcp-workstation-emergency';
const ROLE_POLICY_NAME = 'emergency-access';

type PolicyDocument = { Version: '2012-10-17'; Statement: Record<string, unknown>[] };

const bucketArn = (bucket: string): string => `arn:aws:s3:::${bucket}`;
const objectsArn = (bucket: string): string => `arn:aws:s3:::${bucket}/*`;
const userArn = (uid: string): string => `arn:aws:iam:::user/${uid}`;

/** Who may assume the emergency role: the workstation account only. */
export function workstationTrustPolicy(workstationUid: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: [userArn(workstationUid)] }, Action: ['sts:AssumeRole'] }],
  };
}

/**
 * Everything the workstation's temporary credentials may do. Multipart uploads need, besides
 * s3:PutObject (create, upload part, complete): abort, list parts, and listing the bucket's
 * in-progress uploads (minio-js looks for one to resume before a streamed upload). That last one
 * shows the keys of unfinished uploads, never their contents.
 */
export function workstationRolePolicy(b: BucketNames): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadRecords', Effect: 'Allow', Action: ['s3:GetObject'], Resource: [objectsArn(b.ehr)] },
      { Sid: 'ListRecords', Effect: 'Allow', Action: ['s3:ListBucket'], Resource: [bucketArn(b.ehr)] },
      {
        Sid: 'WriteAdditionsAndAudit',
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        Resource: [objectsArn(b.pending), objectsArn(b.audit)],
      },
      {
        Sid: 'ResumeMultipart',
        Effect: 'Allow',
        Action: ['s3:ListBucketMultipartUploads'],
        Resource: [bucketArn(b.pending), bucketArn(b.audit)],
      },
    ],
  };
}

/** Bucket policies granting the patient simulator its rights (buckets belong to the admin). */
export function patientBucketPolicies(patientUid: string, b: BucketNames): Record<string, PolicyDocument> {
  const principal = { AWS: [userArn(patientUid)] };
  return {
    [b.ehr]: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PatientWritesRecords',
          Effect: 'Allow',
          Principal: principal,
          Action: [
            's3:GetObject',
            's3:PutObject',
            's3:DeleteObject',
            's3:AbortMultipartUpload',
            's3:ListMultipartUploadParts',
          ],
          Resource: [objectsArn(b.ehr)],
        },
        {
          Sid: 'PatientListsRecords',
          Effect: 'Allow',
          Principal: principal,
          Action: ['s3:ListBucket', 's3:ListBucketMultipartUploads'],
          Resource: [bucketArn(b.ehr)],
        },
      ],
    },
    [b.pending]: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'PatientCollectsAdditions',
          Effect: 'Allow',
          Principal: principal,
          Action: ['s3:GetObject', 's3:DeleteObject'],
          Resource: [objectsArn(b.pending)],
        },
        {
          Sid: 'PatientListsAdditions',
          Effect: 'Allow',
          Principal: principal,
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(b.pending)],
        },
      ],
    },
  };
}

/** Throw-away keys in the usual S3 shapes (20-char access key, 40-char secret). */
export function generateKeys(prefix: string): S3Keys {
  const accessKey = (prefix + randomBytes(20).toString('hex')).toUpperCase().slice(0, 20);
  return { accessKey, secretKey: randomBytes(30).toString('base64url') };
}

/** An S3 client for the sandbox endpoint with static keys. */
export function sandboxS3Client(endpoint: string, keys: S3Keys, region = SANDBOX_REGION): Minio.Client {
  const url = new URL(endpoint);
  return new Minio.Client({
    endPoint: url.hostname,
    port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
    useSSL: url.protocol === 'https:',
    accessKey: keys.accessKey,
    secretKey: keys.secretKey,
    region,
  });
}

export async function provisionRgw(
  cluster: RgwCluster,
  opts: { buckets?: BucketNames; region?: string } = {},
): Promise<ProvisionedAccounts> {
  const buckets = opts.buckets ?? DEFAULT_BUCKETS;
  const region = opts.region ?? SANDBOX_REGION;
  const admin = { uid: UIDS.admin, ...generateKeys('SBADM') };
  const workstationKeys = { uid: UIDS.workstation, ...generateKeys('SBWS') };
  const patient = { uid: UIDS.patient, ...generateKeys('SBPT') };

  const createUser = (u: S3Keys & { uid: string }, displayName: string, extra: string[] = []): Promise<string> =>
    cluster.radosgwAdmin([
      'user',
      'create',
      `--uid=${u.uid}`,
      `--display-name=${displayName}`,
      `--access-key=${u.accessKey}`,
      `--secret-key=${u.secretKey}`,
      ...extra,
    ]);
  // Independent radosgw-admin runs (~0.3 s each, mostly process start-up): run them side by side.
  const createRole = async (): Promise<string> => {
    const roleJson = await cluster.radosgwAdmin([
      'role',
      'create',
      `--role-name=${ROLE_NAME}`,
      '--path=/',
      `--assume-role-policy-doc=${JSON.stringify(workstationTrustPolicy(workstationKeys.uid))}`,
    ]);
    await cluster.radosgwAdmin([
      'role-policy',
      'put',
      `--role-name=${ROLE_NAME}`,
      `--policy-name=${ROLE_POLICY_NAME}`,
      `--policy-doc=${JSON.stringify(workstationRolePolicy(buckets))}`,
    ]);
    return parseRoleArn(roleJson);
  };
  const [roleArn] = await Promise.all([
    createRole(),
    createUser(admin, 'Sandbox administrator', ['--caps=users=*;buckets=*;roles=*;user-policy=*']),
    createUser(workstationKeys, 'HCP Workstation (assumes the emergency role only)'),
    createUser(patient, 'Patient-side simulator'),
  ]);

  const s3 = sandboxS3Client(cluster.endpoint, admin, region);
  for (const bucket of [buckets.ehr, buckets.pending, buckets.audit]) await s3.makeBucket(bucket, region);
  for (const [bucket, policy] of Object.entries(patientBucketPolicies(patient.uid, buckets))) {
    await s3.setBucketPolicy(bucket, JSON.stringify(policy));
  }

  return {
    admin,
    workstation: { ...workstationKeys, roleArn, roleName: ROLE_NAME },
    patient,
    buckets: { ...buckets },
  };
}

function parseRoleArn(json: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`radosgw-admin role create printed no JSON: ${json.slice(0, 200)}`);
  }
  const arn =
    (parsed as { Arn?: unknown; role?: { arn?: unknown } }).Arn ?? (parsed as { role?: { arn?: unknown } }).role?.arn;
  if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new Error(`no role ARN in: ${json.slice(0, 200)}`);
  return arn;
}
