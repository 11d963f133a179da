import { readFileSync } from 'node:fs';
import path from 'node:path';

// The secrets every test shares (tests/peers/secrets.json, also searched for by
// .ci/no-secrets.sh).
const secrets = JSON.parse(
  readFileSync(path.join(__dirname, '../../tests/peers/secrets.json'), 'utf8'),
) as { clientSecret: string; smtpPassword: string; e2eAdminToken: string };

// What the test peers were started with (see tests/peers/peers.mjs), and their control API.
export const peer = {
  tenant: '11111111-2222-4333-8444-555555555555',
  tenantDomain: 'contoso-test.onmicrosoft.com',
  clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  clientSecret: secrets.clientSecret,
  mailbox: 'sender@contoso-test.com',
  smtpUsername: 'relay@contoso-test.com',
  smtpPassword: secrets.smtpPassword,
};

// The app's fixed sign-in token (SMTP_SETUP_ADMIN_TOKEN in playwright.config.ts).
export const adminToken = secrets.e2eAdminToken;

const control = `http://127.0.0.1:${process.env.E2E_CONTROL_PORT ?? '3103'}`;

export interface StoredMessage {
  authUser: string;
  rcptTo: string[];
  from: { address: string; name: string };
  to: string[];
  subject: string;
  text: string;
}

export async function messages(): Promise<StoredMessage[]> {
  const response = await fetch(`${control}/messages`);
  return (await response.json()) as StoredMessage[];
}

export async function clearMessages(): Promise<void> {
  await fetch(`${control}/messages`, { method: 'DELETE' });
}

// Registers a certificate (PEM) on the peers' app, as an upload in the Entra portal does.
export async function registerCertificate(pem: string): Promise<void> {
  const response = await fetch(`${control}/certificates`, { method: 'POST', body: pem });
  if (!response.ok) throw new Error(`the token peer refused the certificate: ${await response.text()}`);
}
