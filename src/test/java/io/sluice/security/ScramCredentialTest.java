package io.sluice.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.security.ScramCredential.Mechanism;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class ScramCredentialTest {

  /**
   * RFC 7677's SCRAM-SHA-256 exchange (user "user", password "pencil"): a credential made with its salt and
   * iterations signs its auth message with the server signature the RFC gives, so a credential this broker stores is
   * one a SCRAM client (Kafka's) can authenticate against.
   */
  @Test
  void serverKeyGivesRfc7677sServerSignature() throws Exception {
    byte[] salt = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    ScramCredential rfc = ScramCredential.derive(Mechanism.SCRAM_SHA_256, "pencil", salt, 4096);
    String authMessage = "n=user,r=rOprNGfwEbeRWgbNEkqO,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
        + "s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(rfc.serverKey(), "HmacSHA256"));
    assertThat(Base64.getEncoder().encodeToString(mac.doFinal(authMessage.getBytes(StandardCharsets.US_ASCII))))
        .isEqualTo("6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
    assertThat(rfc.matches("pencil")).isTrue();
    assertThat(rfc.matches("pencil2")).isFalse();
  }

  @Test
  void kafkasTextFormRoundTrips() {
    ScramCredential c = ScramCredential.create(Mechanism.SCRAM_SHA_512, "secret", 8192);
    ScramCredential back = ScramCredential.parse(Mechanism.SCRAM_SHA_512, c.format());
    assertThat(back.format()).isEqualTo(c.format()).startsWith("salt=").contains(",stored_key=", ",server_key=")
        .endsWith(",iterations=8192");
    assertThat(back.matches("secret")).isTrue();
  }

  @Test
  void failuresFromOneHostAreAnsweredOneAtATime() {
    long[] now = {1_000};
    FailurePace pace = new FailurePace(100, () -> now[0]);
    assertThat(pace.delayFor("10.0.0.1")).isEqualTo(100);
    assertThat(pace.delayFor("10.0.0.1")).isEqualTo(200);
    assertThat(pace.delayFor("10.0.0.1")).isEqualTo(300);
    assertThat(pace.delayFor("10.0.0.2")).isEqualTo(100);
    now[0] += 1_000;
    assertThat(pace.delayFor("10.0.0.1")).isEqualTo(100);
    for (int i = 0; i < 500; i++) {
      pace.delayFor("10.0.0.3");
    }
    assertThat(pace.delayFor("10.0.0.3")).isEqualTo(FailurePace.MAX_BACKLOG_MS);
  }
}
