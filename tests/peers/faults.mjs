// Misbehaving peers for smtp-setup's fault tests, on 127.0.0.1. One process serves:
//  - a token endpoint whose behaviour is chosen by the tenant in the URL
//    (/{tenant}/oauth2/v2.0/token): status-500.test, status-502.test, status-503.test,
//    drip.test (a body that never ends), huge.test (10 MB), not-json.test,
//    no-token.test (200 without access_token), not-jwt.test (an opaque token);
//  - an SMTP server whose behaviour is FAULT_SMTP: ok, no-banner, close-after-banner,
//    421-banner, no-starttls, bad-tls, no-xoauth2, split-lines, drop-data, slow-data,
//    lose-second-reply (the second message of the first connection is taken whole, then
//    the connection drops before its 250), and 421-<verb> (ehlo, starttls, auth, mail,
//    rcpt, data): 421 in answer to that command. It speaks STARTTLS with the certificate
//    in FAULT_CERT_DIR (cert.pem, key.pem, as made by peers.mjs) and accepts any XOAUTH2
//    token. Every line it reads is recorded with whether it came over TLS (the token
//    after a 334 as "[token]", a message's end as "[message]"): GET /smtp-commands on
//    the plain token endpoint lists them, [{"command", "tls"}];
//  - an IMAP server over TLS (implicit, as on port 993) behaving as FAULT_IMAP: ok,
//    auth-failed (Exchange's `NO AUTHENTICATE failed.`), not-connected (`OK AUTHENTICATE
//    completed.`, then `BAD User is authenticated but not connected.` and `* BYE`),
//    no-xoauth2, silent (TLS, then never a greeting), refuse-second-auth (the second
//    AUTHENTICATE of its life is refused, as a revoked token's would be, and so is that
//    same token whenever it comes again; other tokens are accepted); each command it
//    reads is an event line {"event":"imap","command":…} (the tag left out), and GET
//    /imap-commands on the plain token endpoint lists them all. Its INBOX holds two
//    messages for UID SEARCH and UID FETCH: an ordinary one and a non-delivery report
//    about a message nobody sent;
//  - the same token endpoint over HTTPS, with that certificate: it counts the requests
//    that reach it (GET /https-token-requests on the plain endpoint says how many), to
//    prove that a refused certificate means nothing was sent.
// Prints one JSON line {"authority": …, "httpsAuthority": …, "smtp": …} once all listen.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';

const host = '127.0.0.1';
const mode = process.env.FAULT_SMTP || 'ok';
const certDir = process.env.FAULT_CERT_DIR;
// FAULT_CERT_NAME: which of the certificates peers.mjs made there (its file name suffix
// for another subjectAltName; default the one for localhost and 127.0.0.1).
const certName = process.env.FAULT_CERT_NAME || '';
const serverCert = () => ({
  cert: readFileSync(path.join(certDir, `cert${certName}.pem`)),
  key: readFileSync(path.join(certDir, `key${certName}.pem`)),
});

function tokenFault(req, res) {
  const tenant = (req.url || '').split('/')[1] || '';
  const json = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  // Drain the request body first, as a real server would.
  req.resume();
  req.on('end', () => {
    const status = tenant.match(/^status-(\d{3})\.test$/);
    if (status) {
      res.writeHead(Number(status[1]), { 'content-type': 'text/html' });
      return res.end(`<html><body>${status[1]} from the fault peer</body></html>`);
    }
    switch (tenant) {
      case 'drip.test': {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"token_type":"Bearer",');
        const timer = setInterval(() => res.write(' '), 200);
        res.on('close', () => clearInterval(timer));
        return undefined;
      }
      case 'huge.test':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(`{"padding":"${'x'.repeat(10 * 1024 * 1024)}"}`);
      case 'not-json.test':
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end('<html>this is not JSON</html>');
      case 'no-token.test':
        return json(200, { token_type: 'Bearer', expires_in: 3599 });
      case 'not-jwt.test':
        return json(200, { token_type: 'Bearer', expires_in: 3599, access_token: 'opaque-token-value' });
      default:
        return json(400, { error: 'invalid_request', error_description: `fault peer: unknown tenant ${tenant}` });
    }
  });
}

// What the SMTP server read, in order, as it read it (see the header).
const smtpCommands = [];
let smtpConnections = 0;

