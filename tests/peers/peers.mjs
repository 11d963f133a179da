// Independent test peers for smtp-setup, all on 127.0.0.1:
//  - an OAuth2 token server (oauth2-mock-server) answering on /{tenant}/oauth2/v2.0/token
//    with Entra-shaped tokens and Entra-shaped JSON errors;
//  - an SMTP server (smtp-server) with STARTTLS and AUTH XOAUTH2 that verifies the token's
//    signature against the token server's JWKS, its audience and its SMTP.SendAsApp role,
//    and keeps every accepted message;
//    It refuses, as Exchange Online does, an envelope sender (MAIL FROM) other than the
//    mailbox the token signed in as (`550 5.7.60`), unless PEER_SEND_AS grants it;
//  - a small control API: GET /messages, DELETE /messages, GET /stats (token requests,
//    AUTH attempts, SMTP connections made and open now), GET /healthz,
//    GET /token-requests (when each token request arrived, in ms since the peers started),
//    POST /certificates (a PEM body: register a certificate on the app), DELETE
//    /certificates, POST /secret-expired (the client secret is refused as expired from now
//    on), DELETE /secret-expired, POST /data-hold (from now on the reply to each message's
//    final dot waits, counted in GET /stats `heldReplies`) and DELETE /data-hold (the
//    waiting replies are given, and no more wait).
// On start it prints one JSON line with the addresses, then runs until killed.
//
// Settings (environment): PEER_TENANT, PEER_TENANT_DOMAIN, PEER_CLIENT_ID, PEER_CLIENT_SECRET,
// PEER_MAILBOX, PEER_TOKEN_PORT, PEER_SMTP_PORT, PEER_CONTROL_PORT (0 = any free port),
// PEER_DIR (where the test CA and server certificate are made, or reused when present),
// PEER_PREPARE_ONLY=1 (make the certificates and exit), PEER_STAY=1 (ignore stdin closing),
// PEER_AUTH_FAILURE=challenge (refuse AUTH with a 334 error challenge before the 535),
// PEER_TOKEN_ROLES (comma-separated roles in issued tokens; default SMTP.SendAsApp),
// PEER_TOKEN_FAILURES (e.g. "429,503": statuses of the first token requests),
// PEER_TOKEN_RETRY_AFTER (seconds in a scripted 429's Retry-After; default 1),
// PEER_SMTP_REJECT_AUTH (e.g. "2": which AUTH attempts to refuse; a token refused so is
// refused again whenever it comes back),
// PEER_SEND_AS (comma-separated envelope senders the mailbox has SendAs on, besides itself),
// PEER_SMTP_USERNAME / PEER_SMTP_PASSWORD (the account for AUTH PLAIN and LOGIN),
// PEER_BASIC_AUTH_DISABLED=1 (refuse PLAIN/LOGIN as Exchange does: 535 5.7.139),
// PEER_STRICT_LINES=1 (refuse command lines over RFC 5321's 512 octets, as strict servers do),
// PEER_SMTP_CERT_SAN (the server certificate's subjectAltName; default localhost, 127.0.0.1),
// PEER_SELF_SIGNED=1 (the servers present a self-signed certificate marked as a CA, as
// `openssl req -x509` makes it; `caFile` is then that certificate itself),
// PEER_SMTPS_PORT (the implicit-TLS server's port), PEER_AUTH_METHODS (offered AUTH mechanisms),
// PEER_TOKEN_AUDIENCE (the issued tokens' aud), PEER_TOKEN_EXPIRED=1 (tokens already expired),
// PEER_SMTP_AUTH_REPLY / PEER_SMTP_MAIL_REPLY / PEER_SMTP_RCPT_REPLY / PEER_SMTP_DATA_REPLY
// ("code|text": Exchange's words at AUTH, MAIL FROM, RCPT TO, or at the end of DATA,
// whatever was sent), PEER_SMTP_DATA_REPLY_TIMES (only the first N DATA get
// that scripted reply; later ones are accepted),
// PEER_SMTP_CONNECTION_LIMIT (as Exchange Online's "up to three concurrent connections"
// per mailbox: a connection opened while N others are open is refused at MAIL FROM with
// 432 4.3.2; GET /stats counts those refusals and the most connections ever open at once),
// PEER_KEEP=count (the benchmarks' sink: each message read to its end and counted, in
// GET /stats `received` and `receivedBytes`, neither parsed nor kept; the sender rule is
// not checked then),
// PEER_CLIENT_CERTIFICATES (comma-separated PEM files: certificates registered on the app,
// whose keys may sign client assertions; more with POST /certificates),
// PEER_GRAPH_PORT (Microsoft Graph's `GET /v1.0/applications(appId='…')`, answering with
// the app's password credentials: the peers' secret, hint = its first three characters,
// ending PEER_SECRET_END; its address is `graph`), PEER_GRAPH_ROLES (the roles of issued
// Graph tokens; default Application.Read.All, empty: none, as without that permission),
// PEER_IMAP=1 (also dovecot, an IMAP server with implicit TLS validating the tokens, whose
// INBOX holds PEER_IMAP_MESSAGES messages, default 3, on PEER_IMAP_PORT; its address is
// `imaps`; POST /mailbox on the control API delivers a message into that INBOX, GET
// /mailbox lists its files with their maildir flags). Always: an application's webhook
// endpoint over HTTPS (webhooks.mjs) at `webhooks`; POST /webhook-secret on the control
// API gives it the signing secret to verify with, GET /webhooks lists what it received.

