import { createHash, X509Certificate } from 'node:crypto';

/**
 * kubeadm's --discovery-token-ca-cert-hash: "sha256:" + hex SHA-256 of the CA certificate's
 * SubjectPublicKeyInfo in DER (kubeadm/app/util/pubkeypin).
 */
export function caCertHash(caPem: string): string {
  const cert = new X509Certificate(caPem);
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The first certificate of a PEM bundle (a kubeconfig CA may carry several). */
export function firstCertificate(pem: string): string {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no PEM certificate found');
  return `${m[0]}\n`;
}
