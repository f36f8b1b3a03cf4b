import { generateKeyPairSync, createHash, hash, sign } from 'node:crypto';
import { createSelfSignedRoot, loadSigningAuthority, parseCertificateRequest, buildCertificateRequest, randomSerial, toPem } from '/work/main/services/citadel/dist/src/index.js';
import { subjectKeyIdentifier, certificateDer } from '/work/main/services/citadel/dist/src/certificate-builder.js';
const a = loadSigningAuthority(createSelfSignedRoot({algorithm: 'ecdsa-p256', trustDomain:'cluster.local', ttlMs: 3650*864e5, now: new Date()})).right;
const csr = parseCertificateRequest(buildCertificateRequest({privateKey: generateKeyPairSync('rsa',{modulusLength:2048}).privateKey, uris:['spiffe://cluster.local/ns/a/sa/b']})).right;
const f = {serial: randomSerial(), notBefore: new Date(), notAfter: new Date(), subjectPublicKeyInfo: csr.subjectPublicKeyInfo, names:{uris:['spiffe://cluster.local/ns/a/sa/b']}};
function rate(name, fn, ms=1000){ for(let i=0;i<100;i++)fn(); let n=0; const t0=performance.now(); while (performance.now()-t0 < ms) { fn(); n++; } const r=n/((performance.now()-t0)/1000); console.log(name.padEnd(20), r.toFixed(0).padStart(9), (1e6/r).toFixed(2)+'µs'); }
const tbs = a.template.tbs(f);
const sig = sign('sha256', tbs, a.privateKey);
const der = certificateDer(tbs, a.template.issuer.signature, sig);
rate('tbs', ()=>a.template.tbs(f));
rate('ski createHash', ()=>createHash('sha1').update(csr.subjectPublicKeyInfo).digest());
rate('ski hash()', ()=>hash('sha1', csr.subjectPublicKeyInfo, 'buffer'));
rate('subjectKeyId', ()=>subjectKeyIdentifier(csr.subjectPublicKeyInfo));
rate('sign', ()=>sign('sha256', tbs, a.privateKey));
rate('certificateDer', ()=>certificateDer(tbs, a.template.issuer.signature, sig));
rate('toPem', ()=>toPem(der));
rate('randomSerial', ()=>randomSerial());
rate('new Date', ()=>new Date());