import { execFileSync } from 'node:child_process';
import { constants as cryptoConstants, createHash, randomUUID, verify as verifySignature, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { createRemoteJWKSet, jwtVerify } from 'jose';
import { simpleParser } from 'mailparser';
import { OAuth2Server } from 'oauth2-mock-server';
import { SMTPServer } from 'smtp-server';
import sasl from 'smtp-server/lib/sasl.js';

import { startDovecot } from './dovecot.mjs';
import { startWebhookReceiver } from './webhooks.mjs';

// The secrets every test shares, in one file that `.ci/no-secrets.sh` searches for too.
const SECRETS = JSON.parse(readFileSync(new URL('./secrets.json', import.meta.url), 'utf8'));

export const DEFAULTS = {
  tenant: '11111111-2222-4333-8444-555555555555',
  tenantDomain: 'contoso-test.onmicrosoft.com',
  clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  clientSecret: SECRETS.clientSecret,
  mailbox: 'sender@contoso-test.com',
  smtpUsername: 'relay@contoso-test.com',
  smtpPassword: SECRETS.smtpPassword,
};

// The Exchange resource of the cloud the peers play (PEER_EXCHANGE_RESOURCE for a national cloud).
const EXCHANGE_RESOURCE = process.env.PEER_EXCHANGE_RESOURCE || 'https://outlook.office365.com';
const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const SECRET_END = process.env.PEER_SECRET_END || '2027-05-31T10:00:00Z';
const env = process.env;
const config = {
  tenant: env.PEER_TENANT || DEFAULTS.tenant,
  tenantDomain: env.PEER_TENANT_DOMAIN || DEFAULTS.tenantDomain,
  clientId: env.PEER_CLIENT_ID || DEFAULTS.clientId,
  clientSecret: env.PEER_CLIENT_SECRET || DEFAULTS.clientSecret,
  mailbox: env.PEER_MAILBOX || DEFAULTS.mailbox,
  smtpUsername: env.PEER_SMTP_USERNAME || DEFAULTS.smtpUsername,
  smtpPassword: env.PEER_SMTP_PASSWORD || DEFAULTS.smtpPassword,
};
const host = '127.0.0.1';

// A private CA and a server certificate it signed, as a real deployment with an internal
// CA would have; the app trusts the CA through SMTP_SETUP_CA_FILE.
function certificate() {
  const dir = env.PEER_DIR || mkdtempSync(path.join(tmpdir(), 'smtp-setup-peers-'));
  const defaultSan = 'DNS:localhost,IP:127.0.0.1';
  const san = env.PEER_SMTP_CERT_SAN || defaultSan;
  // One certificate per subjectAltName, all signed by the same CA.
  const suffix = san === defaultSan ? '' : `-${san.replace(/[^A-Za-z0-9]/g, '_')}`;
  const run = (args) => execFileSync('openssl', args, { stdio: 'ignore' });
  // PEER_SELF_SIGNED=1: no CA at all, a self-signed server certificate as
  // `openssl req -x509` makes it (marked as a CA), trusted by giving that very file.
  if (env.PEER_SELF_SIGNED === '1') {
    mkdirSync(dir, { recursive: true });
    const certFile = path.join(dir, `self-signed${suffix}.pem`);
    const keyFile = path.join(dir, `self-signed-key${suffix}.pem`);
    if (![certFile, keyFile].every(existsSync)) {
      run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile,
        '-days', '30', '-subj', '/CN=localhost', '-addext', `subjectAltName=${san}`]);
    }
    return { caFile: certFile, certFile, keyFile };
  }
  const caFile = path.join(dir, 'ca.pem');
  const certFile = path.join(dir, `cert${suffix}.pem`);
  const keyFile = path.join(dir, `key${suffix}.pem`);
  if ([caFile, certFile, keyFile].every(existsSync)) return { caFile, certFile, keyFile };
  mkdirSync(dir, { recursive: true });
  const caKey = path.join(dir, 'ca.key');
  const csr = path.join(dir, `server${suffix}.csr`);
  const ext = path.join(dir, `server${suffix}.ext`);
  if (!existsSync(caFile) || !existsSync(caKey)) run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', caKey, '-out', caFile,
    '-days', '30', '-subj', '/CN=smtp-setup test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', csr, '-subj', '/CN=localhost']);
  writeFileSync(ext, `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n`);
  run(['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-CAcreateserial',
    '-out', certFile, '-days', '30', '-extfile', ext]);
  return { caFile, certFile, keyFile };
}

