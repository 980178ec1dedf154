// PrintDN prints, for each certificate file given, the subject exactly as
// Kafka sees it: X500Principal.getName() (RFC 2253), plus its lower- and
// upper-case forms with Locale.ENGLISH (the /L and /U of
// ssl.principal.mapping.rules). Output: one line per file,
// name TAB dn TAB lower TAB upper, each string percent-encoded in UTF-8
// for bytes outside printable ASCII and for '%'. Run by regen.sh.
import java.io.FileInputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Locale;

public class PrintDN {
    static String enc(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int v = b & 0xff;
            if (v < 0x20 || v > 0x7e || v == '%') {
                sb.append(String.format("%%%02X", v));
            } else {
                sb.append((char) v);
            }
        }
        return sb.toString();
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        for (String file : args) {
            X509Certificate cert;
            try (FileInputStream in = new FileInputStream(file)) {
                cert = (X509Certificate) cf.generateCertificate(in);
            }
            String dn = cert.getSubjectX500Principal().getName();
            String name = Path.of(file).getFileName().toString().replaceFirst("\\.pem$", "");
            out.println(name + "\t" + enc(dn) + "\t" + enc(dn.toLowerCase(Locale.ENGLISH)) + "\t" + enc(dn.toUpperCase(Locale.ENGLISH)));
        }
    }
}
