import { generateKeyPairSync } from 'node:crypto';
import { createSelfSignedRoot, loadSigningAuthority, issueCertificate, parseCertificateRequest, buildCertificateRequest } from '/work/main/services/citadel/dist/src/index.js';
const alg = process.argv[2] ?? 'ecdsa-p256';
const a = loadSigningAuthority(createSelfSignedRoot({algorithm: alg, trustDomain:'cluster.local', ttlMs: 3650*864e5, now: new Date()})).right;
const csr = parseCertificateRequest(buildCertificateRequest({privateKey: generateKeyPairSync('rsa',{modulusLength:2048}).privateKey, uris:['spiffe://cluster.local/ns/a/sa/b']})).right;
const req = {subjectPublicKeyInfo: csr.subjectPublicKeyInfo, names:{uris:['spiffe://cluster.local/ns/a/sa/b']}, ttlMs: 864e5};
let n=0; const t0=performance.now(); while(performance.now()-t0<3000){ issueCertificate(a, req); n++; } console.log(alg, n/3);