function entraError(status, error, code, description) {
  const traceId = randomUUID();
  const correlationId = randomUUID();
  const timestamp = new Date().toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  return {
    statusCode: status,
    body: {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
      error_codes: [code],
      timestamp,
      trace_id: traceId,
      correlation_id: correlationId,
      error_uri: `https://login.microsoftonline.com/error?code=${code}`,
    },
  };
}

// The certificates registered on the app (Certificates & secrets → Certificates).
const registered = (env.PEER_CLIENT_CERTIFICATES ?? '').split(',').filter(Boolean)
  .map((file) => new X509Certificate(readFileSync(file)));
// Set by POST /secret-expired: the secret is past its end date.
const secretState = { expired: false };

const base64url = (text) => Buffer.from(text, 'base64url');

// How many requests carried each client assertion's jti.
const usedAssertions = new Map();
function assertionJti(assertion) {
  try {
    return JSON.parse(base64url(String(assertion ?? '').split('.')[1] ?? '').toString('utf8')).jti ?? null;
  } catch {
    return null;
  }
}

// A client assertion checked as Entra does (RFC 7523): the certificate named by its
// x5t#S256 (or x5t) header must be registered, the signature must verify with that
// certificate's key (RS256 or PS256), aud must be this token endpoint, iss and sub the
// client ID, and the time now within nbf..exp.
function assertionVerdict(req, body) {
  const appHint = `Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${config.clientId}'.`;
  if (body.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') {
    return entraError(400, 'invalid_request', 700020, 'The client assertion type is not supported.');
  }
  const parts = String(body.client_assertion ?? '').split('.');
  let header;
  let claims;
  try {
    header = JSON.parse(base64url(parts[0]).toString('utf8'));
    claims = JSON.parse(base64url(parts[1]).toString('utf8'));
  } catch {
    return entraError(400, 'invalid_request', 50027, 'JWT token is invalid or malformed.');
  }
  const sha256 = header['x5t#S256'] ? base64url(header['x5t#S256']).toString('hex').toUpperCase() : null;
  const sha1 = header.x5t ? base64url(header.x5t).toString('hex').toUpperCase() : null;
  const thumbprint = (cert, algorithm) => cert[algorithm].replaceAll(':', '');
  const certificate = registered.find((cert) => (sha256 && thumbprint(cert, 'fingerprint256') === sha256)
    || (!sha256 && sha1 && thumbprint(cert, 'fingerprint') === sha1));
  if (!certificate) {
    return entraError(401, 'invalid_client', 700027,
      `Client assertion failed signature validation. [Reason - The key was not found., Thumbprint of key used by client: '${sha1 ?? ''}', ${appHint}]`);
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  const signature = base64url(parts[2] ?? '');
  const key = certificate.publicKey;
  const valid = header.alg === 'PS256'
    ? verifySignature('sha256', signed, { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature)
    : header.alg === 'RS256' && verifySignature('sha256', signed, key, signature);
  if (!valid) {
    return entraError(401, 'invalid_client', 700027,
      `Client assertion contains an invalid signature. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${sha1 ?? ''}', Found key 'Start=01/01/2026 00:00:00, End=01/01/2030 00:00:00', ${appHint}]`);
  }
  const tokenUrl = `${issuer.url}/${req.params?.tenant}/oauth2/v2.0/token`;
  if (claims.aud !== tokenUrl) {
    return entraError(401, 'invalid_client', 700021, `Client assertion audience claim does not match Realm issuer. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
  }
  if (claims.iss !== config.clientId || claims.sub !== config.clientId) {
    return entraError(401, 'invalid_client', 700023, 'Client assertion issuer and subject must be the client ID.');
  }
  // A strict server accepts an assertion once (RFC 7523 section 3, item 7: jti) and
  // only with a short life; Entra does not document its code for a replay, so the
  // peer says it in its own words.
  if (typeof claims.jti !== 'string' || claims.jti === '' || usedAssertions.get(claims.jti) > 1) {
    return entraError(401, 'invalid_client', 50013,
      `Assertion failed signature validation. [Reason - the assertion's jti ${JSON.stringify(claims.jti ?? null)} was used before: sign a new assertion for every request.]`);
  }
  if (!(Number(claims.exp) - Number(claims.nbf ?? 0) <= 10 * 60)) {
    return entraError(401, 'invalid_client', 700024,
      'Client assertion is not within its valid time range: its lifetime (exp - nbf) is over 10 minutes.');
  }
  const now = Math.floor(Date.now() / 1000);
  const skew = 5 * 60;
  if (!(Number(claims.nbf ?? 0) <= now + skew && now - skew < Number(claims.exp))) {
    const at = (seconds) => new Date(Number(seconds) * 1000).toUTCString();
    return entraError(401, 'invalid_client', 700024,
      `Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, assertion valid from ${at(claims.nbf)}, expiry time of assertion ${at(claims.exp)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`);
  }
  return null;
}

// What Entra ID would answer for this request, or null when it would issue a token.
function entraVerdict(req) {
  const tenant = String(req.params?.tenant ?? '').toLowerCase();
  const body = req.body ?? {};
  if (tenant !== config.tenant && tenant !== config.tenantDomain) {
    return entraError(400, 'invalid_request', 90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`);
  }
  if (body.grant_type !== 'client_credentials') {
    return entraError(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
  }
  if (body.client_id !== config.clientId) {
    return entraError(400, 'unauthorized_client', 700016,
      `Application with identifier '${body.client_id}' was not found in the directory 'Contoso Test'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`);
  }
  if (body.client_assertion !== undefined || body.client_assertion_type !== undefined) {
    const refused = assertionVerdict(req, body);
    if (refused) return refused;
    return scopeVerdict(body);
  }
  // PEER_SECRET_PREFIX: also accept any secret with this prefix (the benchmark uses a new
  // secret per send to measure uncached token requests).
  const prefix = env.PEER_SECRET_PREFIX;
  const accepted = body.client_secret === config.clientSecret
    || (prefix && String(body.client_secret ?? '').startsWith(prefix));
  if (!accepted) {
    return entraError(401, 'invalid_client', 7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${config.clientId}'.`);
  }
  if (secretState.expired) {
    return entraError(401, 'invalid_client', 7000222,
      `The provided client secret keys for app '${config.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`);
  }
  return scopeVerdict(body);
}

function scopeVerdict(body) {
  if (body.scope !== `${EXCHANGE_RESOURCE}/.default` && body.scope !== `${GRAPH_RESOURCE}/.default`) {
    return entraError(400, 'invalid_scope', 1002012, `The provided value for scope ${body.scope} is not valid.`);
  }
  return null;
}

async function startTokenServer() {
  const server = new OAuth2Server(undefined, undefined, {
    endpoints: { token: '/:tenant/oauth2/v2.0/token', jwks: '/discovery/v2.0/keys' },
  });
  await server.issuer.keys.generate('RS256');
  server.service.on('beforeTokenSigning', (token, req) => {
    Object.assign(token.payload, {
      aud: EXCHANGE_RESOURCE,
      tid: config.tenant,
      appid: req.body?.client_id,
      // PEER_TOKEN_ROLES: comma-separated roles (empty: none, as without admin consent).
      roles: env.PEER_TOKEN_ROLES === undefined
        ? ['SMTP.SendAsApp', 'IMAP.AccessAsApp']
        : env.PEER_TOKEN_ROLES.split(',').filter(Boolean),
      sub: randomUUID(),
      // Not in Entra's app-only tokens: dovecot needs it to name the user it validates.
      email: config.mailbox,
    });
    if (req.body?.scope === `${GRAPH_RESOURCE}/.default`) {
      token.payload.aud = GRAPH_RESOURCE;
      token.payload.roles = env.PEER_GRAPH_ROLES === undefined
        ? ['Application.Read.All']
        : env.PEER_GRAPH_ROLES.split(',').filter(Boolean);
    }
    if (env.PEER_TOKEN_AUDIENCE) token.payload.aud = env.PEER_TOKEN_AUDIENCE;
    if (env.PEER_TOKEN_EXPIRED === '1') token.payload.exp = Math.floor(Date.now() / 1000) - 120;
    delete token.payload.scope;
  });
  server.service.on('beforeResponse', (response, req) => {
    stats.tokenRequests += 1;
    tokenRequestTimes.push(performance.now());
    // Every assertion that reached the endpoint counts as used, even when the request
    // then failed (a scripted 503): a retry must sign a new one.
    const jti = assertionJti(req.body?.client_assertion);
    if (jti) usedAssertions.set(jti, (usedAssertions.get(jti) ?? 0) + 1);
    // PEER_TOKEN_FAILURES="429,503": the first requests fail with these statuses.
    const scripted = (env.PEER_TOKEN_FAILURES ?? '').split(',').filter(Boolean)[stats.tokenRequests - 1];
    if (scripted) {
      const status = Number(scripted);
      if (status === 429) req.res?.set('Retry-After', env.PEER_TOKEN_RETRY_AFTER || '1');
      response.statusCode = status;
      response.body = entraError(status, status === 429 ? 'temporarily_unavailable' : 'server_error', 90033,
        'A transient error has occurred. Please try again.').body;
      return;
    }
    const verdict = entraVerdict(req);
    if (verdict) {
      response.statusCode = verdict.statusCode;
      response.body = verdict.body;
    } else {
      delete response.body.scope;
    }
  });
  await server.start(Number(env.PEER_TOKEN_PORT || 0), host);
  // The library names its issuer "localhost"; use the address it really listens on.
  server.issuer.url = `http://${host}:${server.address().port}`;
  issuer.url = server.issuer.url;
  return server;
}

function smtpError(code, message) {
  const error = new Error(message);
  error.responseCode = code;
  return error;
}

// A strict server limits command lines to 512 octets (RFC 5321 section 4.5.3.1.4), so an
// XOAUTH2 token must come after the 334 challenge (RFC 4954 section 4).
if (env.PEER_STRICT_LINES === '1') {
  const inline = sasl.SASL_XOAUTH2;
  sasl.SASL_XOAUTH2 = function strictXoauth2(args, callback) {
    if (args.length && `AUTH XOAUTH2 ${args[0]}\r\n`.length > 512) {
      stats.longLines += 1;
      this.send(500, '5.5.2 Line too long');
      return callback();
    }
    return inline.call(this, args, callback);
  };
}

// "535|5.7.139 Authentication unsuccessful, ..." → an error smtp-server answers with.
function scriptedReply(spec) {
  if (!spec) return null;
  const [code, ...text] = spec.split('|');
  return smtpError(Number(code), text.join('|'));
}

// The addresses the signed-in mailbox may send as: itself and PEER_SEND_AS (lower case).
function sendAs(session) {
  return [String(session.user).toLowerCase(),
    ...(env.PEER_SEND_AS ?? '').split(',').filter(Boolean).map((a) => a.toLowerCase())];
}

async function startSmtpServer({ certFile, keyFile }, issuerUrl, messages, secure) {
  let dataCount = 0;
  const jwks = createRemoteJWKSet(new URL(`${issuerUrl}/discovery/v2.0/keys`));
  const server = new SMTPServer({
    secure,
    key: readFileSync(keyFile),
    cert: readFileSync(certFile),
    // PEER_AUTH_METHODS="XOAUTH2,LOGIN": what the server offers (Exchange offers these two).
    authMethods: (env.PEER_AUTH_METHODS || 'XOAUTH2,PLAIN,LOGIN').split(','),
    authOptional: false,
    allowInsecureAuth: false,
    // Exchange's own texts carry their enhanced codes; do not prefix a second one.
    hideENHANCEDSTATUSCODES: true,
    banner: 'smtp-setup test peer (Exchange-like)',
    // Exchange Online's default limit (35 MB), so the relay's largest messages pass.
    size: 36 * 1024 * 1024,
    logger: false,
    onConnect(session, callback) {
      stats.connections += 1;
      stats.openConnections += 1;
      stats.maxOpenConnections = Math.max(stats.maxOpenConnections, stats.openConnections);
      openSessions.add(session.id);
      // Which connection of the peer's life (1, 2, …) each message came over.
      connectionNumbers.set(session.id, stats.connections);
      return callback();
    },
    onClose(session) {
      stats.openConnections -= 1;
      openSessions.delete(session.id);
    },
    // Exchange Online refuses an envelope sender the signed-in mailbox may not use at
    // MAIL FROM: "550 5.7.60 SMTP; Client does not have permissions to send as this
    // sender". A username-and-password account is another server's: not checked.
    onMailFrom(address, session, callback) {
      const scriptedMail = scriptedReply(env.PEER_SMTP_MAIL_REPLY);
      if (scriptedMail) return callback(scriptedMail);
      const limit = Number(env.PEER_SMTP_CONNECTION_LIMIT || 0);
      // The connections opened first keep their place; a later one is the one too many.
      if (limit > 0 && [...openSessions].indexOf(session.id) >= limit) {
        stats.connectionLimitRefusals += 1;
        return callback(smtpError(432, '4.3.2 Concurrent connections limit exceeded. Visit https://aka.ms/concurrent_sending for more information.'));
      }
      const password = session.user === config.smtpUsername;
      if (!password && !sendAs(session).includes(String(address.address).toLowerCase())) {
        return callback(smtpError(550, '5.7.60 SMTP; Client does not have permissions to send as this sender'));
      }
      return callback();
    },
    onRcptTo(address, session, callback) {
      const scriptedRcpt = scriptedReply(env.PEER_SMTP_RCPT_REPLY);
      return scriptedRcpt ? callback(scriptedRcpt) : callback();
    },
    async onAuth(auth, session, callback) {
      stats.authAttempts += 1;
      // PEER_SMTP_REJECT_AUTH="2": refuse these AUTH attempts (1-based) whatever the token.
      const rejected = (env.PEER_SMTP_REJECT_AUTH ?? '').split(',').filter(Boolean).map(Number);
      // Exchange answers a bad token with 535 at once; other servers (and RFC 7628's
      // OAUTHBEARER) first send an error challenge: PEER_AUTH_FAILURE=challenge does that.
      const refuse = () => (env.PEER_AUTH_FAILURE === 'challenge'
        ? callback(null, { data: { status: '401', schemes: 'bearer', scope: `${EXCHANGE_RESOURCE}/.default` } })
        : callback(smtpError(535, '5.7.3 Authentication unsuccessful [test-peer]')));
      // A refused token stays refused (as a revoked one would): a client that sends it
      // again is refused again, whatever the attempt's number.
      if (auth.method === 'XOAUTH2' && revokedTokens.has(auth.accessToken)) return refuse();
      if (rejected.includes(stats.authAttempts)) {
        if (auth.method === 'XOAUTH2') revokedTokens.add(auth.accessToken);
        return refuse();
      }
      const scriptedAuth = scriptedReply(env.PEER_SMTP_AUTH_REPLY);
      if (scriptedAuth) return callback(scriptedAuth);
      if (auth.method === 'PLAIN' || auth.method === 'LOGIN') {
        if (env.PEER_BASIC_AUTH_DISABLED === '1') {
          return callback(smtpError(535, '5.7.139 Authentication unsuccessful, basic authentication is disabled. [test-peer]'));
        }
        const ok = auth.username === config.smtpUsername && auth.password === config.smtpPassword;
        return ok ? callback(null, { user: auth.username })
          : callback(smtpError(535, '5.7.8 Authentication credentials invalid [test-peer]'));
      }
      if (auth.method !== 'XOAUTH2') return refuse();
      try {
        const { payload } = await jwtVerify(auth.accessToken, jwks, {
          audience: EXCHANGE_RESOURCE,
          issuer: issuerUrl,
        });
        const roles = Array.isArray(payload.roles) ? payload.roles : [];
        if (!roles.includes('SMTP.SendAsApp') || payload.appid !== config.clientId) return refuse();
        if (String(auth.username).toLowerCase() !== config.mailbox.toLowerCase()) return refuse();
        return callback(null, { user: auth.username });
      } catch {
        return refuse();
      }
    },
    onData(stream, session, given) {
      // While POST /data-hold holds them, the replies to the final dot wait.
      const callback = (...reply) => {
        if (!dataHold.on) return given(...reply);
        dataHold.waiting.push(() => given(...reply));
        stats.heldReplies = dataHold.waiting.length;
        return undefined;
      };
      dataCount += 1;
      const times = env.PEER_SMTP_DATA_REPLY_TIMES ? Number(env.PEER_SMTP_DATA_REPLY_TIMES) : Infinity;
      const scriptedData = dataCount <= times ? scriptedReply(env.PEER_SMTP_DATA_REPLY) : null;
      if (scriptedData) {
        // Read the whole message first: the reply comes at the end of DATA, as Exchange's does.
        stream.on('end', () => callback(scriptedData));
        stream.resume();
        return;
      }
      if (env.PEER_KEEP === 'count') {
        let bytes = 0;
        stream.on('data', (chunk) => { bytes += chunk.length; });
        stream.on('end', () => {
          stats.received += 1;
          stats.receivedBytes += bytes;
          callback(null, 'Queued');
        });
        return;
      }
      const chunks = [];
      stream.on('data', (chunk) => chunks.push(chunk));
      const whole = new Promise((resolve, reject) => {
        stream.on('end', () => resolve(Buffer.concat(chunks)));
        stream.on('error', reject);
      });
      // An address list's addresses, groups opened (`undisclosed-recipients:;` has none).
      const addresses = (header) => (header?.value ?? []).flatMap((a) => a.group ?? [a]).map((a) => a.address);
      whole.then((raw) => simpleParser(raw, {}).then((mail) => ({ mail, raw }))).then(({ mail, raw }) => {
        const from = mail.from?.value?.[0];
        const password = session.user === config.smtpUsername;
        if (!from || (!password && !sendAs(session).includes(String(from.address).toLowerCase()))) {
          return callback(smtpError(554, `5.2.252 SendAsDenied; ${session.user} not allowed to send as ${from?.address}`));
        }
        messages.push({
          authUser: session.user,
          mailFrom: session.envelope.mailFrom?.address,
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          from: { address: from.address, name: from.name },
          to: addresses(mail.to),
          subject: mail.subject,
          messageId: mail.messageId ?? null,
          text: mail.text,
          html: mail.html || null,
          cc: addresses(mail.cc),
          bcc: addresses(mail.bcc),
          replyTo: mail.replyTo?.value?.[0]?.address ?? null,
          // The header names as they came, in order (lower case).
          headerNames: mail.headerLines.map((h) => h.key),
          // The message as it arrived, dot-unstuffed: its SHA-256 in hex.
          sha256: createHash('sha256').update(raw).digest('hex'),
          secure: session.secure,
          connection: connectionNumbers.get(session.id) ?? 0,
        });
        stats.received += 1;
        stats.receivedBytes += raw.length;
        return callback(null, 'Queued');
      }, (error) => callback(smtpError(451, `4.3.0 ${error.message}`)));
    },
  });
  // A client that aborts its TLS handshake is an ordinary event for a server.
  server.on('error', (error) => process.stderr.write(`smtp peer: ${error.message}\n`));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    const port = secure ? env.PEER_SMTPS_PORT : env.PEER_SMTP_PORT;
    server.listen(Number(port || 0), host, resolve);
  });
  return server;
}

// Microsoft Graph, for one request: the application's password credentials, to a token
// for Graph with Application.Read.All, as Graph answers it (and refuses it).
async function startGraph(issuerUrl) {
  const jwks = createRemoteJWKSet(new URL(`${issuerUrl}/discovery/v2.0/keys`));
  const graphError = (res, status, code, message) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { code, message, innerError: { 'request-id': randomUUID() } } }));
  };
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://graph');
    const match = /^\/v1\.0\/applications\(appId='([^']*)'\)$/.exec(decodeURIComponent(url.pathname));
    if (req.method !== 'GET' || !match) return graphError(res, 400, 'BadRequest', 'Invalid request.');
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    let payload;
    try {
      ({ payload } = await jwtVerify(bearer?.[1] ?? '', jwks, { audience: GRAPH_RESOURCE, issuer: issuerUrl }));
    } catch {
      return graphError(res, 401, 'InvalidAuthenticationToken', 'Access token validation failure. Invalid audience.');
    }
    if (!(payload.roles ?? []).includes('Application.Read.All')) {
      return graphError(res, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
    }
    if (match[1] !== config.clientId) {
      return graphError(res, 404, 'Request_ResourceNotFound', `Resource '${match[1]}' does not exist or one of its queried reference-property objects are not present.`);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#applications(passwordCredentials)/$entity',
      passwordCredentials: [
        { customKeyIdentifier: null, displayName: 'old', endDateTime: '2026-01-31T00:00:00Z', hint: 'Old', keyId: randomUUID(), secretText: null, startDateTime: '2025-01-31T00:00:00Z' },
        { customKeyIdentifier: null, displayName: 'smtp-setup', endDateTime: SECRET_END, hint: config.clientSecret.slice(0, 3), keyId: randomUUID(), secretText: null, startDateTime: '2026-01-01T00:00:00Z' },
      ],
    }));
    return undefined;
  });
  await new Promise((resolve) => server.listen(Number(env.PEER_GRAPH_PORT || 0), host, resolve));
  return server;
}

