// Preloaded into the agent by tests (NODE_OPTIONS=--import=…): every name the process asks DNS
// for is appended to $PIGEON_DNS_LOG, so a test can tell which servers the agent tried to reach.
import dns from 'node:dns';
import { appendFileSync } from 'node:fs';
import { isIP } from 'node:net';

const file = process.env.PIGEON_DNS_LOG;
const record = (hostname) => {
  if (file && typeof hostname === 'string' && isIP(hostname) === 0) appendFileSync(file, `${hostname}\n`);
};
const lookup = dns.lookup;
dns.lookup = Object.assign(function (hostname, ...rest) {
  record(hostname);
  return lookup.call(this, hostname, ...rest);
}, lookup);
const promised = dns.promises.lookup;
dns.promises.lookup = function (hostname, ...rest) {
  record(hostname);
  return promised.call(this, hostname, ...rest);
};
