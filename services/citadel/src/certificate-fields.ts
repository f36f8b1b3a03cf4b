import { MalformedDer, Tag, children, content, contextTag, expectTag, raw, readBoolean, readOid, readTime, readWhole } from './der.js';
import { Oid } from './oids.js';

/** What citadel needs to know of a CA certificate it signs with or trusts, read from its DER. */
export interface CertificateFields {
  /** The subject Name, DER, byte for byte (becomes the issuer of what it signs). */
  readonly subject: Buffer;
  readonly issuer: Buffer;
  readonly subjectPublicKeyInfo: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The subjectKeyIdentifier extension, if present. */
  readonly subjectKeyIdentifier?: Buffer;
  /** basicConstraints CA:true. */
  readonly isCa: boolean;
}

/** Reads a certificate's fields; throws MalformedDer when it is not an X.509 certificate. */
export function certificateFields(der: Buffer): CertificateFields {
  const [tbs] = children(expectTag(readWhole(der), Tag.sequence, 'Certificate'));
  if (tbs === undefined) throw new MalformedDer('Certificate without tbsCertificate');
  const parts = children(expectTag(tbs, Tag.sequence, 'tbsCertificate'));
  // version [0] is optional (v1 certificates omit it).
  const fields = parts[0]?.tag === contextTag(0, true) ? parts.slice(1) : parts;
  const [, , issuer, validity, subject, spki, ...rest] = fields;
  if (issuer === undefined || validity === undefined || subject === undefined || spki === undefined) {
    throw new MalformedDer('tbsCertificate is missing fields');
  }
  const [notBefore, notAfter] = children(expectTag(validity, Tag.sequence, 'validity'));
  if (notBefore === undefined || notAfter === undefined) throw new MalformedDer('validity needs two times');
  let subjectKeyIdentifier: Buffer | undefined;
  let isCa = false;
  const extensions = rest.find((n) => n.tag === contextTag(3, true));
  const [extensionList] = extensions === undefined ? [] : children(extensions);
  for (const extension of extensionList === undefined ? [] : children(extensionList)) {
    const [id, ...others] = children(extension);
    const value = others[others.length - 1];
    if (id === undefined || value === undefined) throw new MalformedDer('extension needs an id and a value');
    const oid = readOid(id);
    if (oid === Oid.subjectKeyIdentifier) subjectKeyIdentifier = Buffer.from(content(readWhole(Buffer.from(content(value)))));
    if (oid === Oid.basicConstraints) {
      const [ca] = children(readWhole(Buffer.from(content(value))));
      isCa = ca !== undefined && ca.tag === Tag.boolean && readBoolean(ca);
    }
  }
  return {
    subject: Buffer.from(raw(expectTag(subject, Tag.sequence, 'subject'))),
    issuer: Buffer.from(raw(expectTag(issuer, Tag.sequence, 'issuer'))),
    subjectPublicKeyInfo: Buffer.from(raw(expectTag(spki, Tag.sequence, 'subjectPublicKeyInfo'))),
    notBefore: readTime(notBefore),
    notAfter: readTime(notAfter),
    ...(subjectKeyIdentifier === undefined ? {} : { subjectKeyIdentifier }),
    isCa,
  };
}