async function startControl(messages) {
  const server = http.createServer((req, res) => {
    const reply = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.url === '/messages' && req.method === 'GET') return reply(200, messages);
    if (req.url === '/messages' && req.method === 'DELETE') {
      messages.length = 0;
      return reply(200, []);
    }
    if (req.url === '/healthz') return reply(200, { ok: true });
    if (req.url === '/stats') return reply(200, stats);
    if (req.url === '/token-requests') return reply(200, tokenRequestTimes);
    if (req.url === '/certificates' && req.method === 'DELETE') {
      registered.length = 0;
      return reply(200, []);
    }
    if (req.url === '/certificates' && req.method === 'POST') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        try {
          const cert = new X509Certificate(Buffer.concat(chunks));
          registered.push(cert);
          reply(200, { thumbprint: cert.fingerprint.replaceAll(':', '') });
        } catch (error) {
          reply(400, { error: error.message });
        }
      });
      return undefined;
    }
    if (req.url === '/data-hold') {
      dataHold.on = req.method === 'POST';
      if (!dataHold.on) {
        dataHold.waiting.splice(0).forEach((give) => give());
        stats.heldReplies = 0;
      }
      return reply(200, { on: dataHold.on });
    }
    if (req.url === '/mailbox' && imap) {
      if (req.method === 'GET') return reply(200, imap.files());
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => reply(200, { delivered: imap.deliver(Buffer.concat(chunks)) }));
      return undefined;
    }
    if (req.url === '/webhooks') return reply(200, webhooks.records);
    if (req.url === '/webhook-secret' && req.method === 'POST') {
      const chunks = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => {
        webhooks.setSecret(Buffer.concat(chunks).toString('utf8').trim());
        reply(200, {});
      });
      return undefined;
    }
    if (req.url === '/secret-expired') {
      secretState.expired = req.method === 'POST';
      return reply(200, secretState);
    }
    return reply(404, { error: 'not found' });
  });
  await new Promise((resolve) => server.listen(Number(env.PEER_CONTROL_PORT || 0), host, resolve));
  return server;
}

