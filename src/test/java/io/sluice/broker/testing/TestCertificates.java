package io.sluice.broker.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import javax.security.auth.x500.X500Principal;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made when a test runs (no private key is checked in): a CA, and key pairs it signs for
 * {@code localhost} / {@code 127.0.0.1} with the subject a test names, written as PKCS12, JKS or PEM the way a user
 * hands them to a broker or client. Each lives a day.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  /** One CA: its certificate signs the {@link Issued} pairs. */
  public record Authority(KeyPair keys, X509Certificate certificate) {
    public static Authority create(String name) {
      try {
        KeyPair keys = rsa();
        X500Name subject = new X500Name("CN=" + name);
        X509v3CertificateBuilder b = builder(subject, subject, keys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        return new Authority(keys, sign(b, keys.getPrivate()));
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException(e);
      }
    }

    /** A key pair whose certificate has subject {@code dn} (e.g. {@code CN=writer,O=Sluice}), for localhost. */
    public Issued issue(String dn) {
      return issue(dn, "localhost");
    }

    /** A key pair whose certificate has subject {@code dn}, for host {@code dnsName} and 127.0.0.1. */
    public Issued issue(String dn, String dnsName) {
      try {
        KeyPair leaf = rsa();
        // The JDK's encoding of the DN, so the certificate's subject reads back exactly as the test wrote it.
        X509v3CertificateBuilder b = builder(X500Name.getInstance(certificate.getSubjectX500Principal().getEncoded()),
            X500Name.getInstance(new X500Principal(dn).getEncoded()), leaf);
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, dnsName), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
        return new Issued(leaf.getPrivate(), sign(b, keys.getPrivate()), certificate);
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException(e);
      }
    }

    public String certificatePem() {
      return pem(certificate);
    }

    /** A trust store holding this CA's certificate, as {@code type} (PKCS12, JKS; PEM: the certificate). */
    public Path trustStore(Path file, String type, String password) {
      try {
        if (type.equals("PEM")) {
          Files.writeString(file, pem(certificate));
          return file;
        }
        KeyStore ks = KeyStore.getInstance(type);
        ks.load(null, null);
        ks.setCertificateEntry("ca", certificate);
        try (OutputStream out = Files.newOutputStream(file)) {
          ks.store(out, password.toCharArray());
        }
        return file;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A key pair and its certificate chain (the leaf, then the CA). */
  public record Issued(PrivateKey key, X509Certificate certificate, X509Certificate ca) {
    /** A key store with the key and its chain, as {@code type} (PKCS12, JKS; PEM: PKCS#8 key then chain). */
    public Path keyStore(Path file, String type, String storePassword, String keyPassword) {
      try {
        if (type.equals("PEM")) {
          Files.writeString(file, keyPem() + chainPem());
          return file;
        }
        KeyStore ks = KeyStore.getInstance(type);
        ks.load(null, null);
        ks.setKeyEntry("key", key, keyPassword.toCharArray(), new Certificate[] {certificate, ca});
        try (OutputStream out = Files.newOutputStream(file)) {
          ks.store(out, storePassword.toCharArray());
        }
        return file;
      } catch (GeneralSecurityException | IOException e) {
        throw new IllegalStateException(e);
      }
    }

    public String keyPem() {
      try {
        StringWriter s = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(s)) {
          w.writeObject(new JcaPKCS8Generator(key, null));
        }
        return s.toString();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    public String chainPem() {
      return pem(certificate) + pem(ca);
    }
  }

  private TestCertificates() {
  }

  private static KeyPair rsa() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(2048);
    return g.generateKeyPair();
  }

  private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
    Instant now = Instant.now();
    return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()),
        Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(Duration.ofDays(1))), subject, keys.getPublic());
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey issuerKey) throws GeneralSecurityException {
    try {
      return new JcaX509CertificateConverter().getCertificate(
          b.build(new JcaContentSignerBuilder("SHA256withRSA").build(issuerKey)));
    } catch (org.bouncycastle.operator.OperatorCreationException e) {
      throw new GeneralSecurityException(e);
    }
  }

  static String pem(Object o) {
    try {
      StringWriter s = new StringWriter();
      try (JcaPEMWriter w = new JcaPEMWriter(s)) {
        w.writeObject(o);
      }
      return s.toString();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
