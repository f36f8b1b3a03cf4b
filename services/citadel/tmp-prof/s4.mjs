import { generateKeyPairSync, sign } from 'node:crypto';
import { createSelfSignedRoot, loadSigningAuthority, parseCertificateRequest, buildCertificateRequest, randomSerial, toPem } from '/work/main/services/citadel/dist/src/index.js';
import { certificateDer } from '/work/main/services/citadel/dist/src/certificate-builder.js';
const a = loadSigningAuthority(createSelfSignedRoot({algorithm: 'ecdsa-p256', trustDomain:'cluster.local', ttlMs: 3650*864e5, now: new Date()})).right;
const csr = parseCertificateRequest(buildCertificateRequest({privateKey: generateKeyPairSync('rsa',{modulusLength:2048}).privateKey, uris:['spiffe://cluster.local/ns/a/sa/b']})).right;
const req = {subjectPublicKeyInfo: csr.subjectPublicKeyInfo, names:{uris:['spiffe://cluster.local/ns/a/sa/b']}};
const tbs = a.template.tbs({serial: Buffer.alloc(16,1), notBefore:new Date(), notAfter:new Date(), ...req});
const k=a.privateKey, h='sha256', sch=a.template.issuer.signature;
function rate(fn, ms=600){ let n=0; const t0=performance.now(); while(performance.now()-t0<ms){ fn(); n++; } return n/((performance.now()-t0)/1000); }
const variants = {
  raw: ()=>sign(h, tbs, k),
  rawCopy: ()=>sign(h, Buffer.from(tbs), k),
  tbsSign: ()=>sign(h, a.template.tbs({serial: randomSerial(), notBefore:new Date(), notAfter:new Date(), ...req}), k),
  tbsSignDer: ()=>{ const t=a.template.tbs({serial: randomSerial(), notBefore:new Date(), notAfter:new Date(), ...req}); return certificateDer(t, sch, sign(h,t,k)); },
  full: ()=>{ const t=a.template.tbs({serial: randomSerial(), notBefore:new Date(), notAfter:new Date(), ...req}); return toPem(certificateDer(t, sch, sign(h,t,k))); },
};
const best = {};
for (let r=0;r<4;r++) for (const [n,f] of Object.entries(variants)) best[n]=Math.max(best[n]??0, rate(f));
for (const [n,v] of Object.entries(best)) console.log(n.padEnd(12), v.toFixed(0), (1e6/v).toFixed(1)+'µs');