const issuer = { url: '' };
const messages = [];
const stats = {
  tokenRequests: 0,
  authAttempts: 0,
  longLines: 0,
  connections: 0,
  openConnections: 0,
  maxOpenConnections: 0,
  connectionLimitRefusals: 0,
  received: 0,
  receivedBytes: 0,
  heldReplies: 0,
};
// POST /data-hold: replies to the final dot wait in `waiting` until DELETE /data-hold.
const dataHold = { on: false, waiting: [] };
// The SMTP sessions open now, in the order they were opened (a Set keeps it).
const openSessions = new Set();
const tokenRequestTimes = [];
const connectionNumbers = new Map();
// Tokens PEER_SMTP_REJECT_AUTH refused.
const revokedTokens = new Set();
const cert = certificate();
// Only make the certificates (the app must read the CA file before the peers start).
if (env.PEER_PREPARE_ONLY === '1') process.exit(0);
const tokenServer = await startTokenServer();
const issuerUrl = tokenServer.issuer.url;
const smtpServer = await startSmtpServer(cert, issuerUrl, messages, false);
const smtpsServer = await startSmtpServer(cert, issuerUrl, messages, true);
const imap = env.PEER_IMAP === '1'
  ? await startDovecot({
    dir: path.dirname(cert.caFile),
    certFile: cert.certFile,
    keyFile: cert.keyFile,
    jwks: tokenServer.issuer.keys.toJSON(false),
    issuer: issuerUrl,
    mailbox: config.mailbox,
    count: Number(env.PEER_IMAP_MESSAGES || 3),
    port: Number(env.PEER_IMAP_PORT || 0),
  })
  : null;
const graph = await startGraph(issuerUrl);
const webhooks = await startWebhookReceiver({ certFile: cert.certFile, keyFile: cert.keyFile, host });
// Last: its /healthz answering is what the browser tests wait for.
const control = await startControl(messages);

process.stdout.write(`${JSON.stringify({
  authority: issuerUrl,
  smtp: `${host}:${smtpServer.server.address().port}`,
  smtps: `${host}:${smtpsServer.server.address().port}`,
  ...(imap ? { imaps: `${host}:${imap.port}` } : {}),
  control: `http://${host}:${control.address().port}`,
  graph: `http://${host}:${graph.address().port}`,
  webhooks: webhooks.url,
  caFile: cert.caFile,
  ...config,
})}\n`);

const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The harness closes our stdin when it goes away: never outlive it.
if (env.PEER_STAY !== '1') {
  process.stdin.on('end', stop);
  process.stdin.on('close', stop);
  process.stdin.resume();
}
