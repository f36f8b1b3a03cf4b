import { generateKeyPairSync, sign } from 'node:crypto';
import { createSelfSignedRoot, loadSigningAuthority, issueCertificate, parseCertificateRequest, buildCertificateRequest } from '/work/main/services/citadel/dist/src/index.js';
const alg = process.argv[2] ?? 'ecdsa-p256';
const a = loadSigningAuthority(createSelfSignedRoot({algorithm: alg, trustDomain:'cluster.local', ttlMs: 3650*864e5, now: new Date()})).right;
const csr = parseCertificateRequest(buildCertificateRequest({privateKey: generateKeyPairSync('rsa',{modulusLength:2048}).privateKey, uris:['spiffe://cluster.local/ns/a/sa/b']})).right;
const req = {subjectPublicKeyInfo: csr.subjectPublicKeyInfo, names:{uris:['spiffe://cluster.local/ns/a/sa/b']}, ttlMs: 864e5};
const tbs = a.template.tbs({serial: Buffer.alloc(16,1), notBefore:new Date(), notAfter:new Date(), ...req});
function rate(fn, ms=700){ let n=0; const t0=performance.now(); while(performance.now()-t0<ms){ fn(); n++; } return n/((performance.now()-t0)/1000); }
let bi=0, br=0;
for (let r=0;r<5;r++){ bi=Math.max(bi, rate(()=>issueCertificate(a, req))); br=Math.max(br, rate(()=>sign(a.template.issuer.signature.hash, tbs, a.privateKey))); }
console.log(alg, 'issue', bi.toFixed(0), 'raw', br.toFixed(0), 'ratio', (bi/br).toFixed(3));
