// The control plane's PKI, made with openssl: one CA, the API server's serving certificate, a
// client certificate per component (the API server authenticates them by their CN and O, and RBAC
// authorizes by those names), and the key that signs service account tokens. EC keys: instant to make.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

/** Who each client certificate says it is: RBAC's built-in roles bind these names. */
const CLIENTS = {
  admin: { cn: 'ferry-admin', o: 'system:masters' },
  'kube-controller-manager': { cn: 'system:kube-controller-manager' },
  'kube-scheduler': { cn: 'system:kube-scheduler' },
  // kwok writes the status of every node and pod: the kubelet's rights and more.
  kwok: { cn: 'kwok', o: 'system:masters' },
};

function openssl(args, cwd) {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    if (error.code === 'ENOENT') throw new Error('the Kubernetes control plane needs openssl on PATH (Debian: apt-get install openssl)');
    throw new Error(`openssl ${args.join(' ')} failed: ${error.stderr?.toString() ?? error.message}`);
  }
}

function key(dir, name) {
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`], dir);
}

function signed(dir, name, subject, extensions) {
  key(dir, name);
  openssl(['req', '-new', '-key', `${name}.key`, '-subj', subject, '-out', `${name}.csr`], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), extensions.join('\n') + '\n');
  openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '30', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
  fs.rmSync(path.join(dir, `${name}.csr`));
  fs.rmSync(path.join(dir, `${name}.ext`));
}

/** Writes the PKI into `dir` and returns the paths the components are started with. */
function makePki(dir, { serviceIp }) {
  fs.mkdirSync(dir, { recursive: true });
  key(dir, 'ca');
  openssl(['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=ferry-test-ca', '-days', '30', '-out', 'ca.crt'], dir);
  const names = ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'];
  signed(dir, 'apiserver', '/CN=kube-apiserver', [`subjectAltName=IP:127.0.0.1,IP:${serviceIp},${names.map((n) => `DNS:${n}`).join(',')}`, 'extendedKeyUsage=serverAuth']);
  for (const [name, who] of Object.entries(CLIENTS)) {
    signed(dir, name, `${who.o ? `/O=${who.o}` : ''}/CN=${who.cn}`, ['extendedKeyUsage=clientAuth']);
  }
  key(dir, 'service-account');
  openssl(['pkey', '-in', 'service-account.key', '-pubout', '-out', 'service-account.pub'], dir);
  const file = (name) => path.join(dir, name);
  return {
    ca: file('ca.crt'),
    apiserver: { cert: file('apiserver.crt'), key: file('apiserver.key') },
    clients: Object.fromEntries(Object.keys(CLIENTS).map((name) => [name, { cert: file(`${name}.crt`), key: file(`${name}.key`) }])),
    serviceAccount: { key: file('service-account.key'), pub: file('service-account.pub') },
  };
}

module.exports = { makePki };