// A line-based SMTP dialogue, replaceable socket (plain, then TLS).
function smtpSession(raw) {
  smtpConnections += 1;
  const connection = smtpConnections;
  let messagesHere = 0;
  let socket = raw;
  const heard = (command) => smtpCommands.push({ command, tls: socket instanceof tls.TLSSocket });
  let buffer = '';
  let inData = false;
  let awaitingToken = false;
  const send = (text) => {
    if (mode === 'split-lines') {
      // The same bytes, in small pieces: a reply split across TCP packets.
      const pieces = text.match(/[\s\S]{1,3}/g) || [];
      pieces.forEach((piece, i) => setTimeout(() => socket.writable && socket.write(piece), i * 2));
    } else {
      socket.write(text);
    }
  };
  const ehlo = () => {
    const lines = ['fault.test greets you', 'SIZE 10485760', '8BITMIME'];
    if (!(socket instanceof tls.TLSSocket) && mode !== 'no-starttls') lines.push('STARTTLS');
    if (socket instanceof tls.TLSSocket) lines.push(mode === 'no-xoauth2' ? 'AUTH LOGIN' : 'AUTH XOAUTH2 LOGIN');
    send(lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}\r\n`).join(''));
  };
  const onLine = (line) => {
    if (awaitingToken) {
      awaitingToken = false;
      heard('[token]');
      return send('235 2.7.0 Authentication successful\r\n');
    }
    const verb = line.split(' ')[0].toUpperCase();
    heard(verb === 'AUTH' ? line.split(' ').slice(0, 2).join(' ') : line);
    // Exchange's "try again later": a 421 and the connection closed, at any stage.
    if (mode === `421-${verb.toLowerCase()}`) {
      socket.write('421 4.7.0 Temporary server error. Please try again later\r\n');
      return socket.end();
    }
    switch (verb) {
      case 'EHLO': return ehlo();
      case 'STARTTLS': {
        // Whole and at once: what follows on this socket is TLS.
        socket.write('220 2.0.0 Ready to start TLS\r\n');
        if (mode === 'bad-tls') {
          setTimeout(() => { socket.write('this is not a TLS handshake\r\n'); socket.end(); }, 10);
          return undefined;
        }
        socket.removeAllListeners('data');
        const secure = new tls.TLSSocket(socket, {
          isServer: true,
          ...serverCert(),
        });
        secure.on('error', () => {});
        socket = secure;
        secure.on('data', onData);
        return undefined;
      }
      case 'AUTH':
        if (line.trim().split(' ').length > 2) return send('235 2.7.0 Authentication successful\r\n');
        awaitingToken = true;
        return send('334 \r\n');
      case 'MAIL':
        return send('250 2.1.0 Sender OK\r\n');
      case 'RCPT': return send('250 2.1.5 Recipient OK\r\n');
      case 'DATA':
        inData = true;
        return send('354 Start mail input; end with <CRLF>.<CRLF>\r\n');
      case 'QUIT':
        send('221 2.0.0 Bye\r\n');
        return socket.end();
      default: return send('500 5.5.2 Unknown command\r\n');
    }
  };
  const onData = (chunk) => {
    if (inData && mode === 'drop-data') return socket.destroy();
    buffer += chunk.toString('latin1');
    for (;;) {
      if (inData) {
        const end = buffer.indexOf('\r\n.\r\n');
        if (end < 0) return undefined;
        buffer = buffer.slice(end + 5);
        inData = false;
        messagesHere += 1;
        heard('[message]');
        // Tells the test harness the whole message is in, before any reply.
        process.stdout.write('{"event":"message received"}\n');
        if (mode === 'slow-data') return undefined; // never answers
        if (mode === 'lose-second-reply' && connection === 1 && messagesHere === 2) return socket.destroy();
        send('250 2.0.0 OK queued\r\n');
        continue;
      }
      const eol = buffer.indexOf('\r\n');
      if (eol < 0) return undefined;
      const line = buffer.slice(0, eol);
      buffer = buffer.slice(eol + 2);
      onLine(line);
    }
  };
  raw.on('error', () => {});
  raw.on('data', onData);
  switch (mode) {
    case 'no-banner': return undefined;
    case 'close-after-banner':
      raw.write('220 fault.test ESMTP\r\n');
      return raw.end();
    case '421-banner':
      raw.write('421 4.3.2 Service not available, closing transmission channel\r\n');
      return raw.end();
    default:
      return send('220 fault.test ESMTP ready\r\n');
  }
}

let httpsTokenRequests = 0;
const tokenServer = http.createServer((req, res) => {
  if (req.url === '/https-token-requests') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(httpsTokenRequests));
  }
  if (req.url === '/smtp-commands' || req.url === '/imap-commands') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify(req.url === '/smtp-commands' ? smtpCommands : imapCommands));
  }
  return tokenFault(req, res);
});
const httpsTokenServer = https.createServer(serverCert(), (req, res) => {
  httpsTokenRequests += 1;
  tokenFault(req, res);
});
const smtpServer = net.createServer(smtpSession);
const imapMode = process.env.FAULT_IMAP || 'ok';
let imapAuthentications = 0;
const revokedTokens = new Set();
// Every IMAP command read, in order, as its event says it (GET /imap-commands).
const imapCommands = [];

// The fault IMAP server's INBOX, by UID: a message, then a report on one nobody sent.
const imapMessages = {
  1: 'From: someone@fabrikam-test.com\r\nSubject: Hello\r\nContent-Type: text/plain\r\n\r\nHi\r\n',
  2: [
    'From: postmaster@contoso-test.com',
    'X-MS-Exchange-Message-Is-Ndr:',
    'In-Reply-To: <nobody-sent-this@elsewhere.test>',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
    '',
    '--r',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns;faults.test',
    '',
    'Final-Recipient: rfc822;gone@fabrikam-test.com',
    'Action: failed',
    'Status: 5.1.10',
    '',
    '--r--',
    '',
  ].join('\r\n'),
};

// Exchange Online's words, as it says them.
function imapSession(socket) {
  let buffer = '';
  let awaitingToken = null;
  const send = (text) => socket.writable && socket.write(text);
  socket.on('error', () => {});
  if (imapMode === 'silent') return;
  send('* OK The Microsoft Exchange IMAP4 service is ready.\r\n');
  const onLine = (line) => {
    if (awaitingToken) {
      const tag = awaitingToken;
      awaitingToken = null;
      return authenticated(tag, line);
    }
    const [tag, verb = '', ...rest] = line.split(' ');
    const command = [verb, ...rest].join(' ').replace(/XOAUTH2 .+/, 'XOAUTH2 [token]');
    imapCommands.push(command);
    process.stdout.write(`${JSON.stringify({ event: 'imap', command })}\n`);
    switch (verb.toUpperCase()) {
      case 'CAPABILITY': {
        const auth = imapMode === 'no-xoauth2' ? 'AUTH=PLAIN' : 'AUTH=PLAIN AUTH=XOAUTH2 SASL-IR';
        send(`* CAPABILITY IMAP4 IMAP4rev1 ${auth} UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+\r\n`);
        return send(`${tag} OK CAPABILITY completed.\r\n`);
      }
      case 'AUTHENTICATE':
        if (rest.length > 1) return authenticated(tag, rest[1]);
        awaitingToken = tag;
        return send('+ \r\n');
      case 'EXAMINE':
        if (imapMode === 'not-connected') {
          send(`${tag} BAD User is authenticated but not connected.\r\n`);
          send('* BYE Connection closed. 14\r\n');
          return socket.end();
        }
        send('* 2 EXISTS\r\n* 0 RECENT\r\n* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)\r\n');
        send('* OK [UIDVALIDITY 14] UIDVALIDITY value\r\n* OK [UIDNEXT 3] The next unique identifier value\r\n');
        return send(`${tag} OK [READ-ONLY] EXAMINE completed.\r\n`);
      case 'UID': {
        // INBOX holds an ordinary message (UID 1) and a non-delivery report (UID 2).
        const [sub, set = '', ...items] = rest;
        if (sub.toUpperCase() === 'SEARCH') {
          send('* SEARCH 1 2\r\n');
          return send(`${tag} OK SEARCH completed.\r\n`);
        }
        if (sub.toUpperCase() !== 'FETCH') return send(`${tag} BAD Command Error. 12\r\n`);
        const wanted = set.split(',').flatMap((part) => {
          const [from, to = from] = part.split(':');
          return [1, 2].filter((uid) => uid >= Number(from) && (to === '*' || uid <= Number(to)));
        });
        const headersOnly = items.join(' ').includes('HEADER.FIELDS');
        for (const uid of wanted) {
          const text = headersOnly ? imapMessages[uid].split('\r\n\r\n')[0] + '\r\n\r\n' : imapMessages[uid];
          const item = headersOnly ? 'BODY[HEADER.FIELDS (CONTENT-TYPE X-MS-EXCHANGE-MESSAGE-IS-NDR)]' : 'BODY[]<0>';
          send(`* ${uid} FETCH (UID ${uid} ${item} {${Buffer.byteLength(text)}}\r\n${text})\r\n`);
        }
        return send(`${tag} OK FETCH completed.\r\n`);
      }
      case 'LOGOUT':
        send('* BYE Microsoft Exchange Server IMAP4 server signing off.\r\n');
        send(`${tag} OK LOGOUT completed.\r\n`);
        return socket.end();
      default:
        return send(`${tag} BAD Command Error. 12\r\n`);
    }
  };
  const authenticated = (tag, response) => {
    imapAuthentications += 1;
    // A revoked token stays revoked: refused again whenever it comes back.
    const refused = imapMode === 'auth-failed'
      || (imapMode === 'refuse-second-auth' && (imapAuthentications === 2 || revokedTokens.has(response)));
    if (imapMode === 'refuse-second-auth' && imapAuthentications === 2) revokedTokens.add(response);
    if (refused) return send(`${tag} NO AUTHENTICATE failed.\r\n`);
    return send(`${tag} OK AUTHENTICATE completed.\r\n`);
  };
  socket.on('data', (chunk) => {
    buffer += chunk.toString('utf8');
    let at;
    while ((at = buffer.indexOf('\r\n')) >= 0) {
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      onLine(line);
    }
  });
}
const imapServer = tls.createServer(serverCert(), imapSession);
await new Promise((resolve) => tokenServer.listen(0, host, resolve));
await new Promise((resolve) => httpsTokenServer.listen(0, host, resolve));
await new Promise((resolve) => smtpServer.listen(0, host, resolve));
await new Promise((resolve) => imapServer.listen(0, host, resolve));
process.stdout.write(`${JSON.stringify({
  authority: `http://${host}:${tokenServer.address().port}`,
  httpsAuthority: `https://${host}:${httpsTokenServer.address().port}`,
  smtp: `${host}:${smtpServer.address().port}`,
  imaps: `${host}:${imapServer.address().port}`,
})}\n`);
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
