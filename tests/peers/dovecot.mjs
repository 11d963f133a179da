// A real IMAP server for the mailbox-access check: Debian's dovecot, started as our own
// instance in a folder of its own (no system service), on 127.0.0.1 with implicit TLS,
// validating XOAUTH2 tokens locally against the token server's signing key. Its INBOX
// (a maildir) holds a few messages.
//
// Run as root, dovecot's login and internal processes take the `dovenull` and `dovecot`
// users (the Debian package makes them), so everything they read is made readable to them.

import { execFileSync, spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const host = '127.0.0.1';

/// A port nobody listens on now (dovecot takes no port 0).
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/// Resolves once something accepts connections on `port` (dovecot starts its listeners
/// after it has read its configuration); fails after `within` ms.
function accepting(port, within) {
  const deadline = Date.now() + within;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect({ host, port }, () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`dovecot did not listen on ${port}`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

function readableByAll(dir) {
  chmodSync(dir, 0o755);
  for (const name of readdirSync(dir)) {
    const entry = path.join(dir, name);
    if (statSync(entry).isDirectory()) readableByAll(entry);
    else chmodSync(entry, 0o644);
  }
}

function ownedBy(dir, uid, gid) {
  chownSync(dir, uid, gid);
  for (const name of readdirSync(dir)) {
    const entry = path.join(dir, name);
    if (statSync(entry).isDirectory()) ownedBy(entry, uid, gid);
    else chownSync(entry, uid, gid);
  }
}

/// `id -u dovecot`: the package's user, whatever number it got.
function idOf(name, flag) {
  return Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
}

/**
 * Starts dovecot. `jwks`: the token server's public keys; `issuer`: its URL;
 * `mailbox`: the address whose INBOX holds `count` messages; `port`: where (0: any).
 * Returns { port, stop, deliver(raw), files() }.
 */
export async function startDovecot({ dir, certFile, keyFile, jwks, issuer, mailbox, count, port: wanted }) {
  // dovecot's users must be able to pass through the peers' folder (not list it).
  chmodSync(dir, 0o711);
  const base = path.join(dir, `dovecot-${process.pid}-${Date.now()}`);
  for (const sub of ['run', 'state', 'keys/default/RS256', 'mail']) {
    mkdirSync(path.join(base, sub), { recursive: true });
  }
  // Each signing key as a PEM public key, named by its key ID.
  for (const jwk of jwks) {
    const pem = createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    writeFileSync(path.join(base, 'keys/default/RS256', jwk.kid), pem);
  }
  const maildir = path.join(base, 'mail', mailbox, 'Maildir');
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(maildir, sub), { recursive: true });
  for (let i = 1; i <= count; i += 1) {
    writeFileSync(
      path.join(maildir, 'cur', `${1000 + i}.peer:2,S`),
      `From: someone@contoso-test.com\r\nTo: ${mailbox}\r\nSubject: message ${i}\r\n\r\nbody ${i}\r\n`,
    );
  }
  copyFileSync(certFile, path.join(base, 'cert.pem'));
  copyFileSync(keyFile, path.join(base, 'key.pem'));
  const port = wanted || await freePort();
  writeFileSync(path.join(base, 'oauth2.conf.ext'), [
    'introspection_mode = local',
    `local_validation_key_dict = fs:posix:prefix=${base}/keys/`,
    `issuers = ${issuer}`,
    // Entra's app-only tokens carry no such claim; the token peer adds it for dovecot.
    'username_attribute = email',
    '',
  ].join('\n'));
  writeFileSync(path.join(base, 'dovecot.conf'), [
    `base_dir = ${base}/run`,
    `state_dir = ${base}/state`,
    `log_path = ${base}/dovecot.log`,
    'protocols = imap',
    `listen = ${host}`,
    'ssl = required',
    `ssl_cert = <${base}/cert.pem`,
    `ssl_key = <${base}/key.pem`,
    'default_login_user = dovenull',
    'default_internal_user = dovecot',
    'default_internal_group = dovecot',
    'first_valid_uid = 100',
    'auth_mechanisms = xoauth2 oauthbearer',
    'mail_location = maildir:~/Maildir',
    'passdb {',
    '  driver = oauth2',
    '  mechanisms = xoauth2 oauthbearer',
    `  args = ${base}/oauth2.conf.ext`,
    '}',
    'userdb {',
    '  driver = static',
    `  args = uid=dovecot gid=dovecot home=${base}/mail/%u`,
    '}',
    'service imap-login {',
    '  inet_listener imap {',
    '    port = 0',
    '  }',
    '  inet_listener imaps {',
    `    port = ${port}`,
    '    ssl = yes',
    '  }',
    '}',
    '',
  ].join('\n'));
  readableByAll(base);
  ownedBy(path.join(base, 'mail'), idOf('dovecot', '-u'), idOf('dovecot', '-g'));
  // In the foreground, under a shell that stops it when our end of its stdin closes: if
  // this process is killed outright (SIGKILL), dovecot goes too.
  const child = spawn('sh', ['-c', `/usr/sbin/dovecot -F -c "$1" & pid=$!; cat >/dev/null; kill $pid; wait $pid`, 'sh',
    path.join(base, 'dovecot.conf')], { stdio: ['pipe', 'ignore', 'inherit'] });
  await accepting(port, 10_000);
  const [uid, gid] = [idOf('dovecot', '-u'), idOf('dovecot', '-g')];
  let delivered = 0;
  return {
    port,
    stop: () => child.stdin.end(),
    // A message into INBOX as a delivery agent puts it (tmp/, then renamed into new/,
    // no flags): the next EXAMINE sees it.
    deliver: (raw) => {
      delivered += 1;
      const name = `${Date.now()}.P${process.pid}Q${delivered}.peer`;
      const tmp = path.join(maildir, 'tmp', name);
      writeFileSync(tmp, raw);
      chownSync(tmp, uid, gid);
      chmodSync(tmp, 0o644);
      renameSync(tmp, path.join(maildir, 'new', name));
      return name;
    },
    // Every message file of INBOX and of each folder, with its maildir flags (`S` once read), for the tests
    // that prove nothing was changed.
    // (Maildir++: a folder is a directory `.Name` beside INBOX's new/ and cur/.)
    files: () => ['', ...readdirSync(maildir).filter((d) => d.startsWith('.'))].flatMap((folder) =>
      ['new', 'cur'].flatMap((sub) => {
        const dir = path.join(maildir, folder, sub);
        if (!existsSync(dir)) return [];
        return readdirSync(dir).map((name) => ({
          folder: folder ? folder.slice(1) : 'INBOX',
          name,
          flags: name.includes(':2,') ? name.split(':2,')[1] : '',
        }));
      })),
  };
}
